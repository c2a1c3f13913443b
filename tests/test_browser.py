"""The timeline driven through a real headless Chromium (Playwright) against `live_server`.

These check what only a browser can: htmx swaps the results in place and keeps the
address bar in step, Back and Forward restore earlier filters, the filters work from the
keyboard alone and without JavaScript, bad input shows errors instead of failing, and the
layout holds at desktop and phone widths.

Set SCREENSHOT_DIR to keep full-page screenshots of the layout tests (never commit them).
The seeded data: five briefings (2024, two in 2021, 2017, one undated); Iran appears in
two (the 2021 and 2024 annual updates).
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ALL_BRIEFINGS = 5
IRAN_BRIEFINGS = 2
ERWT = "extreme-right-wing-terrorism"


@pytest.fixture
def server(live_server, transactional_db):
    """The live server's base URL, with the curated briefings committed so its thread sees them."""
    call_command("seed", verbosity=0)
    return live_server.url


def country(page: Page, name: str):
    return page.locator("#filters").get_by_label(re.compile(rf"\b{name}\b"))


def exact_url(server: str, query: str = ""):
    """The timeline's address with exactly this query string and nothing else."""
    return re.compile("^" + re.escape(f"{server}/{query}") + "$")


def expect_briefings(page: Page, count: int):
    """The live summary and the cards in the list both show `count` briefings."""
    noun = "briefing" if count == 1 else "briefings"
    expect(page.locator("#result-summary")).to_have_text(re.compile(rf"^\s*{count} {noun}\b"))
    expect(page.locator("#results article.card")).to_have_count(count)


def tab_to(page: Page, target, max_presses: int = 50):
    """Press Tab until `target` has the focus."""
    for _ in range(max_presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} was not reached within {max_presses} presses of Tab")


def test_ticking_a_country_updates_the_list_in_place(page: Page, server):
    page.goto(f"{server}/")
    expect_briefings(page, ALL_BRIEFINGS)
    expect(page.locator("#year-2017")).to_have_count(1)
    page.evaluate("window.__marker = 1")

    country(page, "Iran").check()

    expect_briefings(page, IRAN_BRIEFINGS)
    expect(page.locator("#year-2017")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"\?country=iran$"))
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped in place"


def test_back_and_forward_restore_the_filters(page: Page, server):
    page.goto(f"{server}/")
    iran = country(page, "Iran")
    iran.check()
    expect(page).to_have_url(exact_url(server, "?country=iran"))
    expect_briefings(page, IRAN_BRIEFINGS)

    page.go_back()
    expect(page).to_have_url(exact_url(server))
    expect_briefings(page, ALL_BRIEFINGS)
    expect(iran).not_to_be_checked()

    page.go_forward()
    expect(page).to_have_url(exact_url(server, "?country=iran"))
    expect_briefings(page, IRAN_BRIEFINGS)
    expect(iran).to_be_checked()


def test_removing_a_chip_drops_just_that_filter(page: Page, server):
    page.goto(f"{server}/?country=iran&threat={ERWT}")
    chips = page.locator(".chip")
    expect(chips).to_have_count(2)
    expect(country(page, "Iran")).to_be_checked()

    chips.filter(has_text="Iran").locator("a").click()

    expect(page).to_have_url(exact_url(server, f"?threat={ERWT}"))
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("Extreme right-wing terrorism")
    expect(country(page, "Iran")).not_to_be_checked()
    expect(page.locator(f'#filters input[name="threat"][value="{ERWT}"]')).to_be_checked()
    # Extreme right-wing terrorism alone: the 2021 and 2024 annual updates.
    expect_briefings(page, 2)


def test_clear_all_filters_shows_everything(page: Page, server):
    page.goto(f"{server}/?country=iran&threat={ERWT}")
    expect_briefings(page, 2)

    page.locator(".clear-all").click()

    expect(page).to_have_url(exact_url(server))
    expect_briefings(page, ALL_BRIEFINGS)
    expect(page.locator(".chip")).to_have_count(0)
    expect(page.locator("#filters input:checked[type=checkbox]")).to_have_count(0)


def test_a_checkbox_can_be_ticked_from_the_keyboard(page: Page, server):
    page.goto(f"{server}/")
    page.locator("#filter-q").focus()
    iran = country(page, "Iran")

    tab_to(page, iran)
    page.keyboard.press("Space")

    expect(page).to_have_url(exact_url(server, "?country=iran"))
    expect_briefings(page, IRAN_BRIEFINGS)
    expect(iran).to_be_checked()
    expect(iran).to_be_focused()


def test_typing_a_search_updates_the_list_without_enter(page: Page, server):
    page.goto(f"{server}/")
    search = page.locator("#filter-q")
    search.focus()

    page.keyboard.type("Taliban")

    # Only the 2021 radio interview mentions the Taliban (on both databases: no stemming at stake).
    expect_briefings(page, 1)
    expect(page).to_have_url(exact_url(server, "?q=Taliban"))
    expect(search).to_be_focused()
    expect(search).to_have_value("Taliban")


