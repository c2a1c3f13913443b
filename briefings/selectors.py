"""The timeline's queries, in one place. Views parse, these query, templates show.

Facet counts are disjunctive: each facet's counts apply every *other* active filter, so an
option's count is how many briefings the page would show if that option were added (OR
within a facet, AND across facets). Each facet costs one aggregate query, whatever the
number of options or briefings.
"""

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass

from django.db import connections
from django.db.models import (
    Aggregate,
    BigAutoField,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Lookup,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, ExtractYear

from .models import Assessment, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory
from .search import contains, highlight, matching_paragraphs, paragraph_matches, text_matches


class Year(Func):
    """The year of a date, for grouping. On SQLite, Django's ExtractYear calls a Python
    function for every row; dates are stored there as 'YYYY-MM-DD' text, so the first four
    characters are the year, several times faster over thousands of briefings. (No
    strftime: a '%' in SQL without parameters reaches SQLite unconverted.) Elsewhere it is
    ExtractYear."""

    arity = 1
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(ExtractYear(*self.get_source_expressions()))

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="CAST(substr(%(expressions)s, 1, 4) AS INTEGER)", **extra_context
        )


@BigAutoField.register_lookup
class AnyOf(Lookup):
    """`pk__any_of=[ids]`: the ids as one parameter, not one each as `__in` sends them. Thousands
    of ids (a search matching most briefings) make `IN (1, 2, …)` slow to send and parse in each
    of the queries a page runs, and would pass SQLite's limit on parameters."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, [int(pk) for pk in self.rhs]]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps([int(pk) for pk in self.rhs])]


FACETS = ("threats", "countries", "speaker", "kind", "year_from", "year_to", "q")


def expand_threats(threats, categories):
    """The chosen categories plus the children of any chosen parent."""
    chosen = {category.pk for category in threats}
    return chosen | {category.pk for category in categories if category.parent_id in chosen}


def filter_speeches(*, categories, threats=(), countries=(), speaker=None, kind="", year_from=None, year_to=None,
                    q="", matched_ids=None):
    """Briefings matching every given filter. `categories` is the full category list, used
    to include children of a chosen parent without another query. `matched_ids`, when given,
    is `matching_speech_ids(q)` worked out already: a page that filters by `q` in many queries
    runs the text search once rather than inside each of them."""
    speeches = Speech.objects.published()
    if threats:
        threat_ids = expand_threats(threats, categories)
        speeches = speeches.filter(
            Exists(Speech.threats.through.objects.filter(speech=OuterRef("pk"), threatcategory__in=threat_ids))
        )
    if countries:
        speeches = speeches.filter(
            Exists(Speech.countries.through.objects.filter(speech=OuterRef("pk"), country__in=countries))
        )
    if speaker is not None:
        speeches = speeches.filter(speaker=speaker)
    if kind:
        speeches = speeches.filter(kind=kind)
    if year_from is not None:
        speeches = speeches.filter(date__year__gte=year_from)
    if year_to is not None:
        speeches = speeches.filter(date__year__lte=year_to)
    if q and matched_ids is not None:
        # pk=None matches nothing but still runs, so the number of queries does not depend on the data.
        speeches = speeches.filter(Q(pk__any_of=matched_ids) if matched_ids else Q(pk=None))
    elif q:
        speeches = speeches.filter(text_matches(q))
    return speeches


def matching_speech_ids(q):
    """The ids of the briefings that `text_matches(q)`, in one query: a union of the briefings
    with a matching paragraph, title or summary, published figure or published judgement, each
    found through its search index (search.py)."""
    parts = [
        paragraph_matches(q).order_by().values_list("speech_id"),
        Speech.objects.published().filter(contains(Speech, q)).order_by().values_list("id"),
        Statistic.objects.published().filter(contains(Statistic, q)).order_by().values_list("speech_id"),
        Assessment.objects.published().filter(contains(Assessment, q)).order_by().values_list("speech_id"),
    ]
    parts = [part for part in parts if not part.query.is_empty()]
    return sorted({speech_id for (speech_id,) in parts[0].union(*parts[1:])})


def timeline_speeches(speeches):
    """The rows a timeline card shows, fetched in a fixed number of queries."""
    return speeches.select_related("speaker").prefetch_related(
        "threats",
        "countries",
        Prefetch(
            "assessments",
            queryset=Assessment.objects.published().select_related("threat").prefetch_related("countries"),
        ),
        Prefetch(
            "statistics",
            queryset=Statistic.objects.published().select_related("threat").prefetch_related("countries"),
        ),
    )


@dataclass
class FacetCounts:
    threats: dict
    countries: dict
    speakers: dict
    kinds: dict


def facet_counts(filters, categories, matched_ids=None):
    """Counts for every facet option, each applying the other active filters (`matched_ids`:
    see filter_speeches)."""

    def others(facet):
        return filter_speeches(categories=categories, matched_ids=matched_ids,
                               **{k: v for k, v in filters.items() if k != facet})

    threat_links = Speech.threats.through.objects.filter(speech__in=others("threats"))
    direct = dict(
        threat_links.values_list("threatcategory_id").annotate(n=Count("speech_id", distinct=True)).order_by()
    )
    # A parent counts the briefings tagged with it or with any of its children.
    grouped = dict(
        threat_links.annotate(group=Coalesce("threatcategory__parent_id", "threatcategory_id"))
        .values_list("group")
        .annotate(n=Count("speech_id", distinct=True))
        .order_by()
    )
    threats = {c.pk: (grouped.get(c.pk, 0) if c.parent_id is None else direct.get(c.pk, 0)) for c in categories}

    countries = dict(
        Speech.countries.through.objects.filter(speech__in=others("countries"))
        .values_list("country_id")
        .annotate(n=Count("speech_id"))
        .order_by()
    )
    speakers = dict(others("speaker").values_list("speaker_id").annotate(n=Count("id")).order_by())
    kinds = dict(others("kind").values_list("kind").annotate(n=Count("id")).order_by())
    return FacetCounts(threats=threats, countries=countries, speakers=speakers, kinds=kinds)


def filter_options():
    """Everything the filter panel lists, in four small queries."""
    return {
        "categories": list(ThreatCategory.objects.order_by("position", "name")),
        "countries": list(Country.objects.order_by("name")),
        "speakers": list(Speaker.objects.order_by("name")),
        "years": list(
            Speech.objects.published().filter(date__isnull=False)
            .annotate(year=Year("date"))
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        ),
    }


CELL_JUDGEMENTS = 2


@dataclass
class MatrixCell:
    total: int  # judgements on this threat in this year
    trends: dict  # how many of them say rising, steady, falling
    assessments: list  # all of them when there are at most CELL_JUDGEMENTS, else none
    url: str = ""  # the timeline filtered to this threat and year, for a crowded cell
    html: str = ""  # a crowded cell's content (views._matrix_links)

    @property
    def crowded(self):
        return self.total > CELL_JUDGEMENTS


def change_over_time(speeches, *, categories, threat_ids=None, countries=()):
    """Assessments of the filtered briefings as rows of categories by columns of years.

    Returns (years ascending, rows) where each row is (category, [MatrixCell per year]). A cell
    lists its judgements when it has at most CELL_JUDGEMENTS; a crowded one shows how many
    there are and how many say rising, steady or falling, so the matrix stays the same size
    however many briefings a year has. Two queries: one aggregate over the cells, one for the
    judgements of the uncrowded cells. Rows are limited to the chosen threats (with children)
    and, when countries are chosen, to assessments about those countries. `categories` is the
    full category list."""
    assessments = Assessment.objects.published().filter(speech__in=speeches, speech__date__isnull=False)
    if threat_ids:
        assessments = assessments.filter(threat__in=threat_ids)
    if countries:
        assessments = assessments.filter(
            Exists(Assessment.countries.through.objects.filter(assessment=OuterRef("pk"), country__in=countries))
        )
    trends = [trend.value for trend in Assessment.Trend]
    cells = (
        assessments.annotate(year=Year("speech__date"))
        .values_list("threat_id", "year")
        .annotate(n=Count("id"), **{trend: Count("id", filter=Q(trend=trend)) for trend in trends})
        .order_by()
    )
    by_cell = {}
    for threat_id, year, n, *trend_counts in cells:
        by_cell[(threat_id, year)] = MatrixCell(n, dict(zip(trends, trend_counts, strict=True)), [])
    few = [key for key, cell in by_cell.items() if not cell.crowded]
    # With no uncrowded cell the query still runs (pk=None matches nothing), so the number of
    # queries is the same whatever the data.
    listed = assessments.filter(
        Q.create([Q(threat_id=threat_id, speech__date__year=year) for threat_id, year in few], connector=Q.OR)
        if few else Q(pk=None)
    )
    for assessment in listed.select_related("speech").order_by("speech__date", "id"):
        by_cell[(assessment.threat_id, assessment.speech.date.year)].assessments.append(assessment)

    years = sorted({year for _threat, year in by_cell})
    by_id = {category.pk: category for category in categories}
    # A child's row sits under its parent's, so the parent gets a row even without judgements.
    shown = {threat_id for threat_id, _year in by_cell}
    shown |= {by_id[threat_id].parent_id for threat_id in shown if by_id[threat_id].parent_id}
    ordered = sorted((by_id[pk] for pk in shown), key=lambda c: (c.position, c.name))
    empty = MatrixCell(0, {}, [])
    rows = [(category, [by_cell.get((category.pk, year), empty) for year in years]) for category in ordered]
    return years, rows


def year_counts(speeches):
    """[(year, number of briefings)], newest year first, undated (None) last: one aggregate query."""
    return list(
        speeches.annotate(year=Year("date"))
        .values_list("year")
        .annotate(n=Count("id"))
        .order_by(F("year").desc(nulls_last=True))
    )


def plan_pages(counts, size):
    """Split the timeline into pages of about `size` briefings, as [(offset, limit)] into the
    briefings in timeline order. A year of at most `size` briefings is never split: it goes on
    the current page if it fits, else starts the next. A longer year fills the rest of the
    current page and as many pages as it needs, and its last part shares a page with the next
    years. Always at least one page, empty when nothing matches."""
    pages, start, filled = [], 0, 0

    def close(length):
        nonlocal start, filled
        pages.append((start, length))
        start, filled = start + length, 0

    for _year, count in counts:
        if count <= size:
            if filled + count > size:
                close(filled)
            filled += count
            continue
        count -= size - filled
        close(size)
        while count > size:
            close(size)
            count -= size
        filled = count
    if filled or not pages:
        close(filled)
    return pages


def year_threat_weights(speeches, years):
    """How often each threat is the subject of a published figure or judgement in the
    briefings of each of `years`, as {year: {threat id: weight}}: the year digests, counted
    over the whole year even when it is split across pages. Two aggregate queries."""
    weights = defaultdict(lambda: defaultdict(int))
    dated = [year for year in years if year is not None]
    for model in (Statistic, Assessment):
        rows = model.objects.published().filter(speech__in=speeches, threat__isnull=False)
        # The years of a page are consecutive among the matching ones, so a date range covers them.
        in_years = (
            Q(speech__date__gte=datetime.date(min(dated), 1, 1), speech__date__lte=datetime.date(max(dated), 12, 31))
            if dated else Q(pk__in=[])
        )
        if None in years:
            in_years |= Q(speech__date__isnull=True)
        rows = (
            rows.filter(in_years)
            .annotate(year=Year("speech__date"))
            .values_list("year", "threat_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for year, threat_id, n in rows:
            weights[year][threat_id] += n
    return weights


class JoinedIds(Aggregate):
    """The ids in a group joined by commas: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s::text, ',')",
            **extra_context
        )


