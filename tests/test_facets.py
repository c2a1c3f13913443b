"""The facet index (briefings/facets.py) answers what a plain reading of the rows answers.

Each test builds a varied corpus (parents and children, several countries and speakers, every
kind, undated and draft briefings, draft figures and judgements, judgements about zero to two
countries, blank trends, ties on date) and compares the index's counts, for hundreds of filter
combinations, with counts worked out here in Python straight from the model instances: an
independent reference, not the code under test run twice.
"""

import datetime
import random
import threading
import time
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from briefings import facets, figure_facets, pagecache, selectors
from briefings.forms import Filters
from briefings.models import Assessment, Source, Speech, Statistic, Status
from tests.factories import (
    make_assessment,
    make_category,
    make_country,
    make_source,
    make_speaker,
    make_speech,
    make_statistic,
)

TRENDS = ["rising", "steady", "falling", ""]


def build_corpus(rng, n=70):
    parents = [make_category(position=i) for i in range(3)]
    children = [make_category(parent=parents[i], position=10 + 2 * i + j) for i in range(2) for j in range(2)]
    categories = parents + children
    countries = [make_country() for _ in range(4)]
    speakers = [make_speaker() for _ in range(3)]
    used = set()
    for _ in range(n):
        date = None if rng.random() < 0.1 else datetime.date(rng.choice([2001, 2002, 2005, 2006, 2010]),
                                                              rng.randint(1, 12), rng.choice([1, 15]))
        speaker = rng.choice(speakers)
        title = f"Briefing {rng.randint(1, 30)}"  # titles repeat: ties on date and title are broken by id
        while (speaker.pk, date, title) in used:  # but a speaker's briefing is unique by date and title
            title += "+"
        used.add((speaker.pk, date, title))
        speech = make_speech(
            speaker=speaker, date=date, kind=rng.choice(Speech.Kind.values), title=title,
            status=Status.DRAFT if rng.random() < 0.15 else Status.PUBLISHED,
            threats=rng.sample(categories, rng.randint(0, 3)), countries=rng.sample(countries, rng.randint(0, 3)),
        )
        source = make_source(speech=speech, role=rng.choice([Source.Role.PRIMARY, Source.Role.NEWS_REPORT]))
        for value in range(rng.randint(0, 4)):
            make_statistic(speech=speech, source=source, threat=rng.choice([None, *categories]), value=value,
                           status=Status.DRAFT if rng.random() < 0.2 else Status.PUBLISHED,
                           countries=rng.sample(countries, rng.randint(0, 2)))
        for k in range(rng.randint(0, 3)):
            make_assessment(speech=speech, source=source, threat=rng.choice(categories), trend=rng.choice(TRENDS),
                            quote=f"Judgement {k}.",
                            status=Status.DRAFT if rng.random() < 0.2 else Status.PUBLISHED,
                            countries=rng.sample(countries, rng.randint(0, 2)))
    return categories, countries, speakers


def briefing_checks(speech, filters, matched):
    """Whether `speech` passes each of the briefing's own filters (`matched`: the ids matching `q`)."""
    year = speech.date.year if speech.date else None
    return {
        "speaker": filters.speaker is None or speech.speaker_id == filters.speaker.pk,
        "kind": not filters.kind or speech.kind == filters.kind,
        "years": (filters.year_from is None and filters.year_to is None) or (
            year is not None and (filters.year_from is None or year >= filters.year_from)
            and (filters.year_to is None or year <= filters.year_to)),
        "q": not filters.q or speech.pk in matched,
    }