def test_filters_work_without_javascript(new_context, server):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{server}/")

    country(page, "Iran").check()
    with page.expect_response(lambda response: response.status == 302) as redirect:
        page.get_by_role("button", name="Apply filters").click()

    # A plain submission sends the empty fields too; the server redirects to the address without them.
    assert "q=&" in redirect.value.url, "the form was not submitted by the browser itself"
    expect(page).to_have_url(exact_url(server, "?country=iran"))
    expect_briefings(page, IRAN_BRIEFINGS)
    expect(country(page, "Iran")).to_be_checked()


def test_bad_filters_show_errors_next_to_the_filters(page: Page, server):
    response = page.goto(f"{server}/?from=abc&country=narnia")

    assert response.status == 200
    years = page.locator("#filters fieldset").filter(has=page.locator("legend", has_text="Years"))
    countries = page.locator("#filters fieldset").filter(has=page.locator("legend", has_text="Country"))
    expect(years.locator(".field-error")).to_be_visible()
    expect(years.locator(".field-error")).to_contain_text("Enter a year such as 2021")
    expect(countries.locator(".field-error")).to_be_visible()
    expect(countries.locator(".field-error")).to_contain_text("narnia")
    expect(page.locator("#filter-from")).to_have_attribute("aria-invalid", "true")
    # Both filters are ignored, so every briefing is listed.
    expect_briefings(page, ALL_BRIEFINGS)


@pytest.mark.parametrize("query", ["", "?country=iran"], ids=["all", "iran"])
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_layout_fits_the_screen(page: Page, server, width, query):
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{server}/{query}")
    expect_briefings(page, IRAN_BRIEFINGS if query else ALL_BRIEFINGS)

    screenshot_dir = os.environ.get("SCREENSHOT_DIR")
    if screenshot_dir:
        name = "iran" if query else "all"
        Path(screenshot_dir).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(screenshot_dir) / f"timeline-{name}-{width}.png", full_page=True)

    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"the page is {overflow[0]}px wide in a {overflow[1]}px window"

    results = page.locator("#results").bounding_box()
    if width < 600:
        # On a phone the filters wait, folded, behind "Filters (n)" above the results.
        toggle = page.locator("#filters-panel > summary")
        expect(toggle).to_be_visible()
        expect(page.locator("#filters")).not_to_be_visible()
        panel = page.locator("#filters-panel").bounding_box()
        assert panel["y"] + panel["height"] <= results["y"], "on a phone the filters should come first"
    else:
        filters = page.locator("#filters").bounding_box()
        assert filters["x"] + filters["width"] <= results["x"], "on a desktop the filters sit beside the results"


@pytest.fixture
def many_years(live_server, transactional_db, monkeypatch):
    """30 briefings, one a year from 1990, and pages of 5: the timeline's first page shows
    1990's successors down to 2015, older years come a page at a time."""
    import datetime

    from .factories import make_speaker, make_speech

    monkeypatch.setattr("briefings.views.PAGE_SIZE", 5)
    speaker = make_speaker()
    for year in range(1990, 2020):
        make_speech(date=datetime.date(year, 6, 1), title=f"Briefing of {year}", speaker=speaker)
    return live_server.url


def test_scrolling_loads_older_years_in_place(page: Page, many_years):
    page.set_viewport_size({"width": 1280, "height": 500})  # the link starts below the fold
    page.goto(f"{many_years}/")
    cards = page.locator("#results article.card")
    expect(cards).to_have_count(5)
    expect(page.locator("#year-2019")).to_have_count(1)
    page.evaluate("window.__marker = 1")

    # Each "Older briefings" link loads the next years where it stands as it scrolls into view.
    shown = 5
    while shown < 30:
        page.locator("p.older a").scroll_into_view_if_needed()
        expect(cards).not_to_have_count(shown)
        shown = cards.count()
    expect(cards).to_have_count(30)
    expect(page.locator("#year-1990")).to_have_count(1)
    expect(page.locator("p.older")).to_have_count(0)
    expect(page).to_have_url(exact_url(many_years))
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of extended in place"


def test_older_briefings_without_javascript_is_a_plain_link(new_context, many_years):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{many_years}/")
    expect(page.locator("#results article.card")).to_have_count(5)

    page.get_by_role("link", name="Older briefings").click()

    expect(page).to_have_url(exact_url(many_years, "?page=2"))
    expect(page.locator("#results article.card")).to_have_count(5)
    expect(page.locator("#year-2014")).to_have_count(1)
    expect(page.locator("#year-2019")).to_have_count(0)
    page.get_by_role("link", name="Newer briefings").click()
    expect(page).to_have_url(exact_url(many_years))