def unpublished(model):
    """The rows of `model` (briefings, figures) that are not published: few, and found by seeking
    the status index (lt and gt: "not equal" cannot seek in an index)."""
    return model.objects.filter(Q(status__lt=Status.PUBLISHED) | Q(status__gt=Status.PUBLISHED))


def published_statistics():
    """Statistic.objects.published() (published figures of published briefings) without joining
    the briefing: a figure of a published briefing is one whose briefing is not among the
    unpublished ones. So counting figures reads an index of the figures alone, instead of looking
    up the briefing of each of them."""
    return Statistic.objects.filter(status=Status.PUBLISHED).exclude(speech__in=unpublished(Speech).values("pk"))


def published_statistic_countries():
    """The country links of published_statistics(): every link but those of the unpublished
    figures and of the figures of unpublished briefings, so counting them reads the links' index
    alone."""
    return (
        Statistic.countries.through.objects
        .exclude(statistic__in=unpublished(Statistic).values("pk"))
        .exclude(statistic__in=Statistic.objects.filter(speech__in=unpublished(Speech).values("pk")).values("pk"))
    )


def filter_statistics(filters, *, categories, counting=False):
    """Published figures matching `filters` (a forms.Filters), judged at the figure's level:
    `threats` match the figure's own threat (a parent includes its children), `countries` its
    own countries, `whose` its attribution, `measure` its measure; speaker, kind, years and
    `q` are the briefing's. `categories`: as for filter_speeches (read only for `threats`).

    The same figures either way; `counting` says how they are found. Rows to show keep the join
    to the briefing (Statistic.objects.published()): ordered by the briefing's date, the database
    walks the briefings newest first and stops after a page. Counts (`counting=True`) read only
    indexes of the figures (published_statistics())."""
    statistics = published_statistics() if counting else Statistic.objects.published()
    if _filters_briefings(filters):
        # Only then: both already keep to published briefings, and `speech__in` every one of
        # them would only slow each query down.
        statistics = statistics.filter(
            speech__in=filter_speeches(categories=categories, **_briefing_filters(filters))
        )
    if filters.threats:
        statistics = statistics.filter(threat__in=expand_threats(filters.threats, categories))
    if filters.countries:
        statistics = statistics.filter(
            Exists(Statistic.countries.through.objects.filter(statistic=OuterRef("pk"), country__in=filters.countries))
        )
    if filters.whose:
        statistics = statistics.filter(attribution__in=filters.whose)
    if filters.measure:
        statistics = statistics.filter(measure=filters.measure)
    return statistics


