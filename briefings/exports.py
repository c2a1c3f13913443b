"""Exports: a JSON API, a CSV of statistics and an Atom feed of briefings.

Each takes the timeline's filter parameters (threat, country, speaker, kind, from, to, q),
parsed into a `forms.Filters` value; the statistics exports also take `measure` and `whose`.
For the briefings API and the feed the filters are the briefing's, as on the timeline; for
the statistics exports `threat`, `country`, `whose` and `measure` are the figure's own
(`selectors.filter_statistics`). Only published statistics are ever exported. Invalid
filter values are rejected with 400, and the message says so (the timeline shows them and
ignores them instead, but a client of an export would otherwise get data it did not ask for
without noticing). Repeated values are bounded as everywhere (forms.bound_query); the JSON
answers list what was dropped under "notices".

Each export runs a fixed number of queries whatever the number of rows: one to validate
each slug filter used (threat, country, speaker), one for the category list when `threat`
is given (to include children), then the rows with their related objects.

At scale (10,000 briefings hold 100,000 figures):
- The JSON APIs are paged: `page` (from 1), API_PAGE_SIZE rows a page, with `count` (all
  matching rows) and absolute `next` and `previous` links (null at the ends). A page past the
  last is a 400 like any other invalid parameter.
- The CSV is a download of every matching figure, so it is streamed: one query read in
  chunks (a server-side cursor on PostgreSQL), written row by row, so memory stays flat and
  the first bytes leave at once; its total time grows with the number of rows, by nature.
  It ignores `page`.
- The feed holds the FEED_ITEMS newest briefings, as feeds do.
"""

import csv
import datetime

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import CharField, Count, FloatField
from django.db.models.functions import Cast
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from . import facets, figure_facets, selectors
from .forms import StatisticFilterForm, TimelineFilterForm
from .models import Country, Speech, ThreatCategory
from .pagecache import cached_page
from .paging import CountedPaginator, InIndexOrder
from .text import clean_control_characters

SITE_NAME = "Threat Briefings"
API_PAGE_SIZE = 100
FEED_ITEMS = 50

CSV_COLUMNS = [
    "id", "measure", "value", "value_text", "qualifier", "unit", "period", "quote", "attribution",
    "briefing_slug", "briefing_title", "briefing_date", "speaker", "threats", "countries",
    "source_publisher", "source_language", "source_url", "url",
]


REJECTED = "Nothing was returned: correct or remove these parameters."


def _errors(form):
    return {field: list(messages) for field, messages in form.errors.items()}


def _json_errors(form, errors=None):
    return JsonResponse({"message": REJECTED, "errors": errors or _errors(form)}, status=400)


def _plain_errors(form):
    lines = [f"{field}: {message}" for field, messages in _errors(form).items() for message in messages]
    return HttpResponseBadRequest(
        "Invalid filters:\n" + "\n".join(lines) + f"\n{REJECTED}\n", content_type="text/plain; charset=utf-8"
    )


def _notices(form):
    return {"notices": form.notices} if form.notices else {}


def _categories():
    # Lazy: the category list is only read (one query) when a threat filter has to be expanded.
    return ThreatCategory.objects.all()


def _speeches(filters, categories=None):
    categories = _categories() if categories is None else categories
    return selectors.filter_speeches(categories=categories, **filters.briefing_filters())


def _statistics(filters, categories=None):
    categories = _categories() if categories is None else categories
    return selectors.export_statistics(selectors.filter_statistics(filters, categories=categories))


def _number(value):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(date):
    return date.isoformat() if date else None


class StatisticRows:
    """Turns statistics from `selectors.filter_statistics` into export rows. Countries come
    from the rows' `country_ids` and one query for the (short) country list."""

    def __init__(self, request):
        self.request = request
        self.countries = {country.pk: country for country in Country.objects.order_by("name")}
        self.position = {pk: index for index, pk in enumerate(self.countries)}
        # Each figure's own page is this plus "<id>/" (cheaper than reversing a URL per row).
        self.figure_prefix = request.build_absolute_uri(reverse("briefings:statistics"))

    def __call__(self, statistic):
        ids = sorted(selectors.id_set(statistic.country_ids), key=self.position.get)
        countries = [self.countries[pk].slug for pk in ids]
        return statistic_data(statistic, countries, url=f"{self.figure_prefix}{statistic.id}/")


