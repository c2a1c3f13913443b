"""The figure index (briefings/figure_facets.py) answers what a plain reading of the rows answers:
the explorer's counts beside each option, the number of figures, each measure's figures and
briefings, and the page of the table in the explorer's order.

Random corpora (parents and children, several countries, speakers and kinds, undated and draft
briefings, draft figures, figures without a threat, ties on date, a measure quoted twice in one
briefing, measures that differ only in case) are compared, for hundreds of filter combinations,
with answers worked out here in Python from the model instances: an independent reference, not
the code under test run twice.
"""

import datetime
import random
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from briefings import figure_facets, selectors
from briefings.forms import ExplorerForm, Filters
from briefings.models import Attribution, Speech, Statistic, Status, ThreatCategory
from tests.factories import make_category, make_country, make_source, make_speaker, make_speech, make_statistic
from tests.test_facets import briefing_checks

pytestmark = pytest.mark.django_db

MEASURES = ["arrests", "plots disrupted", "MI5 staff", "mi5 staff", "Ärzte", "cases"]


def build_corpus(rng, n=60):
    parents = [make_category(position=i) for i in range(3)]
    children = [make_category(parent=parents[i], position=10 + 2 * i + j) for i in range(2) for j in range(2)]
    categories = parents + children
    countries = [make_country() for _ in range(4)]
    speakers = [make_speaker() for _ in range(3)]
    for i in range(n):
        # Few dates, so that several briefings share one; some undated.
        date = None if rng.random() < 0.1 else datetime.date(rng.choice([2001, 2002, 2005, 2010]), 1, rng.choice([1, 2]))
        speech = make_speech(speaker=rng.choice(speakers), date=date, kind=rng.choice(Speech.Kind.values),
                             title=f"Briefing {i}", status=Status.DRAFT if rng.random() < 0.15 else Status.PUBLISHED)
        source = make_source(speech=speech)
        for value in range(rng.randint(0, 5)):  # a measure may come twice in one briefing
            make_statistic(speech=speech, source=source, threat=rng.choice([None, *categories]), value=value,
                           measure=rng.choice(MEASURES), attribution=rng.choice(Attribution.values),
                           status=Status.DRAFT if rng.random() < 0.2 else Status.PUBLISHED,
                           countries=rng.sample(countries, rng.randint(0, 2)))
    # Figures added later to earlier briefings: a briefing's ids are not all neighbours.
    speeches = list(Speech.objects.all())
    for value in range(10, 30):
        make_statistic(speech=rng.choice(speeches), measure=rng.choice(MEASURES), value=value,
                       threat=rng.choice([None, *categories]), countries=rng.sample(countries, rng.randint(0, 2)))
    return categories, countries, speakers


class Reference:
    """The explorer's numbers read straight off the rows."""

    def __init__(self, categories):
        self.categories = categories
        self.figures = list(Statistic.objects.published().select_related("speech").prefetch_related("countries"))
        self.countries = {figure.pk: {country.pk for country in figure.countries.all()} for figure in self.figures}

    def matches(self, figure, filters, matched, skip=None):
        checks = {
            "threat": not filters.threats
            or figure.threat_id in selectors.expand_threats(filters.threats, self.categories),
            "country": not filters.countries
            or bool(self.countries[figure.pk] & {country.pk for country in filters.countries}),
            "whose": not filters.whose or figure.attribution in filters.whose,
            "measure": not filters.measure or figure.measure == filters.measure,
            **briefing_checks(figure.speech, filters, matched),
        }
        return all(ok for name, ok in checks.items() if name != skip)

    def selected(self, filters, matched, skip=None):
        return [figure for figure in self.figures if self.matches(figure, filters, matched, skip)]

    def counts(self, filters, matched):
        by_threat = self.selected(filters, matched, "threat")
        threats = {}
        for category in self.categories:
            group = {category.pk} | {c.pk for c in self.categories
                                     if c.parent_id == category.pk and category.parent_id is None}
            threats[category.pk] = sum(figure.threat_id in group for figure in by_threat)
        countries = Counter(c for figure in self.selected(filters, matched, "country") for c in self.countries[figure.pk])
        whose = Counter(figure.attribution for figure in self.selected(filters, matched, "whose"))
        measures = Counter(figure.measure for figure in self.selected(filters, matched, "measure"))
        return threats, dict(countries), dict(whose), dict(measures), len(self.selected(filters, matched))

    def series(self, filters, matched):
        figures, briefings = Counter(), defaultdict(set)
        for figure in self.selected(filters, matched):
            figures[figure.measure] += 1
            briefings[figure.measure].add(figure.speech_id)
        return {measure: (figures[measure], len(briefings[measure])) for measure in figures
                if len(briefings[measure]) >= 2}

    def table(self, filters, matched):
        """Newest briefing first, undated last; a briefing's figures together, in curation order."""
        def order(figure):
            date = figure.speech.date
            return date is None, -(date.toordinal() if date else 0), figure.speech_id, figure.pk

        return [figure.pk for figure in sorted(self.selected(filters, matched), key=order)]


def random_filters(rng, categories, countries, speakers, speech_ids):
    chosen = {}
    if rng.random() < 0.5:
        chosen["threats"] = tuple(rng.sample(categories, rng.randint(1, 2)))
    if rng.random() < 0.5:
        chosen["countries"] = tuple(rng.sample(countries, rng.randint(1, 2)))
    if rng.random() < 0.4:
        chosen["whose"] = tuple(rng.sample(Attribution.values, rng.randint(1, 2)))
    if rng.random() < 0.3:
        chosen["measure"] = rng.choice([*MEASURES, "never used"])
    if rng.random() < 0.2:
        chosen["speaker"] = rng.choice(speakers)
    if rng.random() < 0.2:
        chosen["kind"] = rng.choice(Speech.Kind.values)
    if rng.random() < 0.3:
        chosen["year_from"] = rng.choice([None, 2001, 2002, 2005])
        chosen["year_to"] = rng.choice([None, 2002, 2005, 2010])
    matched = set()
    if rng.random() < 0.3:
        chosen["q"] = "anything"
        matched = set(rng.sample(speech_ids, rng.randint(0, len(speech_ids))))
    return Filters(**chosen), matched