def _briefing_filters(filters):
    """The briefing's own filters of a figure's: threats and countries are the figure's."""
    return {**filters.briefing_filters(), "threats": (), "countries": ()}


def _filters_briefings(filters):
    return any(value not in (None, "", ()) for value in _briefing_filters(filters).values())


@dataclass
class FigureCounts:
    """How many figures each option of the statistics facets would show (counts of figures,
    not briefings), each applying the other active filters, and `total`, how many figures
    match every filter."""

    threats: dict
    countries: dict
    whose: dict
    measures: list  # [(measure, figures)] in alphabetical order
    total: int


def figure_facet_counts(filters, categories):
    """FigureCounts in two aggregate queries, whatever the number of figures or options.

    A figure has one threat, one attribution and one measure, so one query counts the figures
    of each (measure, threat, attribution) under the filters the three facets share (the
    briefing's and `countries`), and each facet's counts, and the total, are sums of those groups
    over the other two facets' filters: a few hundred groups, not a scan per facet. A parent's
    count is its own figures plus its children's. Countries (several to a figure) take the
    second query."""
    chosen_threats = expand_threats(filters.threats, categories) if filters.threats else None
    shared = filter_statistics(filters.without("threat").without("whose").without("measure"), categories=categories,
                               counting=True)
    groups = shared.order_by().values_list("measure", "threat_id", "attribution").annotate(n=Count("*"))
    direct, whose, measures, total = defaultdict(int), defaultdict(int), {}, 0
    for measure, threat_id, attribution, n in _ordered_by_measure(groups):
        threat_ok = chosen_threats is None or threat_id in chosen_threats
        whose_ok = not filters.whose or attribution in filters.whose
        measure_ok = not filters.measure or measure == filters.measure
        if whose_ok and measure_ok:
            direct[threat_id] += n
        if threat_ok and measure_ok:
            whose[attribution] += n
        if threat_ok and whose_ok:
            measures[measure] = measures.get(measure, 0) + n
            total += n if measure_ok else 0
    threats = {category.pk: direct.get(category.pk, 0) for category in categories}
    for category in categories:
        if category.parent_id in threats:
            threats[category.parent_id] += direct.get(category.pk, 0)
    return FigureCounts(threats=threats, countries=_country_counts(filters, categories), whose=dict(whose),
                        measures=list(measures.items()), total=total)