def statistic_data(statistic, countries, *, url):
    """A published figure as the API, the CSV and its own JSON give it; `url` is its own page."""
    speech, source = statistic.speech, statistic.source
    return {
        "id": statistic.id,
        "measure": statistic.measure,
        "value": _number(statistic.value),
        "value_text": statistic.value_text,
        "qualifier": statistic.qualifier,
        "unit": statistic.unit,
        "period": statistic.period,
        "quote": statistic.quote,
        "attribution": statistic.attribution,
        "briefing": {
            "slug": speech.slug,
            "title": speech.title,
            "date": _iso(speech.date),
            "speaker": speech.speaker.name,
        },
        "threats": [statistic.threat.slug] if statistic.threat else [],
        "countries": countries,
        "source": {"publisher": source.publisher, "language": source.language, "url": source.url},
        "url": url,
    }


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run: text that begins with =, +, -, @, a tab or a carriage
    return is a formula to Excel and LibreOffice, so it gets a leading apostrophe, as OWASP's
    CSV-injection advice says. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def briefing_data(request, speech, threats, countries):
    """A briefing as the API gives it; `threats` and `countries` are its slugs (selectors.briefing_tags)."""
    return {
        "slug": speech.slug,
        "title": speech.title,
        "date": _iso(speech.date),
        "date_inferred": speech.date_inferred,
        "kind": speech.kind,
        "speaker": speech.speaker.name,
        "threats": threats,
        "countries": countries,
        "url": request.build_absolute_uri(speech.get_absolute_url()),
        "statistics": speech.published_statistics,
    }


def _paged(request, form, rows, count=None):
    """(page of rows, the paging fields of the answer), or (None, errors) past the last page.
    `count`, when given, is how many `rows` there are, counted more cheaply than by COUNT over them."""
    if count is None:
        paginator = Paginator(rows, API_PAGE_SIZE, allow_empty_first_page=True)
    else:
        paginator = CountedPaginator(rows, API_PAGE_SIZE, count=count)
    number = form.cleaned_data.get("page") or 1
    if number > paginator.num_pages:
        return None, {"page": [f"There is no page {number}: these results have {paginator.num_pages}."]}
    page = paginator.page(number)
    filters = form.filters()

    def link(n):
        return request.build_absolute_uri(filters.url(request.path, page=n))

    return page, {
        "count": paginator.count,
        "next": link(number + 1) if page.has_next() else None,
        "previous": link(number - 1) if page.has_previous() else None,
    }


@require_safe
@cached_page
def statistics_json(request):
    """Published statistics matching the filters, a page of API_PAGE_SIZE at a time."""
    form = StatisticFilterForm(request.GET)
    if not form.is_valid():
        return _json_errors(form)
    filters, categories = form.filters(), _categories()
    # Counted on the figure index, kept per content version.
    count = figure_facets.selected(request, filters, categories).count()
    page, paging = _paged(request, form, _statistics(filters, categories), count)
    if page is None:
        return _json_errors(form, paging)
    to_row = StatisticRows(request)
    return JsonResponse({**_notices(form), **paging, "results": [to_row(statistic) for statistic in page]})


class _Echo:
    """A file-like object for csv.writer that hands each written line back."""

    def write(self, value):
        return value


# What each CSV column is read from: statistic fields, its briefing's and source's, and the
# `country_ids` of selectors.filter_statistics; `url` is built from the briefing's slug. The value
# and the date come as a float and as text, which need no conversion per row.
CSV_FIELDS = [
    "id", "measure", "value_number", "value_text", "qualifier", "unit", "period", "quote", "attribution",
    "speech__slug", "speech__title", "date_text", "speech__speaker__name", "threat__slug", "country_ids",
    "source__publisher", "source__language", "source__url",
]
CSV_LINES_PER_CHUNK = 1000


def write_csv_row(writer, cells):
    """The one place a CSV line is written: every cell of every row passes through here, made
    spreadsheet_safe."""
    return writer.writerow([spreadsheet_safe(cell) for cell in cells])


def csv_lines(request, statistics):
    """The CSV of `statistics` (selectors.filter_statistics) in chunks of lines: plain tuples from
    one query read in chunks, straight into csv.writer; no model instances, no per-row conversions."""
    writer = csv.writer(_Echo())
    slugs = {country.pk: country.slug for country in Country.objects.order_by("name")}
    position = {pk: index for index, pk in enumerate(slugs)}
    # Each figure's own page is this plus "<id>/" (cheaper than reversing a URL per row).
    figure_prefix = request.build_absolute_uri(reverse("briefings:statistics"))
    rows = statistics.annotate(
        value_number=Cast("value", FloatField()), date_text=Cast("speech__date", CharField())
    ).values_list(*CSV_FIELDS)
    lines = [write_csv_row(writer, CSV_COLUMNS)]
    for (pk, measure, value, value_text, qualifier, unit, period, quote, attribution, slug, title, date, speaker,
         threat, country_ids, publisher, language, source_url) in rows.iterator(chunk_size=2000):
        countries = ";".join(slugs[pk] for pk in sorted(selectors.id_set(country_ids), key=position.get))
        lines.append(write_csv_row(writer, (
            pk, measure, int(value) if value is not None and value.is_integer() else value, value_text, qualifier,
            unit, period, quote, attribution, slug, title, date, speaker, threat, countries, publisher, language,
            source_url, f"{figure_prefix}{pk}/",
        )))
        if len(lines) >= CSV_LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


