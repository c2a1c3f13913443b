"""The public pages are cached whole until the content changes (briefings/pagecache.py), in
Django's cache shared by every process, with copies kept in each: a repeat request costs the
token alone, and any committed change a page could show is served at once.

These tests run with real transactions (`transaction=True`): a change commits as it would in
production, and its on-commit callback replaces the token. A request inside a transaction
bypasses the cache, so the usual rolled-back tests never see cached pages.
"""

import io
import re
import threading
import time

import pytest
from django.apps import apps
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from briefings import facets, figure_facets, pagecache
from briefings.models import ContentVersion, SourceParagraph, Status
from tests.factories import (
    make_assessment,
    make_category,
    make_corpus,
    make_country,
    make_speaker,
    make_speech,
    make_statistic,
)

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = [
    "/",
    "/?q=plots",
    "/statistics/",
    "/api/statistics.json",
    "/api/briefings.json",
    "/feed/",
    "/briefings/the-briefing/",
]
CACHE_TABLE = "page_cache"


@pytest.fixture
def statistic():
    speech = make_speech(slug="the-briefing", title="The briefing")
    return make_statistic(speech=speech, measure="plots disrupted", value=12, value_text="12")


def token():
    """The current token; None after a flush until the next committed change."""
    return ContentVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def content_queries(queries):
    """The queries that are not the cache's own (its reads and writes, and the transaction each write is)."""
    return [query["sql"] for query in queries.captured_queries
            if CACHE_TABLE not in query["sql"] and not query["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_repeat_request_is_the_same_response_for_one_or_three_queries(client, statistic, url,
                                                                       django_assert_num_queries):
    first = client.get(url)
    # The content token: the headers this address varies on (learn_cache_key's list) and the page
    # are this process's copies.
    with django_assert_num_queries(1):
        second = client.get(url)
    # Another process has no copies: it reads both from the shared cache, and keeps copies.
    caches["here"].clear()
    with django_assert_num_queries(3):
        third = client.get(url)
    with django_assert_num_queries(1):
        fourth = client.get(url)
    assert first.status_code == second.status_code == third.status_code == fourth.status_code == 200
    assert [response["X-Page-Cache"] for response in (first, second, third, fourth)] == ["miss", "hit", "hit", "hit"]
    assert second.content == third.content == fourth.content == first.content
    assert second["Content-Type"] == third["Content-Type"] == first["Content-Type"]


def test_a_copy_kept_here_is_a_fresh_response_each_time(client, statistic):
    """The middleware marks the copy it serves (X-Page-Cache): the kept one stays unmarked."""
    client.get("/")
    served = client.get("/")
    served["X-Page-Cache"] = "changed by a later middleware"
    assert client.get("/")["X-Page-Cache"] == "hit"


def test_a_miss_costs_the_token_and_the_pages_own_queries(client, statistic):
    with CaptureQueriesContext(connection) as queries:
        client.get("/statistics/")
    # The token; the page's own 2 (test_explorer.test_query_count_is_fixed); 12 building the facet
    # and figure indexes for this content version, which later misses reuse.
    assert len(content_queries(queries)) == 1 + 2 + 12


def test_a_server_starts_with_the_indexes_built_and_no_page_of_the_last_release(client, statistic, monkeypatch):
    """`make serve-prod` runs `manage.py warm_cache --clear` before gunicorn: the first reader of
    the explorer pays for the token and the page's own 2 queries, not the 12 of the indexes."""
    client.get("/statistics/")

    def new_process():  # keeping nothing of its own
        monkeypatch.setattr(facets.current, "kept", None)
        monkeypatch.setattr(figure_facets.current, "kept", None)
        caches["here"].clear()

    new_process()
    out = io.StringIO()
    call_command("warm_cache", "--clear", stdout=out)
    assert out.getvalue() == "Built the facet and figure indexes and 0 pages.\n"
    new_process()  # a server's worker, which finds the indexes in the shared cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/statistics/")
    assert response["X-Page-Cache"] == "miss"
    assert len(content_queries(queries)) == 1 + 2


def test_warming_an_empty_database_builds_nothing():
    out = io.StringIO()
    call_command("warm_cache", stdout=out)
    assert out.getvalue() == "No content yet: nothing to build.\n"


def test_the_cache_is_shared_by_every_process(client, statistic):
    """The default cache is the database's: another process (here a fresh cache connection, and
    no copies of its own) finds the page one worker stored, packed (compressed) in the shared cache."""
    client.get("/statistics/")
    caches["here"].clear()
    request = RequestFactory().get("/statistics/")
    key = pagecache.get_cache_key(request, key_prefix=token(), method="GET", cache=pagecache._layered)
    packed = caches.create_connection("default").get(key)
    assert isinstance(packed, pagecache.Packed)
    page = packed.unpack()
    assert b"plots disrupted" in page.content and len(packed.data) < len(page.content) / 2


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


@pytest.mark.parametrize("url", ["/briefings/the-briefing/", "/statistics/", "/"])
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
def test_a_committed_change_is_served_at_once(client, statistic, url, change, shows_new, hides_old):
    before = client.get(url).content.decode()
    assert "plots disrupted" in before and "plots stopped" not in before
    change(statistic)
    after = client.get(url).content.decode()
    assert ("plots stopped" in after) == shows_new
    assert ("plots disrupted" not in after) == hides_old


def test_a_new_judgement_is_served_at_once(client, statistic):
    client.get("/briefings/the-briefing/")
    _add_judgement(statistic)
    assert "plots stopped" in client.get("/briefings/the-briefing/").content.decode()


# ------------------------------------------------------------- which changes replace the token


@pytest.mark.django_db(transaction=False)
def test_every_model_a_page_shows_replaces_the_token():
    """A model added to the app later must be listed, or knowingly left out, here and in pagecache."""
    not_shown = {SourceParagraph, ContentVersion}  # rebuilt from Source's save; the token itself
    models = {model for model in apps.get_app_config("briefings").get_models() if not model.__name__.startswith("Historical")}
    assert models - not_shown == set(pagecache.SHOWN_MODELS)
    relations = {field.remote_field.through for model in pagecache.SHOWN_MODELS for field in model._meta.many_to_many}
    assert relations == {relation.through for relation in pagecache.SHOWN_RELATIONS}


@pytest.fixture
def one_of_each(statistic):
    assessment = make_assessment(speech=statistic.speech, source=statistic.source)
    return {
        "speaker": statistic.speech.speaker, "category": assessment.threat, "country": None,
        "speech": statistic.speech, "source": statistic.source, "statistic": statistic, "assessment": assessment,
    }


@pytest.mark.parametrize("name", ["speaker", "category", "speech", "source", "statistic", "assessment"])
def test_saving_each_model_replaces_the_token(one_of_each, name):
    before = token()
    one_of_each[name].save()
    assert token() != before


@pytest.mark.parametrize("make", [make_speaker, make_category, make_country])
def test_creating_and_deleting_replace_the_token(make):
    before = token()
    instance = make()
    created = token()
    instance.delete()
    assert len({before, created, token()}) == 3


@pytest.mark.parametrize("relation", ["speech.threats", "speech.countries", "statistic.countries", "assessment.countries"])
def test_changing_each_many_to_many_relation_replaces_the_token(one_of_each, relation):
    owner, field = relation.split(".")
    target = make_category() if field == "threats" else make_country()
    before = token()
    getattr(one_of_each[owner], field).add(target)
    assert token() != before


def test_a_transaction_replaces_the_token_once(statistic):
    with CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            for value in range(5):
                statistic.value = value
                statistic.save()
            statistic.speech.save()
    replacements = [query for query in queries.captured_queries
                    if "contentversion" in query["sql"].lower() and query["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(replacements) == 1


def test_each_commit_replaces_the_token(statistic):
    tokens = {token()}
    for value in range(3):
        with transaction.atomic():
            statistic.value = value
            statistic.save()
        tokens.add(token())
    assert len(tokens) == 4


def test_uncommitted_changes_are_neither_served_from_nor_stored_in_the_cache(client, statistic):
    client.get("/briefings/the-briefing/")  # cached before the change
    before = token()
    with transaction.atomic():
        _edit_measure(statistic)  # not committed yet
        assert token() == before
        assert "plots stopped" in client.get("/briefings/the-briefing/").content.decode()
        transaction.set_rollback(True)
    assert "plots disrupted" in client.get("/briefings/the-briefing/").content.decode()


def test_a_rolled_back_change_keeps_the_token_and_later_changes_still_replace_it(statistic):
    before = token()
    with transaction.atomic():
        _edit_measure(statistic)
        transaction.set_rollback(True)
    assert token() == before
    statistic.refresh_from_db()  # the copy still carries the rolled-back version, which save() would refuse
    with transaction.atomic():
        _unpublish(statistic)
    assert token() != before


def test_a_rolled_back_savepoint_leaves_the_outer_change_to_replace_the_token(statistic):
    before = token()
    with transaction.atomic():
        try:
            with transaction.atomic():
                _edit_measure(statistic)
                raise RuntimeError
        except RuntimeError:
            statistic.refresh_from_db()
        _unpublish(statistic)
    assert token() != before


# ------------------------------------------------------------- what the key tells apart


def test_vary_names_every_htmx_header_the_key_uses(client, statistic):
    vary = {name.strip() for name in client.get("/").headers["Vary"].split(",")}
    assert {"HX-Request", "HX-Boosted", "HX-History-Restore-Request"} <= vary


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
    """The pages the page cache stores during a test (not the header lists it learns)."""
    pages = []
    real_set = cache.set

    def record(key, value, *args, **kwargs):
        if isinstance(value, pagecache.Packed) and isinstance(value.unpack(), HttpResponse):
            pages.append(key)
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", record)
    return pages


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

    view(RequestFactory().get("/anything/"))
    view(RequestFactory().get("/anything/"))
    return len(calls)


def test_responses_that_set_a_cookie_or_stream_or_fail_are_built_every_time(statistic, stored):
    def with_cookie():
        response = HttpResponse("personal")
        response.set_cookie("seen", "yes")
        return response

    assert _cached_call(with_cookie) == 2
    assert _cached_call(lambda: StreamingHttpResponse(iter(["a", "b"]))) == 2
    assert _cached_call(lambda: HttpResponse("bad", status=400)) == 2
    assert _cached_call(lambda: HttpResponse("x" * pagecache.MAX_PAGE_BYTES + "x")) == 2
    assert _cached_call(lambda: HttpResponse("fine")) == 1
    assert len(stored) == 1


def test_without_a_token_nothing_is_cached(client, statistic, stored):
    """A database emptied by flush has no token until the next committed change: pages are built every time."""
    ContentVersion.objects.all().delete()
    client.get("/statistics/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/statistics/")
    # The missing token, then the whole page, building the indexes for itself (test_explorer).
    assert len(queries.captured_queries) == 1 + 2 + 12
    assert stored == []


def _at_once(view, count, **headers):
    """`count` threads request /at-once/ from `view` at the same moment; their responses."""
    gate = threading.Barrier(count)
    responses = []

    def ask():
        try:
            gate.wait()
            responses.append(view(RequestFactory().get("/at-once/", headers=headers)))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _slow_view(calls, response=lambda: HttpResponse("built once")):
    @pagecache.cached_page
    def view(request):
        calls.append(request)
        time.sleep(0.2)  # long enough for every other reader to arrive while it builds
        return response()

    return view


def test_readers_asking_at_once_for_a_missing_page_have_it_built_once(statistic):
    """Every reader after a change asks for pages nobody has built since: those asking for the
    same one at the same time, in any process, wait for the first to build it."""
    calls = []
    responses = _at_once(_slow_view(calls), 4)
    assert len(calls) == 1
    assert [response.content for response in responses] == [b"built once"] * 4
    assert sorted(response["X-Page-Cache"] for response in responses) == ["hit", "hit", "hit", "miss"]
    # The htmx fragment of the same address is a different page: built on its own.
    _at_once(_slow_view(calls), 2, HX_Request="true")
    assert len(calls) == 2


def test_readers_waiting_for_a_page_that_cannot_be_stored_build_it_themselves(statistic, settings):
    """A failed or uncacheable build releases its claim: the waiting readers are not held for
    BUILD_WAIT, and a build that raised does not hold up the next reader either."""
    calls = []
    started = time.monotonic()
    responses = _at_once(_slow_view(calls, lambda: HttpResponse("bad", status=400)), 3)
    assert len(calls) == 3 and [response.status_code for response in responses] == [400] * 3
    assert time.monotonic() - started < pagecache.BUILD_WAIT

    def broken():
        raise ValueError("the page failed")

    with pytest.raises(ValueError):
        _slow_view(calls, broken)(RequestFactory().get("/at-once/"))
    assert pagecache.claim(pagecache._page_claim(RequestFactory().get("/at-once/"), token()))


def test_a_page_built_between_a_readers_look_and_its_claim_is_not_built_again():
    """The builder stores its copy, then releases its claim: a reader who looked just before the
    copy was stored and claims just after the release finds the copy on a second look."""
    looks = iter([None, "the copy"])
    assert pagecache.await_built("between", lambda: next(looks)) == ("the copy", None)
    assert pagecache.claim("between")  # and the claim it took for that look is released


def test_a_writers_transaction_never_locks_the_token_row(statistic):
    """Replacing the token inside the writer's transaction would hold its row lock until commit:
    every curator's save would queue behind every other, and two saves locking rows in opposite
    orders (a source, then the token; the token, then that source) would deadlock."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        _edit_measure(statistic)
        statistic.speech.countries.add(make_country())
    assert not [query for query in queries.captured_queries if "contentversion" in query["sql"].lower()]


# ------------------------------------------------------------- the busiest pages, rebuilt after a change


def test_a_commit_starts_rebuilding_the_busiest_pages(statistic, settings, monkeypatch):
    started = []
    monkeypatch.setattr(pagecache, "start_warming", lambda: started.append(token()))
    settings.PAGE_CACHE_WARM = True
    with transaction.atomic():
        _edit_measure(statistic)
        statistic.speech.save()
        assert started == []  # not before the commit
    assert started == [token()]  # once, after the token was replaced


def test_rebuilt_pages_are_served_from_the_cache(client, statistic, django_assert_num_queries):
    """Every single filter is rebuilt, as a page and as the filter panel's fragment."""
    terrorism = make_category(slug="terrorism", name="Terrorism")
    cyber = make_category(slug="cyber", name="Cyber", parent=terrorism)
    iran = make_country(slug="iran", name="Iran")
    statistic.speech.threats.add(terrorism, cyber)
    statistic.speech.countries.add(iran)
    urls = pagecache.warm_urls()
    assert {"/", "/statistics/", "/?threat=terrorism", "/?threat=cyber", "/?country=iran", "/?kind=speech",
            f"/?speaker={statistic.speech.speaker.slug}"} <= set(urls)
    assert pagecache.warm_pages(["http://testserver"]) == 2 * len(urls)
    for url in ["/", "/?threat=cyber", "/?country=iran", f"/?speaker={statistic.speech.speaker.slug}"]:
        for headers in ({}, {"HX-Request": "true"}):
            with django_assert_num_queries(1):  # the token: the header list and the page are kept here
                response = client.get(url, headers=headers)
            assert response["X-Page-Cache"] == "hit" and "The briefing" in response.content.decode()


def test_warming_runs_in_a_thread_and_builds_for_the_origins_seen(client, statistic, settings):
    client.get("/", HTTP_HOST="testserver")  # this process has served http://testserver
    _edit_measure(statistic)
    settings.PAGE_CACHE_WARM_ORIGINS = []
    pagecache.start_warming()
    with pagecache._warming:  # held by the thread until it has built every page
        pass
    with CaptureQueriesContext(connection) as queries:
        assert "plots stopped" in client.get("/statistics/").content.decode()
    assert len(queries.captured_queries) == 1  # the token: the header list and the page are kept here


# ------------------------------------------------------------- aggregates reused across pages


def test_later_pages_reuse_the_first_pages_aggregates(client):
    """The year counts, facet counts, matrix counts, digests and coverage come from the facet
    index, which the first page after a change builds (10 queries) and every later page and
    fragment reuses while the content token is unchanged, and the filter panel's option lists
    with it. A page's own queries: the token, the page's briefings with their threats,
    countries, judgements and figures, and the judgements of the matrix's uncrowded cells.
    (Counted at once: each request clears the connection's query log.)"""
    make_corpus(40)
    with CaptureQueriesContext(connection) as first:
        client.get("/?page=2")
    from_nothing = len(content_queries(first))
    client.get("/")
    with CaptureQueriesContext(connection) as later:
        response = client.get("/?page=3")
    assert from_nothing == 1 + 10 + 5 + 1
    assert len(content_queries(later)) == 1 + 5 + 1
    assert 'class="matrix"' in response.content.decode() and "40 briefings." in response.content.decode()


def test_reused_aggregates_follow_the_filters_and_the_content(client, statistic):
    speech = statistic.speech
    assert "1 briefing." in client.get("/").content.decode()
    assert "No briefings match" in client.get("/?kind=video").content.decode()
    speech.kind = "video"
    speech.save()
    assert "1 briefing matches the filters." in client.get("/?kind=video&page=1").content.decode()


# ------------------------------------------------------------- timeline cards kept


def _cards_html(html):
    return re.findall(r'<article class="card">.*?</article>', html, flags=re.S)


def test_a_briefings_card_is_fetched_and_rendered_once_for_every_page_showing_it(client):
    """The parts of a briefing's card (its head, judgements and figures, each rendered) are kept
    in each process (CACHES["cards"]): another page showing the briefing, whatever its filters,
    skips the 5 queries of the page's briefings and renders only the card's composition."""
    make_corpus(6)
    first = client.get("/").content.decode()
    pagecache.cache.clear()
    caches["here"].clear()
    with CaptureQueriesContext(connection) as kept:
        again = client.get("/?from=2000&to=2019").content.decode()
    # The token and the matrix's judgements (the facet index is kept in the
    # process for the content version): not the briefings and their 4 prefetches.
    assert len(content_queries(kept)) == 1 + 1
    assert len(_cards_html(first)) == 6 and _cards_html(again) == _cards_html(first)
    # Built afresh, a card is the same HTML.
    for name in ("default", "here", "cards"):
        caches[name].clear()
    with CaptureQueriesContext(connection) as built:
        afresh = client.get("/?from=2000&to=2019").content.decode()
    assert len(content_queries(built)) == len(content_queries(kept)) + 5
    assert afresh == again


def test_a_card_shows_the_chosen_threat_and_country_first_from_the_same_kept_parts(client):
    """A card puts its figures and judgements about the chosen threat and country first. The
    parts kept for the front page serve a country's page and a search too (no query for the
    briefings), each composed in its own order, with the search's passages."""
    iran, russia = make_country(slug="iran", name="Iran"), make_country(slug="russia", name="Russia")
    terrorism, cyber = make_category(slug="terrorism", name="Terrorism"), make_category(slug="cyber", name="Cyber")
    speech = make_speech(countries=[iran, russia], threats=[terrorism, cyber])
    for n in range(4):
        make_statistic(speech=speech, measure=f"measure {n}", countries=[iran] if n == 3 else [russia])
    for n, threat in enumerate([terrorism, terrorism, terrorism, cyber]):
        make_assessment(speech=speech, threat=threat, summary=f"judgement {n}", quote=f"Quote {n}.")
    front = client.get("/").content.decode()
    assert "measure 3" not in _cards_html(front)[0] and "judgement 3" not in _cards_html(front)[0]

    def without_the_briefings(url):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert not [sql for sql in content_queries(queries) if "briefings_speech_threats" in sql]
        return _cards_html(html)[0]

    about_iran = without_the_briefings("/?country=iran")
    assert about_iran.index("measure 3") < about_iran.index("measure 0")
    assert "measure 3" not in without_the_briefings("/?country=russia")
    about_cyber = without_the_briefings("/?threat=cyber")
    assert about_cyber.index("judgement 3") < about_cyber.index("judgement 0")
    searched = without_the_briefings("/?q=plots")  # a word of the sources' text (factories.make_source)
    assert 'class="passages"' in searched and "measure 3" not in searched


def test_the_facet_index_follows_every_committed_change_and_is_kept_between_them(client, statistic, monkeypatch):
    """The timeline's counts come from the facet index kept per content token: tagging a briefing
    (an m2m change), publishing a draft and withdrawing a briefing each show on the next page, and
    between changes the index is not rebuilt."""
    from briefings import facets

    cyber = make_category(slug="cyber", name="Cyber")
    builds = []
    real_build = facets.build
    monkeypatch.setattr(facets.current, "build", lambda token=None: builds.append(token) or real_build(token))

    assert "No briefings match these filters" in client.get("/?threat=cyber").content.decode()
    before = len(builds)
    client.get("/?kind=video")  # another address, the same content: the kept index answers
    assert len(builds) == before == 1

    statistic.speech.threats.add(cyber)
    assert "1 briefing matches the filters." in client.get("/?threat=cyber").content.decode()
    assert len(builds) == 2

    draft = make_speech(slug="draft", title="A draft", status=Status.DRAFT, threats=[cyber])
    assert "1 briefing matches the filters." in client.get("/?threat=cyber&page=1").content.decode()
    draft.status = Status.PUBLISHED
    draft.save()
    assert "2 briefings match the filters." in client.get("/?threat=cyber").content.decode()

    withdrawn = statistic.speech
    withdrawn.status = Status.DRAFT
    withdrawn.save()
    html = client.get("/?threat=cyber").content.decode()
    assert "1 briefing matches the filters." in html and "A draft" in html and "The briefing" not in html


def test_the_figure_index_follows_every_committed_change_and_is_kept_between_them(client, statistic, monkeypatch):
    """The explorer's and the statistics API's counts come from the figure index kept per content
    token: a new figure, a changed measure and a withdrawn briefing each show on the next request,
    and between changes the index is not rebuilt."""
    from briefings import figure_facets

    builds = []
    real_build = figure_facets.build
    monkeypatch.setattr(figure_facets.current, "build", lambda token=None: builds.append(token) or real_build(token))

    assert client.get("/api/statistics.json").json()["count"] == 1
    client.get("/statistics/?whose=speaker")  # another address, the same content: the kept index answers
    assert len(builds) == 1

    make_statistic(speech=statistic.speech, measure="plots disrupted", value=40, value_text="40")
    assert ">2 figures.<" in client.get("/statistics/").content.decode()
    assert len(builds) == 2
    assert client.get("/api/statistics.json?measure=plots+disrupted").json()["count"] == 2

    statistic.measure = "plots stopped"
    statistic.save()
    assert client.get("/api/statistics.json?measure=plots+disrupted").json()["count"] == 1
    assert client.get("/api/statistics.json?measure=plots+stopped").json()["count"] == 1

    speech = statistic.speech
    speech.status = Status.DRAFT
    speech.save()
    assert client.get("/api/statistics.json").json()["count"] == 0
    assert ">0 figures.<" in client.get("/statistics/").content.decode()
    assert len(builds) == 4  # one per content version