class Reference:
    """The timeline's numbers read straight off the rows."""

    def __init__(self, categories):
        self.categories = categories
        self.speeches = sorted(
            Speech.objects.published().prefetch_related("threats", "countries"),
            key=lambda s: (s.date is None, -(s.date.toordinal() if s.date else 0), s.title, s.pk),
        )
        self.tags = {s.pk: ({t.pk for t in s.threats.all()}, {c.pk for c in s.countries.all()}) for s in self.speeches}
        self.judgements = list(Assessment.objects.published().prefetch_related("countries"))
        self.figures = list(Statistic.objects.published().exclude(threat=None))

    def matches(self, speech, filters, matched, skip=None):
        threats, countries = self.tags[speech.pk]
        wanted = selectors.expand_threats(filters.threats, self.categories)
        checks = {
            "threat": not filters.threats or bool(threats & wanted),
            "country": not filters.countries or bool(countries & {c.pk for c in filters.countries}),
            **briefing_checks(speech, filters, matched),
        }
        return all(ok for name, ok in checks.items() if name != skip)

    def selected(self, filters, matched, skip=None):
        return [s for s in self.speeches if self.matches(s, filters, matched, skip)]

    def facet_counts(self, filters, matched):
        by_threat = self.selected(filters, matched, "threat")
        threats = {}
        for category in self.categories:
            group = {category.pk} | {c.pk for c in self.categories if c.parent_id == category.pk and category.parent_id is None}
            threats[category.pk] = sum(bool(self.tags[s.pk][0] & group) for s in by_threat)
        countries = Counter(c for s in self.selected(filters, matched, "country") for c in self.tags[s.pk][1])
        speakers = Counter(s.speaker_id for s in self.selected(filters, matched, "speaker"))
        kinds = Counter(s.kind for s in self.selected(filters, matched, "kind"))
        return threats, dict(countries), dict(speakers), dict(kinds)

    def judgement_cells(self, filters, matched):
        chosen = {s.pk: s for s in self.selected(filters, matched) if s.date}
        wanted = selectors.expand_threats(filters.threats, self.categories) if filters.threats else None
        countries = {c.pk for c in filters.countries}
        cells = defaultdict(Counter)
        for judgement in self.judgements:
            speech = chosen.get(judgement.speech_id)
            if speech is None or (wanted and judgement.threat_id not in wanted):
                continue
            if countries and not countries & {c.pk for c in judgement.countries.all()}:
                continue
            cells[(judgement.threat_id, speech.date.year)][judgement.trend] += 1
        return cells

    def weights(self, filters, matched, years):
        chosen = {s.pk: (s.date.year if s.date else None) for s in self.selected(filters, matched)}
        weights = defaultdict(Counter)
        for item in [*self.judgements, *self.figures]:
            year = chosen.get(item.speech_id, "not chosen")
            if year in years:
                weights[year][item.threat_id] += 1
        return {year: dict(counts) for year, counts in weights.items()}


def random_filters(rng, categories, countries, speakers, speech_ids):
    chosen = {}
    if rng.random() < 0.5:
        chosen["threats"] = tuple(rng.sample(categories, rng.randint(1, 2)))
    if rng.random() < 0.5:
        chosen["countries"] = tuple(rng.sample(countries, rng.randint(1, 2)))
    if rng.random() < 0.3:
        chosen["speaker"] = rng.choice(speakers)
    if rng.random() < 0.3:
        chosen["kind"] = rng.choice(Speech.Kind.values)
    if rng.random() < 0.3:
        chosen["year_from"] = rng.choice([None, 2001, 2002, 2006])
        chosen["year_to"] = rng.choice([None, 2002, 2005, 2010])
    matched = set()
    if rng.random() < 0.3:
        chosen["q"] = "anything"
        matched = set(rng.sample(speech_ids, rng.randint(0, len(speech_ids))))
    return Filters(**chosen), matched


@pytest.mark.parametrize("corpus_seed", [1, 2, 3])
def test_the_index_counts_what_the_rows_say_for_every_combination_of_filters(db, corpus_seed):
    rng = random.Random(corpus_seed)
    categories, countries, speakers = build_corpus(rng)
    reference = Reference(categories)
    index = facets.build()
    all_ids = list(Speech.objects.values_list("pk", flat=True))  # drafts too: the index must ignore them
    assert reference.speeches, "the corpus has published briefings"
    for _ in range(150):
        filters, matched = random_filters(rng, categories, countries, speakers, all_ids)
        scores = {pk: rng.randint(1, 4) for pk in matched}  # drafts' ids among them
        ranking = index.ranking(scores)
        selection = index.select(filters, ranking, categories=categories)
        expected = reference.selected(filters, matched)

        assert selection.count() == len(expected)
        year_counts = Counter(s.date.year if s.date else None for s in expected)
        assert selection.year_counts() == sorted(year_counts.items(), key=lambda item: (item[0] is None, -(item[0] or 0)))
        offset = rng.randint(0, max(0, len(expected) - 1))
        assert selection.ids(offset, 7) == [s.pk for s in expected[offset:offset + 7]]
        if filters.q:
            by_relevance = sorted(expected, key=lambda s: -scores[s.pk])  # stable: ties stay in timeline order
            assert selection.ranked_ids(ranking, offset, 7) == [s.pk for s in by_relevance[offset:offset + 7]]

        counts = selection.facet_counts(categories)
        threats, by_country, by_speaker, by_kind = reference.facet_counts(filters, matched)
        assert (counts.threats, counts.countries, counts.speakers, counts.kinds) == (threats, by_country, by_speaker, by_kind)

        threat_ids = selectors.expand_threats(filters.threats, categories) if filters.threats else set()
        cells = selection.judgement_counts(threat_ids, {c.pk for c in filters.countries})
        assert {key: +counter for key, counter in cells.items() if +counter} == reference.judgement_cells(filters, matched)

        years = set(rng.sample(sorted(year_counts, key=str), min(2, len(year_counts))))
        assert dict(selection.subject_weights(years)) == reference.weights(filters, matched, years)