def _ordered_by_measure(groups):
    """The rows of `groups` (grouped values starting with the measure) as people read a list of
    measures: "MI5 staff" among the m's, not before every lower-case measure; the database sorts
    them, as it sorts text, once grouped. (Ordered inside the grouped query, LOWER(measure) would
    join the GROUP BY and the figures would be sorted before being counted, instead of read in
    the order of the index.)"""
    sql, params = groups.query.sql_with_params()
    with connections[groups.db].cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) grouped ORDER BY LOWER(measure), measure", params)
        return cursor.fetchall()


def _country_counts(filters, categories):
    """{country id: figures} applying every filter but `countries`: one aggregate query. With no
    other filter it counts the links of every figure but the (few) unpublished ones, reading the
    links' index alone rather than looking up each figure."""
    others = filters.without("country")
    if others.threats or others.whose or others.measure or _filters_briefings(others):
        links = Statistic.countries.through.objects.filter(
            statistic__in=filter_statistics(others, categories=categories, counting=True)
        )
    else:
        links = published_statistic_countries()
    return dict(links.order_by().values_list("country_id").annotate(n=Count("*")))


def briefing_tags(speech_ids):
    """{briefing id: (threat slugs, country slugs)} for the given briefings, in the order of their
    relations (speech.threats.all(): by position and name; countries by name): two queries of
    plain values rather than a model instance and a manager per tag."""
    tags = {pk: ([], []) for pk in speech_ids}
    threats = (
        Speech.threats.through.objects.filter(speech_id__in=speech_ids)
        .order_by("threatcategory__position", "threatcategory__name", "threatcategory_id")
        .values_list("speech_id", "threatcategory__slug")
    )
    for speech_id, slug in threats:
        tags[speech_id][0].append(slug)
    countries = (
        Speech.countries.through.objects.filter(speech_id__in=speech_ids)
        .order_by("country__name", "country_id")
        .values_list("speech_id", "country__slug")
    )
    for speech_id, slug in countries:
        tags[speech_id][1].append(slug)
    return tags


