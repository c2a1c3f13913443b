"""The statistics explorer's counts (selectors.figure_facet_counts) are summed from one grouped
query and counted without joining the briefing: they must be exactly what counting each facet
over the figures as shown gives, unpublished figures and briefings left out."""

import datetime

import pytest
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import QueryDict

from briefings import selectors
from briefings.forms import ExplorerForm
from briefings.models import Attribution, Country, Speech, Statistic, Status, ThreatCategory

from .factories import make_speech, make_statistic

pytestmark = pytest.mark.django_db


def counted_one_by_one(filters, categories):
    """Each facet counted by its own query over the figures as the table shows them (the join to
    the briefing, as Statistic.objects.published()), and the total by COUNT: the reference."""

    def others(name):
        return selectors.filter_statistics(filters.without(name), categories=categories).order_by()

    direct = dict(others("threat").values_list("threat_id").annotate(n=Count("id")))
    threats = {category.pk: direct.get(category.pk, 0) for category in categories}
    for category in categories:
        if category.parent_id in threats:
            threats[category.parent_id] += direct.get(category.pk, 0)
    countries = dict(
        Statistic.countries.through.objects.filter(statistic__in=others("country"))
        .values_list("country_id").annotate(n=Count("statistic_id")).order_by()
    )
    whose = dict(others("whose").values_list("attribution").annotate(n=Count("id")))
    measures = list(others("measure").values_list("measure").annotate(n=Count("id"))
                    .order_by(Lower("measure"), "measure"))
    total = selectors.filter_statistics(filters, categories=categories).count()
    return threats, countries, whose, measures, total


@pytest.fixture
def corpus(seeded):
    """The curated figures, and what the counts must leave out or keep apart: a draft figure and a
    draft briefing's figure (both with a threat and countries), a figure without a threat, and two
    measures that differ only in case."""
    iran, china = Country.objects.get(slug="iran"), Country.objects.get(slug="china")
    islamist = ThreatCategory.objects.get(slug="islamist-terrorism")
    espionage = ThreatCategory.objects.get(slug="espionage")
    draft_briefing = make_speech(status=Status.DRAFT, date=datetime.date(2019, 5, 1))
    make_statistic(speech=draft_briefing, threat=islamist, measure="MI5 staff", countries=[iran, china])
    make_statistic(status=Status.DRAFT, threat=espionage, measure="mi5 staff", countries=[china],
                   attribution=Attribution.PARAPHRASE)
    make_statistic(threat=None, measure="mi5 staff", countries=[iran], attribution=Attribution.BACKGROUND)
    make_statistic(threat=islamist, measure="MI5 staff", value=3, value_text="3")


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
    "measure=MI5 staff&threat=islamist-terrorism",
    "speaker=ken-mccallum",
    "kind=speech&country=iran",
    "from=2015&to=2022&whose=speaker&threat=terrorism",
    "threat=terrorism&country=iran&whose=speaker&measure=MI5 staff",
    "q=plots",
]


@pytest.mark.parametrize("query", QUERIES)
def test_figure_counts_are_those_of_each_facet_counted_alone(corpus, query):
    form = ExplorerForm(QueryDict(query))
    assert form.is_valid(), form.errors
    categories = selectors.filter_options()["categories"]
    counts = selectors.figure_facet_counts(form.filters(), categories)
    threats, countries, whose, measures, total = counted_one_by_one(form.filters(), categories)
    assert counts.threats == threats
    assert counts.countries == countries
    assert counts.whose == whose
    assert counts.measures == measures  # in the same order too
    assert counts.total == total


@pytest.mark.parametrize("query", QUERIES)
def test_the_explorer_shows_as_many_figures_as_match(client, corpus, query):
    html = client.get(f"/statistics/?{query}").content.decode()
    form = ExplorerForm(QueryDict(query))
    form.is_valid()
    total = selectors.filter_statistics(form.filters(), categories=ThreatCategory.objects.all()).count()
    assert f"{total} figure{'s' if total != 1 else ''}" in html


def test_counting_finds_the_same_figures_as_showing(corpus):
    """filter_statistics(counting=True) writes "published" without the join; the same rows, and
    the same country links."""
    shown = set(Statistic.objects.published().values_list("pk", flat=True))
    counted = set(selectors.published_statistics().values_list("pk", flat=True))
    links = selectors.published_statistic_countries()
    assert counted == shown
    assert set(links.values_list("pk", flat=True)) == set(
        Statistic.countries.through.objects.filter(statistic__in=shown).values_list("pk", flat=True)
    )
    assert set(links.values_list("statistic_id", flat=True)) < set(
        Statistic.countries.through.objects.values_list("statistic_id", flat=True)
    )
    assert set(selectors.unpublished(Speech)) == set(Speech.objects.exclude(status=Status.PUBLISHED)) != set()
    assert set(selectors.unpublished(Statistic)) == set(Statistic.objects.exclude(status=Status.PUBLISHED)) != set()
