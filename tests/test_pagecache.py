"""The public pages are cached whole until the content changes (briefings/pagecache.py): a
repeat request costs one query, and any committed change a page could show is served at once.

Tests run inside a transaction that never commits, so the token is replaced only where a test
says so: `committed()` runs the on-commit callbacks of what it wraps, as a commit would.
"""

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from briefings import pagecache
from briefings.models import ContentVersion, SourceParagraph, Status
from tests.factories import (
    make_assessment,
    make_category,
    make_country,
    make_speaker,
    make_speech,
    make_statistic,
)

PUBLIC_PAGES = [
    "/",
    "/?q=plots",
    "/statistics/",
    "/api/statistics.json",
    "/api/briefings.json",
    "/feed/",
    "/briefings/the-briefing/",
]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def statistic(db, committed):
    with committed():
        speech = make_speech(slug="the-briefing", title="The briefing")
        return make_statistic(speech=speech, measure="plots disrupted", value=12, value_text="12")


def token():
    """The current token; None after a flush (a transactional test's) until the next committed change."""
    return ContentVersion.objects.filter(pk=1).values_list("token", flat=True).first()


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_repeat_request_is_the_same_response_for_one_query(client, statistic, url, django_assert_num_queries):
    first = client.get(url)
    with django_assert_num_queries(1):  # the content token
        second = client.get(url)
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_miss_costs_the_token_and_the_pages_own_queries(client, statistic, django_assert_num_queries):
    with django_assert_num_queries(1 + 12):  # 12: test_explorer.test_query_count_is_fixed
        client.get("/statistics/")


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


@pytest.mark.parametrize("url", ["/briefings/the-briefing/", "/statistics/"])
@pytest.mark.parametrize(
    "change, shows_new, hides_old",
    [
        (_edit_measure, True, True),
        (_unpublish, False, True),
        (_delete, False, True),
        (_rename_speaker, True, False),
        (_add_country, True, False),
    ],
)
def test_a_committed_change_is_served_at_once(client, statistic, committed, url, change, shows_new, hides_old):
    before = client.get(url).content.decode()
    assert "plots disrupted" in before and "plots stopped" not in before
    with committed():
        change(statistic)
    after = client.get(url).content.decode()
    assert ("plots stopped" in after) == shows_new
    assert ("plots disrupted" not in after) == hides_old


def test_a_new_judgement_is_served_at_once(client, statistic, committed):
    client.get("/briefings/the-briefing/")
    with committed():
        _add_judgement(statistic)
    assert "plots stopped" in client.get("/briefings/the-briefing/").content.decode()


# ------------------------------------------------------------- which changes replace the token


def test_every_model_a_page_shows_replaces_the_token():
    """A model added to the app later must be listed, or knowingly left out, here and in pagecache."""
    not_shown = {SourceParagraph, ContentVersion}  # rebuilt from Source's save; the token itself
    models = {model for model in apps.get_app_config("briefings").get_models() if not model.__name__.startswith("Historical")}
    assert models - not_shown == set(pagecache.SHOWN_MODELS)
    relations = {field.remote_field.through for model in pagecache.SHOWN_MODELS for field in model._meta.many_to_many}
    assert relations == {relation.through for relation in pagecache.SHOWN_RELATIONS}


@pytest.fixture
def one_of_each(statistic, committed):
    with committed():
        assessment = make_assessment(speech=statistic.speech, source=statistic.source)
    return {
        "speaker": statistic.speech.speaker, "category": assessment.threat, "country": None,
        "speech": statistic.speech, "source": statistic.source, "statistic": statistic, "assessment": assessment,
    }


@pytest.mark.parametrize("name", ["speaker", "category", "speech", "source", "statistic", "assessment"])
def test_saving_each_model_replaces_the_token(one_of_each, committed, name):
    before = token()
    with committed():
        one_of_each[name].save()
    assert token() != before


@pytest.mark.parametrize("make", [make_speaker, make_category, make_country])
def test_creating_and_deleting_replace_the_token(db, committed, make):
    before = token()
    with committed():
        instance = make()
    created = token()
    with committed():
        instance.delete()
    assert len({before, created, token()}) == 3


@pytest.mark.parametrize("relation", ["speech.threats", "speech.countries", "statistic.countries", "assessment.countries"])
def test_changing_each_many_to_many_relation_replaces_the_token(one_of_each, committed, relation):
    owner, field = relation.split(".")
    with committed():
        target = make_category() if field == "threats" else make_country()
    before = token()
    with committed():
        getattr(one_of_each[owner], field).add(target)
    assert token() != before


