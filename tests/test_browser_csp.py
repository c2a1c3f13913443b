"""The strict Content-Security-Policy, seen from a real headless Chromium.

Every page the site and its admin serve must load without the browser reporting a single
policy violation (a `securitypolicyviolation` event, or the console error Chromium prints
for one) and without any other console or page error; and htmx must still swap results in
place, since it is the one script that could have wanted inline code.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Recorded before any page script runs (Playwright injects it outside the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""

PUBLIC_PAGES = [
    "/no-such-page/",
    "/",
    "/?country=iran&q=cyber",
    "/briefings/annual-threat-update-2021/",
    "/statistics/",
    "/statistics/33/",
    "/speakers/ken-mccallum/",
    "/statistics/?measure=late-stage+attack+plots+disrupted&sort=largest",  # last: it draws a chart
]

ADMIN_PAGES = [
    "/admin/",
    "/admin/briefings/speech/",
    "/admin/briefings/speech/?q=annual",
    "/admin/briefings/statistic/",
    "/admin/briefings/speaker/add/",
    "/admin/axes/accessattempt/",
    "/admin/briefings/speech/add/",
    "/admin/briefings/speech/import/",
    "/admin/briefings/statistic/33/history/",
]

PASSWORD = "a-long-and-correct-password"


@pytest.fixture
def server(live_server, transactional_db):
    call_command("seed", verbosity=0)
    return live_server.url


@pytest.fixture
def watched(page: Page):
    """The page, with every policy violation and console or page error collected."""
    problems = []
    page.add_init_script(RECORD_VIOLATIONS)

    def console(message):
        # A failed load is reported below with its address; the browser's own line has none.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def failed(response):
        # The missing-page check asks for a 404 on purpose; the favicon must load like the rest.
        if response.status >= 400 and not response.url.endswith("/no-such-page/"):
            problems.append(f"{response.status} for {response.url}")

    page.on("console", console)
    page.on("response", failed)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def check(url):
        violations = page.evaluate("window.__violations")
        assert (violations, problems) == ([], []), url
        problems.clear()

    page.check_clean = check
    return page


def visit(page, server, url):
    response = page.goto(f"{server}{url}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    page.check_clean(url)
    return response


def test_public_pages_load_without_policy_violations(watched, server):
    for url in PUBLIC_PAGES:
        visit(watched, server, url)
    expect(watched.locator("svg.chart").first).to_be_attached()  # the explorer drew its charts


def test_htmx_filtering_still_swaps_in_place_under_the_policy(watched, server):
    visit(watched, server, "/")
    watched.evaluate("window.__marker = 1")
    watched.locator("#filters").get_by_label(re.compile(r"\bIran\b")).check()
    expect(watched).to_have_url(re.compile(r"\?country=iran$"))
    expect(watched.locator("#results article.card")).to_have_count(2)
    assert watched.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped in place"
    # Following a briefing from the results (hx-boost) stays clean as well.
    watched.locator("#results article.card a").first.click()
    expect(watched).to_have_url(re.compile(r"/briefings/"))
    watched.check_clean("boosted briefing page")


def test_admin_pages_load_without_policy_violations(watched, server, django_user_model):
    django_user_model.objects.create_superuser("curator", "curator@example.org", PASSWORD)
    visit(watched, server, "/admin/login/")
    watched.get_by_label("Username").fill("curator")
    watched.get_by_label("Password").fill(PASSWORD)
    watched.get_by_role("button", name="Log in").click()
    expect(watched).to_have_url(f"{server}/admin/")
    for url in ADMIN_PAGES:
        visit(watched, server, url)
    # A change form with autocomplete (select2) fields, a widget that builds its own markup: opened and used.
    visit(watched, server, "/admin/briefings/statistic/")
    watched.locator("#result_list tbody th a").first.click()
    expect(watched).to_have_url(re.compile(r"/admin/briefings/statistic/\d+/change/"))
    watched.locator(".field-speech .select2-selection").click()
    expect(watched.locator(".select2-results__option").first).to_be_visible()
    watched.keyboard.press("Escape")
    watched.check_clean("statistic change form")
