"""The review-drafts page in a real browser: a curator answers drafts from the keyboard alone,
each answer swaps in place (no reload), the count left goes down and focus moves on."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Page, expect

from briefings.importing import ImportRequest, import_document
from briefings.models import Speaker, Statistic, Status

pytestmark = pytest.mark.browser
PASSWORD = "a long review password"


@pytest.fixture
def review_url(live_server, transactional_db):
    call_command("seed", verbosity=0)
    User.objects.create_superuser("reviewer", "r@example.org", PASSWORD)
    text = "We disrupted 9 late-stage attack plots.\n\nWe opened 400 new investigations into Russian threats.\n"
    result = import_document(ImportRequest(text=text, name="winter.txt", speaker=Speaker.objects.get(slug="ken-mccallum"),
                                           date=datetime.date(2025, 12, 1), title="Winter update",
                                           kind="speech", new=True))
    return live_server.url, f"/briefings/{result.speech.slug}/review/", result.speech


def test_drafts_are_answered_in_place_from_the_keyboard(page: Page, review_url):
    server, url, speech = review_url
    page.goto(f"{server}/admin/login/?next={url}")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server}{url}")
    expect(page.locator("#drafts-left")).to_contain_text("2 drafts left")
    # htmx takes over the forms when the document has loaded; a key pressed before that submits
    # the plain form (which works too, but reloads the page, which this test is about not doing).
    # (A native wait: the site's CSP forbids the eval that Playwright's wait_for_function polls with.)
    page.wait_for_load_state("load")
    assert page.evaluate("document.readyState === 'complete' && typeof window.htmx === 'object'")
    page.evaluate("window.__marker = 1")

    first = page.locator(".draft").first
    accept = first.get_by_role("button", name="Accept")
    accept.focus()
    page.keyboard.press("Enter")
    expect(first).to_contain_text("Accepted")
    expect(page.locator("#drafts-left")).to_contain_text("1 draft left")
    # Focus moved on to the next draft's first field, so the review goes on from the keyboard.
    second = page.locator(".draft").nth(1)
    # Polled from here: wait_for_function polls with eval, which the site's CSP refuses.
    for _ in range(100):
        if page.evaluate("document.querySelectorAll('.draft')[1].contains(document.activeElement)"):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("focus did not move to the next draft")
    for _ in range(10):
        if page.evaluate("document.activeElement.textContent") == "Reject":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(second).to_contain_text("Rejected")
    expect(page.locator("#drafts-left")).to_contain_text("0 drafts left")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped in place"
    assert Statistic.objects.filter(speech=speech, status=Status.PUBLISHED).count() == 1
    assert Statistic.objects.filter(speech=speech).count() == 1
