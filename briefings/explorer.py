"""The statistics explorer: every published figure in a filterable, sortable table, a page
at a time, and series of figures that measure the same thing across briefings, drawn as
small SVG charts on the server (no chart JavaScript).

A series is charted when its measure appears in two or more matching briefings and has at
most SERIES_MAX_POINTS figures; a measure with more (thousands, in a large corpus) is listed
with its count and a link that narrows to it, since a chart of thousands of bars says
nothing. So the page costs the same whatever the number of figures.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Case, F, When
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from . import charts, facets, figure_facets, selectors
from .forms import ExplorerForm, Filters
from .models import Attribution, Statistic
from .pagecache import cached_page
from .paging import CountedPaginator, InIndexOrder
from .views import page_title

FIGURES_PER_PAGE = 100
SERIES_MAX_POINTS = 24



@dataclass
class Series:
    measure: str
    points: list
    periods_differ: bool
    units: list  # the units as written, most used first
    chart: object  # charts.Chart, or None when no point can be placed
    links: dict  # permalink, svg, csv

    @property
    def chart_id(self):
        return f"series-{slugify(self.measure)[:60] or self.points[0].pk}"

    @property
    def unit(self):
        return " / ".join(self.units)


def _publishers(points):
    names = dict.fromkeys(point.source.publisher for point in points)
    return "; ".join(names)


def build_series(statistics, filters=None, *, request=None):
    """Measures that appear in two or more briefings, oldest briefing first, each with its
    chart and the links to share it: the explorer narrowed to the measure (the permalink), the
    chart as SVG and its data as CSV, all keeping the page's other filters (`filters`). Given the
    `request`, the chart's source line ends with the absolute permalink (for downloaded files;
    the page shows the link beside the chart instead)."""
    filters = filters if filters is not None else Filters()
    by_measure = {}
    for statistic in statistics:
        by_measure.setdefault(statistic.measure, []).append(statistic)
    series = []
    for measure, points in by_measure.items():
        if len({point.speech_id for point in points}) < 2:
            continue
        points = sorted(points, key=lambda p: (p.speech.date is None, p.speech.date, p.pk))
        units = [unit for unit, _n in Counter(p.unit for p in points if p.unit).most_common()]
        links = _series_links(filters, measure)
        chart = charts.series_chart(
            f"{measure[:1].upper()}{measure[1:]}, by briefing date", points, unit=" / ".join(units),
            source_line=f"Source: {_publishers(points)}. Chart: Threat Briefings.",
            permalink=request.build_absolute_uri(links["permalink"]) if request else "",
        )
        series.append(Series(
            measure=measure,
            points=points,
            periods_differ=len({charts.definition(point.period) for point in points}) > 1,
            units=units,
            chart=chart,
            links=links,
        ))
    return sorted(series, key=lambda s: s.measure.casefold())


def _series_links(filters, measure):
    narrowed = filters.replace(measure=measure)
    return {
        "permalink": narrowed.url(reverse("briefings:statistics")) + f"#series-{slugify(measure)[:60]}",
        "svg": narrowed.url(reverse("briefings:statistics-chart")),
        "csv": narrowed.url(reverse("briefings:statistics-csv")),
    }


def _table(statistics, selection, sort):
    """The rows of the table in the chosen order, for the Paginator. Newest first (the default)
    is the figure index's own order, so a page is read off the index and fetched by id; the
    other orders are the database's. Figures without a number ("thousands") cannot be ranked by
    value: they follow, newest first."""
    if sort == "newest":
        return InIndexOrder(selection, _shown(Statistic.objects.all()))
    if sort == "oldest":
        return _shown(statistics).order_by(F("speech__date").asc(nulls_last=True), "id")
    value = F("value").desc(nulls_last=True) if sort == "largest" else F("value").asc(nulls_last=True)
    date_when_no_value = Case(When(value__isnull=True, then=F("speech__date"))).desc(nulls_last=True)
    return _shown(statistics).order_by(value, date_when_no_value, "-id" if sort == "largest" else "id")


def _shown(statistics):
    """With what a row of the table shows: the briefing and its speaker."""
    return statistics.select_related("speech__speaker").defer("speech__summary")


def _series(statistics, selection):
    """(charted series, [(measure, figures, briefings)] too long to chart): the measures of the
    selected figures (figure_facets.FigureSelection, the same figures as `statistics`) found in
    two or more briefings, and one query for the points of those that are charted."""
    charted, too_long = [], []
    for measure, figures, briefings in selection.series():
        (charted if figures <= SERIES_MAX_POINTS else too_long).append((measure, figures, briefings))
    # pk=None matches nothing but still runs, so the number of queries does not depend on the data.
    chosen = {"measure__in": [measure for measure, *_ in charted]} if charted else {"pk": None}
    points = statistics.filter(**chosen).select_related("speech", "source").defer("source__text")
    return points, too_long


@require_safe
@cached_page
def statistics_explorer(request):
    """The figures matching the filters, judged at the figure's level (`threat`, `country`,
    `whose`, `measure` are the figure's own: selectors.filter_statistics), a page at a time,
    with the series they form and, beside each filter option, how many figures it would show."""
    form = ExplorerForm(request.GET)
    if not request.htmx and form.needs_tidying(request.GET):
        # A plain form submission sends empty fields too; the address bar shows only real filters.
        return HttpResponseRedirect(request.path + (f"?{form.tidy_query.urlencode()}" if form.tidy_query else ""))
    options = facets.current(getattr(request, "page_cache_token", None)).filter_options()
    filters = form.filters()
    categories = options["categories"]
    statistics = selectors.filter_statistics(filters, categories=categories)
    selection = figure_facets.selected(request, filters, categories)
    counts = selection.counts(categories)
    sort = form.cleaned_data.get("sort") or "newest"
    paginator = CountedPaginator(_table(statistics, selection, sort), FIGURES_PER_PAGE, count=counts.total)
    number = form.cleaned_data.get("page") or 1
    if number > paginator.num_pages:
        form.add_error("page", f"There is no page {number} of these figures.")
        number = 1
    page = paginator.page(number)
    points, too_long = _series(statistics, selection)
    series = build_series(points, filters)
    kept_sort = sort if sort != "newest" else None
    context = {
        "form": form,
        "filters": filters,
        "options": options,
        "facet_groups": [
            form.facet_group("threat", "Threat", filters.facet("threat", categories, counts.threats),
                             hint="Choosing a group includes everything under it."),
            form.facet_group("country", "Country", filters.facet("country", options["countries"], counts.countries),
                             two_columns=True),
            form.facet_group("whose", "Whose words", filters.facet("whose", Attribution.choices, counts.whose)),
        ],
        "explorer_url": reverse("briefings:statistics"),
        "page_title": page_title(filters.chips, "Statistics explorer"),
        "sort": sort,
        "kinds": form.fields["kind"].choices[1:],
        "sorts": ExplorerForm.SORTS.items(),
        "measures": counts.measures,
        "statistics": list(page),
        "page": page,
        "figure_count": paginator.count,
        "next_page_url": filters.url(sort=kept_sort, page=number + 1) if page.has_next() else None,
        "previous_page_url": filters.url(sort=kept_sort, page=number - 1 if number > 2 else None)
        if page.has_previous() else None,
        "series": series,
        "too_long": [(measure, figures, briefings, filters.replace(measure=measure).url())
                     for measure, figures, briefings in too_long],
        "sort_columns": sort_columns(filters, sort),
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        # The filter form asked: the results and the new counts, not the page (as the timeline does).
        response = render(request, "briefings/statistics.html#htmx-response", context)
        response["HX-Push-Url"] = filters.url(sort=kept_sort)
    else:
        response = render(request, "briefings/statistics.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# A sortable column: its two orders, the first one chosen on the first click.
SORT_COLUMNS = {"date": ("newest", "oldest"), "figure": ("largest", "smallest")}


def sort_columns(filters, current):
    """For each sortable column: the link that sorts by it (or reverses it when it is the
    sort already; newest, the default, leaves `sort` out) and its aria-sort state."""
    columns = {}
    for column, (first, second) in SORT_COLUMNS.items():
        chosen = second if current == first else first
        state = {first: "descending", second: "ascending"}.get(current, "none")
        columns[column] = {"url": filters.url(sort=None if chosen == "newest" else chosen), "state": state}
    return columns


@require_safe
@cached_page
def series_chart_svg(request):
    """One measure's chart as a standalone SVG file, for reports: `measure` (required) and the
    explorer's filters. 404 when the measure has no chart under these filters."""
    form = ExplorerForm(request.GET)
    filters = form.filters()
    if form.errors or not filters.measure:
        return HttpResponse("Give a valid measure and filters: " + "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in form.errors.items()) + "\n",
            status=400, content_type="text/plain; charset=utf-8")
    statistics = selectors.filter_statistics(filters, categories=selectors.filter_options()["categories"])
    points = statistics.select_related("speech", "source").defer("source__text")[:SERIES_MAX_POINTS]
    series = build_series(points, filters, request=request)
    if not series or series[0].chart is None:
        raise Http404("This measure has no chart under these filters.")
    chosen = series[0]
    svg = render_to_string("briefings/_chart.svg", {"chart": chosen.chart, "chart_id": chosen.chart_id,
                                                    "standalone": True})
    response = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="threat-briefings-{slugify(filters.measure)[:80]}.svg"'
    return response