def test_a_judgements_years_are_worked_out_once_per_process_and_not_shared(db):
    """The matrix counts each judgement's layers year by year (Tally.by_year), worked out the
    first time and kept by the process; the index pickled for the other processes leaves them
    out, and a process that loads it works them out again to the same counts."""
    import pickle

    categories, _countries, _speakers = build_corpus(random.Random(4))
    index = facets.build()
    selection = index.select(Filters(), categories=categories)
    counts = selection.judgement_counts()
    tally = next(iter(index.judgements.values()))
    assert tally.__dict__["_by_year"] is tally.by_year(index)  # kept: not worked out again
    loaded = pickle.loads(pickle.dumps(index))
    assert all("_by_year" not in tally.__dict__ for tally in loaded.judgements.values())
    assert loaded.select(Filters(), categories=categories).judgement_counts() == counts


def test_the_matrix_lists_the_judgements_of_uncrowded_cells_and_counts_crowded_ones(db):
    rng = random.Random(7)
    categories, countries, speakers = build_corpus(rng, n=40)
    reference = Reference(categories)
    index = facets.build()
    for filters in [Filters(), Filters(countries=(countries[0],)), Filters(threats=(categories[0],))]:
        years, rows = facets.change_over_time(index.select(filters, categories=categories), categories,
                                              threat_ids=selectors.expand_threats(filters.threats, categories),
                                              country_ids={c.pk for c in filters.countries})
        expected = reference.judgement_cells(filters, set())
        assert years == sorted({year for _threat, year in expected})
        seen = {}
        for category, cells in rows:
            for year, cell in zip(years, cells, strict=True):
                if cell.total:
                    seen[(category.pk, year)] = cell
        assert {key: cell.total for key, cell in seen.items()} == {key: sum(c.values()) for key, c in expected.items()}
        for key, cell in seen.items():
            assert cell.trends == {trend: expected[key][trend] for trend in ("rising", "steady", "falling")}
            if cell.crowded:
                assert cell.assessments == []
            else:
                assert len(cell.assessments) == cell.total
                assert all((a.threat_id, a.year) == key for a in cell.assessments)


def test_coverage_counts_published_briefings_their_years_and_their_documents(db):
    rng = random.Random(11)
    categories, _countries, _speakers = build_corpus(rng, n=30)
    published = list(Speech.objects.published())
    coverage = facets.coverage(facets.build())
    assert coverage.briefings == len(published)
    assert coverage.undated == sum(s.date is None for s in published)
    assert coverage.years == sorted({s.date.year for s in published if s.date})
    assert set(coverage.missing) == set(range(coverage.years[0], coverage.years[-1] + 1)) - set(coverage.years)
    roles = dict(Source.Role.choices)
    expected = Counter(roles[role] for role in Source.objects.filter(speech__in=published).values_list("role", flat=True))
    assert dict(coverage.sources) == dict(expected)


def test_the_index_is_built_in_ten_queries_whatever_the_corpus(db):
    rng = random.Random(5)
    build_corpus(rng, n=5)
    with CaptureQueriesContext(connection) as small:
        facets.build()
    build_corpus(random.Random(6), n=40)
    with CaptureQueriesContext(connection) as large:
        facets.build()
    assert len(small.captured_queries) == len(large.captured_queries) == 10


def shared_cache(store, monkeypatch):
    """A stand-in for Django's cache over a dict, what other processes would see, for the
    indexes and for the claims on building them."""

    def add(key, value, timeout):
        mark = object()
        return store.setdefault(key, mark) is mark  # atomic, as the cache's add is

    stand_in = SimpleNamespace(get=store.get, set=lambda key, value, timeout: store.update({key: value}),
                               add=add, delete=lambda key: store.pop(key, None))
    monkeypatch.setattr(facets, "cache", stand_in)
    monkeypatch.setattr(pagecache, "cache", stand_in)


