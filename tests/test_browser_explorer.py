"""The statistics explorer's filter panel in a real headless Chromium against `live_server`:
the same htmx behaviour as the timeline's (tests/test_browser.py), with counts of figures.

Of the seeded figures, two are about Iran (30 and 32), both the reporter's paraphrase."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def server(live_server, transactional_db):
    """The live server's base URL, with the curated briefings committed so its thread sees them."""
    call_command("seed", verbosity=0)
    return live_server.url


def explorer_url(server: str, query: str = ""):
    return re.compile("^" + re.escape(f"{server}/statistics/{query}") + "$")


def figure_rows(page: Page):
    return page.locator("#results table.figures tbody tr")


def test_ticking_a_facet_updates_the_figures_in_place(page: Page, server):
    page.goto(f"{server}/statistics/")
    everything = figure_rows(page).count()
    assert everything > 2
    page.evaluate("window.__marker = 1")

    page.locator("#filters").get_by_label(re.compile(r"\bIran\b")).check()

    expect(page.locator("#result-summary")).to_have_text(re.compile(r"^\s*2 figures\."))
    expect(figure_rows(page)).to_have_count(2)
    expect(page).to_have_url(explorer_url(server, "?country=iran"))
    expect(page.locator("#filter-count")).to_have_text("(1)")
    # The whose facet's counts were updated out of band: both Iranian figures are paraphrases.
    expect(page.locator("#count-whose-paraphrase")).to_have_text("(2)")
    expect(page.locator("#count-whose-speaker")).to_have_text("(none)")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped in place"

    # The chip's remove link brings every figure back, still without a reload.
    page.get_by_role("link", name="Remove filter Country: Iran").click()
    expect(page).to_have_url(explorer_url(server))
    expect(figure_rows(page)).to_have_count(everything)
    assert page.evaluate("window.__marker") == 1, "removing the chip reloaded the page"