def export_statistics(statistics):
    """The figures in export order, newest briefing first, undated last, then in curation
    order: one query whatever the number of rows, so it can be streamed. Each row carries its
    briefing, speaker, threat and source (without the source's long text) and `country_ids`,
    its countries' ids joined by commas (a subquery, not a prefetch, which would cost a query
    per chunk when streaming)."""
    country_ids = (
        Statistic.countries.through.objects.filter(statistic=OuterRef("pk"))
        .order_by()
        .values("statistic")
        .annotate(ids=JoinedIds("country_id"))
        .values("ids")
    )
    return (
        statistics.select_related("speech__speaker", "threat", "source")
        .defer("source__text", "source__notes", "speech__summary", "speech__date_basis")
        .annotate(country_ids=Subquery(country_ids))
        .order_by(F("speech__date").desc(nulls_last=True), "id")
    )


def matching_passages(q, speeches, per_speech=2):
    """The best paragraphs matching `q` in each of the given briefings, as
    {speech id: [(paragraph number, highlighted snippet)]}, in one query."""
    found = {}
    for paragraph in matching_paragraphs(q).filter(speech__in=speeches):
        passages = found.setdefault(paragraph.speech_id, [])
        if len(passages) < per_speech:
            passages.append((paragraph.number, highlight(paragraph.text, q)))
    return found


@dataclass
class Coverage:
    briefings: int
    years: list  # years with at least one briefing, ascending
    missing: list  # years between the first and last with none
    undated: int
    sources: list  # (role label, number of documents), most first

    @property
    def missing_ranges(self):
        """The missing years as runs: ["2018–2020", "2022"]."""
        runs = []
        for year in self.missing:
            if runs and runs[-1][1] == year - 1:
                runs[-1][1] = year
            else:
                runs.append([year, year])
        return [f"{start}–{end}" if end > start else str(start) for start, end in runs]


def coverage():
    """What the record holds, whatever the filters: how many briefings, which years, which are
    missing between the first and the last, and where the texts come from. Two queries: briefings
    counted per year (undated as None), source documents counted per role."""
    per_year = dict(
        Speech.objects.published().annotate(year=ExtractYear("date")).values_list("year").annotate(n=Count("id")).order_by()
    )
    years = sorted(year for year in per_year if year is not None)
    missing = [year for year in range(years[0], years[-1] + 1) if year not in per_year] if years else []
    roles = dict(Source.Role.choices)
    sources = (
        Source.objects.filter(speech__in=Speech.objects.published())
        .values_list("role").annotate(n=Count("id")).order_by("-n", "role")
    )
    return Coverage(
        briefings=sum(per_year.values()),
        years=years,
        missing=missing,
        undated=per_year.get(None, 0),
        sources=[(roles.get(role, role), n) for role, n in sources],
    )
