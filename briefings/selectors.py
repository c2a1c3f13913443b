"""The public pages' queries, in one place. Views parse, these query, templates show.

The timeline's aggregates (facet counts, briefings per year, the change-over-time matrix, the
year digests, the coverage line) are counted on the facet index instead: facets.py.

Facet counts are disjunctive: each facet's counts apply every *other* active filter, so an
option's count is how many items the page would show if that option were added (OR within a
facet, AND across facets).
"""


from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import ExtractYear

from .models import Assessment, Country, Speaker, Speech, Statistic, Status, ThreatCategory
from .search import highlight, matching_paragraphs, paragraph_briefings, row_briefings, text_matches


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


FACETS = ("threats", "countries", "speaker", "kind", "year_from", "year_to", "q")


def expand_threats(threats, categories):
    """The chosen categories plus the children of any chosen parent."""
    chosen = {category.pk for category in threats}
    return chosen | {category.pk for category in categories if category.parent_id in chosen}


def filter_speeches(*, categories, threats=(), countries=(), speaker=None, kind="", year_from=None, year_to=None,
                    q=""):
    """Briefings matching every given filter. `categories` is the full category list, used
    to include children of a chosen parent without another query."""
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
    if q:
        speeches = speeches.filter(text_matches(q))
    return speeches


# What a match adds to a briefing's relevance: its title or summary, each published judgement or
# figure, each paragraph of its text.
RELEVANCE = {"speech": 10, "assessment": 3, "statistic": 3, "paragraph": 1}


def matching_speech_scores(q):
    """{briefing id: relevance} for the briefings that `text_matches(q)`, in one query: the
    matches of each searched table (paragraphs, titles and summaries, published figures,
    published judgements), each found through its search index (search.py) and weighted by
    RELEVANCE, summed per briefing by the database. Drafts' ids may be among them: the callers
    keep to published briefings."""
    parts = [(row_briefings(model, q), RELEVANCE[name])
             for model, name in ((Speech, "speech"), (Statistic, "statistic"), (Assessment, "assessment"))]
    if paragraphs := paragraph_briefings(q):
        parts.append((paragraphs, RELEVANCE["paragraph"]))
    union = " UNION ALL ".join(f"SELECT sid, {weight} AS w FROM ({sql}) part{n}"
                               for n, ((sql, _params), weight) in enumerate(parts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sid, SUM(w) FROM ({union}) matches GROUP BY sid",
                       [param for (_sql, params), _weight in parts for param in params])
        return dict(cursor.fetchall())


def filter_options(years=None):
    """Everything the filter panel lists, in four small queries, or three when the years with
    briefings (newest first) are given, as the timeline's facet index knows them."""
    if years is None:
        years = list(
            Speech.objects.published().filter(date__isnull=False)
            .annotate(year=Year("date"))
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        )
    return {
        "categories": list(ThreatCategory.objects.order_by("position", "name")),
        "countries": list(Country.objects.order_by("name")),
        "speakers": list(Speaker.objects.order_by("name")),
        "years": years,
    }


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


def country_ids(model):
    """For annotating rows of `model` (Statistic, Assessment): each row's countries' ids joined
    by commas (JoinedIds; None for none), read back with `id_set`."""
    owner = model._meta.model_name
    through = model.countries.through.objects.filter(**{owner: OuterRef("pk")})
    return Subquery(through.order_by().values(owner).annotate(ids=JoinedIds("country_id")).values("ids"))


def id_set(joined):
    """The ids in a `country_ids` column, as a set."""
    return {int(pk) for pk in joined.split(",")} if joined else set()


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


def filter_statistics(filters, *, categories):
    """Published figures matching `filters` (a forms.Filters), judged at the figure's level:
    `threats` match the figure's own threat (a parent includes its children), `countries` its
    own countries, `whose` its attribution, `measure` its measure; speaker, kind, years and
    `q` are the briefing's. `categories`: as for filter_speeches (read only for `threats`).

    The figure index (figure_facets) selects the same figures for counting; these are the rows
    to show, ordered by their briefing's date, which the database walks newest first, stopping
    after a page."""
    statistics = Statistic.objects.published()
    if _filters_briefings(filters):
        # Only then: published figures already keep to published briefings, and `speech__in`
        # every one of them would only slow the query down.
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


def briefing_tags(speech_ids, field="slug"):
    """{briefing id: (threats, countries)} for the given briefings, each tag's `field` ("slug" or
    "name"), in the order of their relations (speech.threats.all(): by position and name;
    countries by name): two queries of plain values rather than a model instance and a manager
    per tag."""
    tags = {pk: ([], []) for pk in speech_ids}
    threats = (
        Speech.threats.through.objects.filter(speech_id__in=speech_ids)
        .order_by("threatcategory__position", "threatcategory__name", "threatcategory_id")
        .values_list("speech_id", f"threatcategory__{field}")
    )
    for speech_id, value in threats:
        tags[speech_id][0].append(value)
    countries = (
        Speech.countries.through.objects.filter(speech_id__in=speech_ids)
        .order_by("country__name", "country_id")
        .values_list("speech_id", f"country__{field}")
    )
    for speech_id, value in countries:
        tags[speech_id][1].append(value)
    return tags


def export_statistics(statistics):
    """The figures in export order, newest briefing first, undated last, then in curation
    order: one query whatever the number of rows, so it can be streamed. Each row carries its
    briefing, speaker, threat and source (without the source's long text) and `country_ids`,
    its countries' ids joined by commas (a subquery, not a prefetch, which would cost a query
    per chunk when streaming)."""
    return (
        statistics.select_related("speech__speaker", "threat", "source")
        .defer("source__text", "source__notes", "speech__summary", "speech__date_basis")
        .annotate(country_ids=country_ids(Statistic))
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