def test_a_transaction_replaces_the_token_once(statistic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for value in range(5):
            statistic.value = value
            statistic.save()
        statistic.speech.save()
    assert len(callbacks) == 1


def test_uncommitted_changes_are_neither_served_from_nor_stored_in_the_cache(client, statistic):
    client.get("/briefings/the-briefing/")  # cached before the change
    before = token()
    _edit_measure(statistic)  # inside the test's transaction: not committed
    assert token() == before
    assert "plots stopped" in client.get("/briefings/the-briefing/").content.decode()


def test_a_rolled_back_change_keeps_the_token_and_later_changes_still_replace_it(statistic, committed):
    before = token()
    with transaction.atomic():
        _edit_measure(statistic)
        transaction.set_rollback(True)
    assert token() == before
    with committed():
        _unpublish(statistic)
    assert token() != before


# ------------------------------------------------------------- what the key tells apart


def test_the_htmx_fragment_and_the_full_page_are_cached_apart(client, statistic):
    url = "/?speaker=" + statistic.speech.speaker.slug
    fragment = {"HX-Request": "true"}
    assert "<html" not in client.get(url, headers=fragment).content.decode()
    assert "<html" in client.get(url).content.decode()
    # A boosted link and a history restore both want the whole page, though they send HX-Request too.
    assert "<html" in client.get(url, headers={**fragment, "HX-Boosted": "true"}).content.decode()
    assert "<html" in client.get(url, headers={**fragment, "HX-History-Restore-Request": "true"}).content.decode()
    assert "<html" not in client.get(url, headers=fragment).content.decode()


def test_each_host_and_scheme_gets_its_own_absolute_links(client, statistic, settings):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    assert "http://one.example/briefings/the-briefing/" in client.get("/feed/", HTTP_HOST="one.example").content.decode()
    second = client.get("/feed/", HTTP_HOST="two.example").content.decode()
    assert "http://two.example/briefings/the-briefing/" in second and "one.example" not in second
    secure = client.get("/feed/", HTTP_HOST="two.example", secure=True).content.decode()
    assert "https://two.example/briefings/the-briefing/" in secure


# ------------------------------------------------------------- what is never kept


@pytest.fixture
def stored(monkeypatch):
    """The keys the page cache stores during a test."""
    keys = []
    real_set = pagecache.cache.set
    monkeypatch.setattr(pagecache.cache, "set", lambda key, *args, **kwargs: (keys.append(key), real_set(key, *args, **kwargs)))
    return keys


def test_a_successful_page_is_stored(client, statistic, stored):
    client.get("/briefings/the-briefing/")
    assert len(stored) == 1


def test_a_missing_briefing_is_not_stored(client, statistic, stored):
    assert client.get("/briefings/not-there/").status_code == 404
    assert stored == []


def _cached_call(response):
    calls = []

    @pagecache.cached_page
    def view(request):
        calls.append(request)
        return response()

    request = RequestFactory().get("/anything/")
    view(request)
    view(request)
    return len(calls)


def test_responses_that_set_a_cookie_or_stream_or_fail_are_built_every_time(statistic, stored):
    def with_cookie():
        response = HttpResponse("personal")
        response.set_cookie("seen", "yes")
        return response

    assert _cached_call(with_cookie) == 2
    assert _cached_call(lambda: StreamingHttpResponse(iter(["a", "b"]))) == 2
    assert _cached_call(lambda: HttpResponse("bad", status=400)) == 2
    assert _cached_call(lambda: HttpResponse("fine")) == 1
    assert len(stored) == 1


def test_without_a_token_nothing_is_cached(client, statistic, django_assert_num_queries):
    """A database emptied by flush has no token until the next committed change: pages are built every time."""
    ContentVersion.objects.all().delete()
    client.get("/statistics/")
    with django_assert_num_queries(1 + 12):  # the missing token, then the whole page
        client.get("/statistics/")


def test_a_writers_transaction_never_locks_the_token_row(statistic):
    """Replacing the token inside the writer's transaction would hold its row lock until commit:
    every curator's save would queue behind every other, and two saves locking rows in opposite
    orders (a source, then the token; the token, then that source) would deadlock."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        _edit_measure(statistic)
        statistic.speech.countries.add(make_country())
    assert not [query for query in queries.captured_queries if "contentversion" in query["sql"].lower()]
