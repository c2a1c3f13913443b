"""Curators in a real browser (Playwright, headless Chromium, against `live_server`): a member of
the `curator` group, not a superuser, signs in, adds a statistic, edits it, publishes it from the
list and finds it on the public briefing page; and two curators editing the same statistic at once,
in two browser contexts, where the second save is refused with the first one's change shown."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from playwright.sync_api import Page, expect

from briefings.models import Statistic, Status

pytestmark = pytest.mark.browser

PASSWORD = "a long curator password"
BRIEFING = "parker-speech-2017-10-17"
SOURCE = "parker-speech-2017-10-17-mi5-transcript"
QUOTE = "It is rightly for Ministers to speak and account for Government to Parliament and the public."


@pytest.fixture
def server(live_server, transactional_db):
    call_command("seed", verbosity=0)
    call_command("create_curator_group", verbosity=0)
    for name in ("carol", "dave"):
        user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="curator"))
    return live_server.url


def sign_in(page: Page, server, username):
    page.goto(f"{server}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Welcome, {username}", exact=False)).to_be_visible()


def choose(page: Page, field, search):
    """Pick a value in one of the admin's autocomplete boxes, as a person does: open, type until one
    choice is left, click it."""
    page.locator(f"[aria-labelledby='select2-id_{field}-container']").click()
    page.locator(f"input[aria-controls='select2-id_{field}-results']").fill(search)
    options = page.locator(f"#select2-id_{field}-results .select2-results__option")
    expect(options).to_have_count(1)
    options.click()


def test_a_curator_adds_edits_and_publishes_a_statistic_that_then_shows_on_the_briefing_page(page: Page, server):
    sign_in(page, server, "carol")
    page.goto(f"{server}/admin/briefings/statistic/add/")
    choose(page, "speech", "Andrew Parker's speech")
    choose(page, "source", SOURCE)
    page.get_by_label("Measure").fill("ministers who account to Parliament")
    page.get_by_label("Value text").fill("Ministers")
    page.get_by_label("Quote").fill(QUOTE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    statistic = Statistic.objects.get(measure="ministers who account to Parliament")
    assert (statistic.status, statistic.version) == (Status.DRAFT, 1)

    page.goto(f"{server}/admin/briefings/statistic/{statistic.pk}/change/")
    page.get_by_label("Measure").fill("ministers accountable to Parliament")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{server}/admin/briefings/statistic/?q=accountable")
    page.locator(f"input[name=_selected_action][value='{statistic.pk}']").check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Published 1 item(s).")
    statistic.refresh_from_db()
    assert (statistic.status, statistic.version) == (Status.PUBLISHED, 3)

    page.goto(f"{server}/briefings/{BRIEFING}/")
    figure = page.locator(f"#stat-{statistic.pk}")
    expect(figure.first).to_be_visible()
    expect(page.locator("body")).to_contain_text("ministers accountable to Parliament")


def test_two_curators_edit_one_statistic_and_the_second_is_shown_the_first_ones_change(browser, server):
    statistic = Statistic.objects.filter(speech__slug=BRIEFING).order_by("pk").first()
    note_before = statistic.note
    url = f"{server}/admin/briefings/statistic/{statistic.pk}/change/"
    pages = {}
    for name in ("carol", "dave"):
        page = browser.new_context().new_page()
        sign_in(page, server, name)
        page.goto(url)
        pages[name] = page

    pages["carol"].get_by_label("Unit").fill("plots, as carol reads it")
    pages["carol"].get_by_role("button", name="Save", exact=True).click()
    expect(pages["carol"].locator(".messagelist")).to_contain_text("was changed successfully")

    dave = pages["dave"]
    dave.get_by_label("Note").fill("dave's reasoning")
    dave.get_by_role("button", name="Save", exact=True).click()
    errors = dave.locator(".errornote, .errorlist.nonfield")
    expect(errors.last).to_contain_text("carol saved this statistic after you opened it")
    expect(dave.locator(".errorlist.nonfield")).to_contain_text(re.compile(r"Unit: .* → plots, as carol reads it"))
    expect(dave.get_by_label("Note")).to_have_value("dave's reasoning")  # dave's input is still there
    statistic.refresh_from_db()
    assert (statistic.unit, statistic.note, statistic.version) == ("plots, as carol reads it", note_before, 2)