@require_safe
def statistics_csv(request):
    """Every published statistic matching the filters, streamed row by row."""
    form = StatisticFilterForm(request.GET)
    if not form.is_valid():
        return _plain_errors(form)
    filters = form.filters()
    return StreamingHttpResponse(
        csv_lines(request, _statistics(filters)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(filters)}"'},
    )


@require_safe
@cached_page
def briefings_json(request):
    """Briefings matching the filters, a page of API_PAGE_SIZE at a time, in timeline order."""
    form = TimelineFilterForm(request.GET)
    if not form.is_valid():
        return _json_errors(form)
    # Selected, ordered and counted on the facet index, kept per content version: the database is
    # asked for the page's briefings only, by id.
    filters = form.filters()
    index = facets.current(getattr(request, "page_cache_token", None))
    selection = index.select(filters, facets.search_ranking(request, index, filters.q),
                             categories=index.filter_options()["categories"])
    speeches = InIndexOrder(selection, Speech.objects.select_related("speaker").defer("summary", "date_basis"))
    page, paging = _paged(request, form, speeches, selection.count())
    if page is None:
        return _json_errors(form, paging)
    # Then the page's tags and published figures: for those briefings only.
    page = list(page)
    ids = [speech.pk for speech in page]
    tags = selectors.briefing_tags(ids)
    figures = dict(
        selectors.published_statistics().filter(speech__in=ids).values_list("speech").annotate(n=Count("id")).order_by()
    )
    for speech in page:
        speech.published_statistics = figures.get(speech.pk, 0)
    return JsonResponse({**_notices(form), **paging,
                         "results": [briefing_data(request, speech, *tags[speech.pk]) for speech in page]})


def csv_filename(filters):
    """What the file holds, e.g. "threat-briefings-figures-iran-2018-to-2023-late-stage-attack-plots-disrupted.csv";
    "threat-briefings-figures-all.csv" unfiltered."""
    words = slugify(filters.describe().replace("–", " to "))
    return f"threat-briefings-figures-{words[:100].strip('-') or 'all'}.csv"


class BriefingFeed(Feed):
    """The matching briefings, newest first, as Atom entries.

    Undated briefings are left out: Atom requires every entry to have an `updated` date,
    and any date made up for them would put them at a false place in a reader's list.
    They remain on the timeline and in /api/briefings.json.
    """

    feed_type = Atom1Feed
    subtitle = "What MI5's Directors General said about threats."

    def get_object(self, request, filters):
        # The view has already validated the filters; Feed hands its keyword arguments on to here.
        return filters

    # Everything written into the feed passes through clean_control_characters: XML 1.0 cannot
    # hold control characters or U+FFFE, and one stored in a title must not break the feed.

    def title(self, filters):
        description = clean_control_characters(filters.describe())
        return f"{SITE_NAME}: {description}" if description else SITE_NAME

    def link(self, filters):
        return filters.url()

    def feed_url(self, filters):
        return filters.url(reverse("briefings:feed"))

    def items(self, filters):
        return _speeches(filters).filter(date__isnull=False).select_related("speaker")[:FEED_ITEMS]

    def item_title(self, speech):
        # Atom titles are plain text; the base class escapes them once more for RSS's sake.
        return clean_control_characters(speech.title)

    def item_description(self, speech):
        # Atom1Feed writes the description as <summary type="html">, so plain text is escaped as HTML.
        return escape(clean_control_characters(speech.summary))

    def item_link(self, speech):
        return speech.get_absolute_url()

    def item_pubdate(self, speech):
        return datetime.datetime.combine(speech.date, datetime.time())

    def item_updateddate(self, speech):
        return self.item_pubdate(speech)

    def item_author_name(self, speech):
        return clean_control_characters(speech.speaker.name)


@require_safe
@cached_page
def feed(request):
    form = TimelineFilterForm(request.GET)
    if not form.is_valid():
        return _plain_errors(form)
    return BriefingFeed()(request, filters=form.filters())