@pytest.mark.parametrize("corpus_seed", [1, 2, 3])
def test_the_index_counts_what_the_rows_say_for_every_combination_of_filters(corpus_seed):
    rng = random.Random(corpus_seed)
    categories, countries, speakers = build_corpus(rng)
    categories = list(ThreatCategory.objects.order_by("position", "name"))
    speech_ids = list(Speech.objects.values_list("pk", flat=True))
    index = figure_facets.build()
    reference = Reference(categories)
    assert len(reference.figures) > 60
    for _ in range(150):
        filters, matched = random_filters(rng, categories, countries, speakers, speech_ids)
        selection = index.select(filters, matched, categories=categories)
        counts = selection.counts(categories)
        threats, by_country, whose, measures, total = reference.counts(filters, matched)
        assert counts.threats == threats, filters
        assert counts.countries == by_country, filters
        assert counts.whose == whose, filters
        assert dict(counts.measures) == measures, filters
        assert counts.total == selection.count() == total, filters
        assert {measure: (figures, briefings) for measure, figures, briefings in selection.series()} \
            == reference.series(filters, matched), filters
        table = reference.table(filters, matched)
        assert selection.ids(0, len(table) + 5) == table, filters
        offset = rng.randint(0, len(table))
        assert selection.ids(offset, 7) == table[offset:offset + 7], filters


def test_a_measure_quoted_twice_in_a_briefing_counts_one_briefing():
    """Each measure's briefings are counted on the index by one addition per measure
    (FigureIndex.briefings); two figures of one measure in one briefing, next to each other or
    not, with the briefing's first and last figures selected or not."""
    one, two = make_speech(date=datetime.date(2020, 1, 1)), make_speech(date=datetime.date(2019, 1, 1))
    make_statistic(speech=one, measure="arrests", value=1, attribution=Attribution.SPEAKER)
    make_statistic(speech=one, measure="plots", attribution=Attribution.SPEAKER)
    make_statistic(speech=one, measure="arrests", value=2, attribution=Attribution.PARAPHRASE)
    make_statistic(speech=two, measure="arrests", attribution=Attribution.PARAPHRASE)
    index = figure_facets.build()
    assert index.select(Filters(), categories=[]).series() == [("arrests", 3, 2)]
    assert index.select(Filters(whose=("paraphrase",)), categories=[]).series() == [("arrests", 2, 2)]
    assert index.select(Filters(whose=("speaker",)), categories=[]).series() == []  # 2 figures, 1 briefing


def test_measures_are_listed_alphabetically_ignoring_case():
    for measure in ["plots", "MI5 staff", "arrests", "mi5 staff", "Arrests"]:
        make_statistic(measure=measure)
    counts = figure_facets.build().select(Filters(), categories=[]).counts([])
    assert [measure for measure, _n in counts.measures] == ["Arrests", "arrests", "MI5 staff", "mi5 staff", "plots"]


def test_the_index_is_built_in_two_queries_whatever_the_number_of_figures():
    for i in range(3):
        make_statistic(speech=make_speech(date=datetime.date(2000 + i, 1, 1)), countries=[make_country()])
    with CaptureQueriesContext(connection) as small:
        figure_facets.build()
    for i in range(40):
        make_statistic(speech=make_speech(date=datetime.date(1950 + i, 1, 1)), countries=[make_country()])
    with CaptureQueriesContext(connection) as larger:
        index = figure_facets.build()
    assert len(small) == len(larger) == 2
    assert index.select(Filters(), categories=[]).count() == 43


def test_an_empty_record_has_an_empty_index():
    make_statistic(speech=make_speech(status=Status.DRAFT))
    selection = figure_facets.build().select(Filters(), categories=[])
    assert selection.count() == 0 and selection.ids(0, 100) == [] and selection.series() == []
    assert selection.counts([]).measures == []


QUERIES = [
    "",
    "threat=terrorism",
    "threat=islamist-terrorism",
    "threat=terrorism&threat=espionage",
    "country=iran",
    "country=iran&country=china",
    "whose=speaker",
    "whose=paraphrase&whose=background",
    "measure=mi5 staff",
    "speaker=ken-mccallum",
    "kind=speech&country=iran",
    "from=2015&to=2022&whose=speaker&threat=terrorism",
    "q=plots",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_explorer_shows_as_many_figures_as_match(client, seeded, query):
    """On the curated record, through the page: the number the explorer prints is the number of
    rows the table's own query finds."""
    html = client.get(f"/statistics/?{query}").content.decode()
    form = ExplorerForm(QueryDict(query))
    assert form.is_valid(), form.errors
    total = selectors.filter_statistics(form.filters(), categories=ThreatCategory.objects.all()).count()
    assert f"{total} figure{'s' if total != 1 else ''}" in html


def test_published_statistics_finds_the_figures_shown(seeded):
    """published_statistics() writes "published" without the join to the briefing (for the
    briefings API's figure counts): the same rows."""
    make_statistic(speech=make_speech(status=Status.DRAFT))
    make_statistic(status=Status.DRAFT)
    shown = set(Statistic.objects.published().values_list("pk", flat=True))
    assert set(selectors.published_statistics().values_list("pk", flat=True)) == shown
    assert Statistic.objects.exclude(pk__in=shown).count() == 2