def test_an_index_is_kept_per_content_version_and_built_once_however_many_threads_ask(monkeypatch):
    """No database: `build` is replaced by a slow stand-in that records each build."""
    built = []

    def slow_build(token=None):
        built.append(token)
        time.sleep(0.05)  # long enough for every thread to arrive while the first builds
        return SimpleNamespace(token=token)

    monkeypatch.setattr(facets.current, "build", slow_build)
    monkeypatch.setattr(facets.current, "kept", None)
    shared = {}
    shared_cache(shared, monkeypatch)
    gate = threading.Barrier(6)
    results = []

    def ask():
        gate.wait()
        results.append(facets.current("version-a"))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["version-a"]
    assert len(results) == 6 and all(result is results[0] for result in results)

    assert facets.current("version-a") is results[0]  # the same version: kept, not built again
    assert built == ["version-a"]
    newer = facets.current("version-b")  # a change replaced the token: built again
    assert built == ["version-a", "version-b"] and newer.token == "version-b"
    assert facets.current(None) is not facets.current(None)  # no token: built for each caller, never kept
    assert built[2:] == [None, None]
    assert set(shared) == {f"{facets.current.name}:version-a", f"{facets.current.name}:version-b"}


def test_another_process_loads_the_index_from_the_shared_cache_instead_of_building_it(monkeypatch):
    built = []
    monkeypatch.setattr(facets.current, "build", lambda token=None: built.append(token) or SimpleNamespace(token=token))
    shared = {f"{facets.current.name}:version-c": SimpleNamespace(token="version-c", made_by="another process")}
    shared_cache(shared, monkeypatch)
    monkeypatch.setattr(facets.current, "kept", SimpleNamespace(token="version-b"))
    assert facets.current("version-c").made_by == "another process"
    assert built == []


def test_processes_asking_at_once_build_the_index_once(monkeypatch):
    """Each Kept stands for the index of one worker process; they share only the cache. The
    first to claim the build makes it, and the others wait for its copy instead of building
    the same index again."""
    built = []

    def slow_build(token=None):
        built.append(token)
        time.sleep(0.1)
        return SimpleNamespace(token=token)

    shared = {}
    shared_cache(shared, monkeypatch)
    processes = [facets.Kept("facet-index", slow_build, facets.FacetIndex) for _ in range(4)]
    gate = threading.Barrier(len(processes))
    results = []

    def ask(process):
        gate.wait()
        results.append(process("version-d"))

    threads = [threading.Thread(target=ask, args=(process,)) for process in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["version-d"] and len(results) == 4
    assert {result.token for result in results} == {"version-d"}
    assert set(shared) == {f"{processes[0].name}:version-d"}  # the claim released


def test_a_claim_left_by_a_dead_builder_delays_but_never_blocks(monkeypatch):
    """A process killed while building never releases its claim: the next caller waits at most
    BUILD_WAIT for it, then builds the index itself."""
    kept = facets.Kept("facet-index", lambda token=None: SimpleNamespace(token=token), facets.FacetIndex)
    shared = {f"building:{kept.name}:version-e": 1}
    shared_cache(shared, monkeypatch)
    monkeypatch.setattr(pagecache, "BUILD_WAIT", 0.1)
    started = time.monotonic()
    assert kept("version-e").token == "version-e"
    assert time.monotonic() - started >= 0.1
    assert f"{kept.name}:version-e" in shared


def test_an_index_left_in_the_shared_cache_by_a_release_with_other_fields_is_not_loaded():
    """The shared cache outlives a release: an index pickled with other fields would load
    without the new ones (as a FacetIndex without its option lists did). Its key names the
    fields of the index's class."""
    from dataclasses import make_dataclass

    before = make_dataclass("FacetIndex", ["token", "ids"])
    after = make_dataclass("FacetIndex", ["token", "ids", "lists"])
    assert facets.Kept("facet-index", facets.build, before).name != facets.Kept("facet-index", facets.build, after).name
    assert facets.Kept("facet-index", facets.build, after).name == facets.Kept("facet-index", facets.build, after).name
    assert facets.current.name != figure_facets.current.name


def test_an_empty_record_has_an_empty_index(client, db):
    """Before anything is published (a new installation, or every briefing still a draft)."""
    make_speech(status=Status.DRAFT)
    index = facets.build()
    selection = index.select(Filters(), categories=[])
    assert (selection.count(), selection.year_counts(), selection.ids(0, 10)) == (0, [], [])
    assert facets.coverage(index).briefings == 0 and index.years_held() == []
    assert "0 briefings." in client.get("/").content.decode()


def test_positions_stop_at_their_limit_and_keep_their_offset():
    """A page's ids are read off a set of maybe 100,000 bits: only as many positions as the
    page needs are looked for (the explorer's first page was 13 ms of finding every one)."""
    from briefings.facets import _bits, _positions

    bits = _bits([1, 2, 4, 9, 700], 100)
    assert _positions(bits) == [1, 2, 4, 9, 700]
    assert _positions(bits, offset=16, limit=3) == [17, 18, 20]
    assert _positions(bits, limit=0) == []
    assert _positions(bits, limit=10) == [1, 2, 4, 9, 700]
