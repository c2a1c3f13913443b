"""Layout and accessibility facts a first-time reader meets, seen in headless Chromium:
results first, the filter panel on a phone, history while typing, charts in proportion,
the admin list at 1280 px, and axe-core's WCAG 2.2 AA checks on the public pages.

axe-core (MPL-2.0) is vendored for the tests only, in tests/static_for_tests/, and injected
by Playwright; the site never serves it. The strict CSP would block an injected script, so
these pages are opened with `bypass_csp=True` (test_browser_csp.py checks the policy itself).

SCREENSHOT_DIR=/some/dir keeps screenshots of each page at 1280x900 and 390x844.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "static_for_tests" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PUBLIC_PAGES = {
    "timeline": "/",
    "timeline-filtered": "/?country=iran&q=plots",
    "briefing": "/briefings/annual-threat-update-2021/",
    "statistics": "/statistics/",
    "figure": "/statistics/33/",
    "speaker": "/speakers/ken-mccallum/",
}


@pytest.fixture
def server(live_server, transactional_db):
    call_command("seed", verbosity=0)
    return live_server.url


@pytest.fixture
def reader(new_context):
    """A page whose context lets the test inject axe-core despite the site's CSP."""

    def open_page(viewport=DESKTOP, **options):
        return new_context(viewport=viewport, bypass_csp=True, **options).new_page()

    return open_page


def test_the_first_card_is_on_the_first_screen_at_1280_by_900(reader, server):
    page = reader()
    page.goto(f"{server}/")
    card = page.locator("#results article.card").first.bounding_box()
    assert card["y"] + 150 <= DESKTOP["height"], f"the first card starts at y = {card['y']}"
    # What the site is, and what it holds, come before it.
    expect(page.locator(".lede")).to_be_visible()
    expect(page.locator("#coverage")).to_contain_text("5 briefings from 2017 to 2024 and 1 undated")
    expect(page.locator("#coverage")).to_contain_text("none for 2018–2020, 2022–2023")
    # The matrix is one click away.
    matrix = page.locator("details#change")
    expect(matrix.locator("table")).not_to_be_visible()
    matrix.locator("summary").click()
    expect(matrix.locator("table")).to_be_visible()


def test_on_a_phone_the_summary_is_in_view_after_a_filter_change(reader, server):
    page = reader(PHONE)
    page.goto(f"{server}/")
    toggle = page.locator("#filters-panel > summary")
    expect(toggle).to_have_text(re.compile(r"Filters\s*\(0\)"))
    toggle.click()
    iran = page.locator("#filters").get_by_label(re.compile(r"\bIran\b"))
    iran.scroll_into_view_if_needed()
    iran.check()

    expect(page).to_have_url(re.compile(r"\?country=iran$"))
    summary = page.locator("#filters-summary")
    expect(summary).to_have_text("2 briefings match the filters.")
    box = summary.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], f"the summary is at y = {box['y']}"
    expect(toggle).to_have_text(re.compile(r"Filters\s*\(1\)"))
    expect(page).to_have_title("Iran · Briefings · Threat Briefings")


def test_on_a_phone_the_filter_panel_opens_without_javascript(reader, server):
    page = reader(PHONE, java_script_enabled=False)
    page.goto(f"{server}/?country=iran")
    expect(page.locator("#filters")).not_to_be_visible()
    page.locator("#filters-panel > summary").click()
    expect(page.locator("#filters")).to_be_visible()
    expect(page.locator("#filters").get_by_label(re.compile(r"\bIran\b"))).to_be_checked()


def test_without_javascript_the_desktop_filters_are_open(reader, server):
    page = reader(java_script_enabled=False)
    page.goto(f"{server}/")
    expect(page.locator("#filters")).to_be_visible()
    expect(page.locator("#filters-panel > summary")).not_to_be_visible()


def test_typing_replaces_the_history_entry_and_enter_adds_none(reader, server):
    page = reader()
    page.goto(f"{server}/")
    start = page.evaluate("history.length")
    search = page.locator("#filter-q")
    search.focus()
    page.keyboard.type("Tali")
    expect(page).to_have_url(re.compile(r"\?q=Tali$"))
    page.keyboard.type("ban")
    expect(page).to_have_url(re.compile(r"\?q=Taliban$"))
    expect(page.locator("#results article.card")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#result-summary")).to_contain_text("1 briefing")
    page.wait_for_timeout(600)  # room for a late push, were there one

    # One entry for the whole search: the first pause pushed it, later ones replaced it.
    assert page.evaluate("history.length") == start + 1
    expect(page).to_have_title("Taliban · Briefings · Threat Briefings")
    page.go_back()
    expect(page).to_have_url(f"{server}/")


def test_chart_points_stand_at_their_dates_in_proportion(reader, server):
    page = reader(PHONE)
    page.goto(f"{server}/statistics/?measure=late-stage+attack+plots+disrupted")
    points = page.locator("svg.chart g.point")
    expect(points).to_have_count(3)
    placed = []
    for index in range(3):
        point = points.nth(index)
        date = datetime.date.fromisoformat(point.get_attribute("data-date"))
        box = point.locator("circle").bounding_box()
        placed.append((date, box["x"] + box["width"] / 2))
    (d0, x0), (d1, x1), (d2, x2) = placed
    assert (x1 - x0) / (x2 - x0) == pytest.approx((d1 - d0).days / (d2 - d0).days, abs=0.01)
    # Legible on a 390-wide phone: the smallest chart text is drawn at 10 px or more.
    smallest = page.evaluate("""() => {
        const svg = document.querySelector('svg.chart');
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const sizes = [...svg.querySelectorAll('text')].map(
            t => parseFloat(t.closest('[font-size]').getAttribute('font-size')) * scale);
        return Math.min(...sizes);
    }""")
    assert smallest >= 9.5, f"chart text is drawn at {smallest:.1f} px"
    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1]


def test_the_admin_statistic_list_shows_status_at_1280(reader, server, django_user_model):
    from django.test import Client

    django_user_model.objects.create_superuser("admin", "admin@example.org", "a-long-and-correct-password")
    client = Client()
    client.force_login(django_user_model.objects.get(username="admin"))
    page = reader()
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": server}])
    page.goto(f"{server}/admin/briefings/statistic/")
    header = page.locator("#result_list thead th", has_text="Status")
    expect(header).to_be_visible()
    box = header.bounding_box()
    assert box["x"] + box["width"] <= DESKTOP["width"], f"the status column ends at x = {box['x'] + box['width']}"


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_public_pages_pass_axe_wcag_22_aa(reader, server, name, viewport):
    page = reader(viewport)
    page.goto(f"{server}{PUBLIC_PAGES[name]}")
    if name == "timeline":
        page.locator("details#change > summary").click()  # check the matrix too
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                    for node in violation["nodes"][:4])
        for violation in result["violations"]
    ]
    screenshot_dir = os.environ.get("SCREENSHOT_DIR")
    if screenshot_dir:
        Path(screenshot_dir).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(screenshot_dir) / f"{name}-{viewport['width']}.png", full_page=True)
    assert problems == []


def test_skip_to_results_is_the_second_tab_stop(reader, server):
    page = reader()
    page.goto(f"{server}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    link = page.locator(":focus")
    expect(link).to_have_text("Skip to results")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is inside the results, not the filter panel's 38 controls.
    inside = page.evaluate("document.activeElement.closest('.results-column') !== null")
    assert inside
