"""The public pages are cached whole until the content changes (briefings/pagecache.py): a
repeat request costs one query, and any change a page could show is served at once."""

import pytest
from django.db import transaction

from briefings.models import ContentVersion, Status
from tests.factories import make_assessment, make_country, make_speech, make_statistic

PUBLIC_PAGES = [
    "/",
    "/?q=plots",
    "/statistics/",
    "/api/statistics.json",
    "/api/briefings.json",
    "/feed/",
]


@pytest.fixture
def statistic(db):
    speech = make_speech(slug="the-briefing", title="The briefing")
    return make_statistic(speech=speech, measure="plots disrupted", value=12, value_text="12")


@pytest.mark.parametrize("url", [*PUBLIC_PAGES, "/briefings/the-briefing/"])
def test_a_repeat_request_is_the_same_response_for_one_query(client, statistic, url, django_assert_num_queries):
    first = client.get(url)
    with django_assert_num_queries(1):  # the content token
        second = client.get(url)
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def _edit_measure(statistic):
    statistic.measure = "plots stopped"
    statistic.save()


def _unpublish(statistic):
    statistic.status = Status.DRAFT
    statistic.save()


def _delete(statistic):
    statistic.delete()


def _rename_speaker(statistic):
    statistic.speech.speaker.name = "plots stopped"
    statistic.speech.speaker.save()


def _add_country(statistic):
    statistic.speech.countries.add(make_country(name="plots stopped"))


def _add_judgement(statistic):
    make_assessment(speech=statistic.speech, source=statistic.source, summary="plots stopped")


@pytest.mark.parametrize(
    "change, shows_new, hides_old",
    [
        (_edit_measure, True, True),
        (_unpublish, False, True),
        (_delete, False, True),
        (_rename_speaker, True, False),
        (_add_country, True, False),
        (_add_judgement, True, False),
    ],
)
def test_any_change_is_served_at_once(client, statistic, change, shows_new, hides_old):
    url = statistic.speech.get_absolute_url()
    before = client.get(url).content.decode()
    assert "plots disrupted" in before and "plots stopped" not in before
    change(statistic)
    after = client.get(url).content.decode()
    assert ("plots stopped" in after) == shows_new
    assert ("plots disrupted" not in after) == hides_old


def test_the_htmx_fragment_and_the_full_page_are_cached_apart(client, statistic):
    url = "/?speaker=" + statistic.speech.speaker.slug
    full = client.get(url).content.decode()
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in fragment
    assert "<html" in client.get(url).content.decode()
    assert "<html" not in client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_each_host_gets_its_own_absolute_links(client, statistic, settings):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    assert "http://one.example/briefings/the-briefing/" in client.get("/feed/", HTTP_HOST="one.example").content.decode()
    second = client.get("/feed/", HTTP_HOST="two.example").content.decode()
    assert "http://two.example/briefings/the-briefing/" in second and "one.example" not in second


def test_error_responses_are_not_cached(client, statistic):
    assert client.get("/briefings/not-yet/").status_code == 404
    make_speech(slug="not-yet")
    assert client.get("/briefings/not-yet/").status_code == 200


def test_without_a_token_nothing_is_cached(client, statistic, django_assert_num_queries):
    """A database emptied by flush has no token until the next change: pages are built every time."""
    ContentVersion.objects.all().delete()
    client.get("/statistics/")
    with django_assert_num_queries(10):  # the missing token, then the whole page as in test_explorer
        client.get("/statistics/")


def test_a_rolled_back_change_keeps_the_token(statistic):
    token = ContentVersion.objects.get().token
    with transaction.atomic():
        _edit_measure(statistic)
        assert ContentVersion.objects.get().token != token
        transaction.set_rollback(True)
    assert ContentVersion.objects.get().token == token
