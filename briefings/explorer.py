"""The statistics explorer: every published figure in a filterable, sortable table, a page
at a time, and series of figures that measure the same thing across briefings, drawn as
small SVG charts on the server (no chart JavaScript).

A series is charted when its measure appears in two or more matching briefings and has at
most SERIES_MAX_POINTS figures; a measure with more (thousands, in a large corpus) is listed
with its count and a link that narrows to it, since a chart of thousands of bars says
nothing. So the page costs the same whatever the number of figures.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Case, Count, F, When
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .forms import ExplorerForm
from .models import Attribution, Statistic
from .pagecache import cached_page

FIGURES_PER_PAGE = 100
SERIES_MAX_POINTS = 24

CHART_WIDTH, CHART_HEIGHT = 520, 220
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT = 28, 170, 12


@dataclass
class Bar:
    statistic: Statistic
    x: float
    y: float
    width: float
    height: float
    label_x: float

    @property
    def label_y(self):
        return round(self.y - 6, 1)


@dataclass
class Series:
    measure: str
    points: list
    bars: list
    periods_differ: bool
    unit: str

    @property
    def chart_id(self):
        return f"series-{self.points[0].pk}"


def build_series(statistics):
    """Measures that appear in two or more briefings, oldest briefing first."""
    by_measure = {}
    for statistic in statistics:
        by_measure.setdefault(statistic.measure, []).append(statistic)
    series = []
    for measure, points in by_measure.items():
        if len({point.speech_id for point in points}) < 2:
            continue
        points = sorted(points, key=lambda p: (p.speech.date is None, p.speech.date, p.pk))
        series.append(Series(
            measure=measure,
            points=points,
            bars=_bars(points),
            periods_differ=len({point.period.strip().lower() for point in points}) > 1,
            unit=points[0].unit if len({point.unit for point in points}) == 1 else "",
        ))
    return sorted(series, key=lambda s: s.measure)


def _bars(points):
    drawable = [point for point in points if point.value is not None]
    if not drawable:
        return []
    largest = max(point.value for point in drawable) or 1
    slot = (CHART_WIDTH - 2 * PLOT_LEFT) / len(drawable)
    width = min(64, slot * 0.6)
    bars = []
    for index, point in enumerate(drawable):
        height = float(point.value / largest) * (PLOT_BOTTOM - PLOT_TOP)
        x = PLOT_LEFT + slot * index + (slot - width) / 2
        bars.append(Bar(point, x=round(x, 1), y=round(PLOT_BOTTOM - height, 1), width=round(width, 1),
                        height=round(height, 1), label_x=round(x + width / 2, 1)))
    return bars


def _sorted(statistics, sort):
    """The order of the table, in the database so that a page of it can be fetched. Figures
    without a number ("thousands") cannot be ranked by value: they follow, newest first."""
    undated_last = F("speech__date").desc(nulls_last=True)
    if sort == "oldest":
        return statistics.order_by(F("speech__date").asc(nulls_last=True), "id")
    if sort in ("largest", "smallest"):
        value = F("value").desc(nulls_last=True) if sort == "largest" else F("value").asc(nulls_last=True)
        date_when_no_value = Case(When(value__isnull=True, then=F("speech__date"))).desc(nulls_last=True)
        return statistics.order_by(value, date_when_no_value, "-id" if sort == "largest" else "id")
    return statistics.order_by(undated_last, "id")


def _series(statistics):
    """(charted series, [(measure, figures, briefings)] too long to chart): one aggregate
    query over the measures, one for the points of those that are charted."""
    measures = (
        statistics.order_by()
        .values_list("measure")
        .annotate(figures=Count("*"), briefings=Count("speech", distinct=True))
        .filter(briefings__gte=2)
        .order_by("measure")
    )
    charted, too_long = [], []
    for measure, figures, briefings in measures:
        (charted if figures <= SERIES_MAX_POINTS else too_long).append((measure, figures, briefings))
    # pk=None matches nothing but still runs, so the number of queries does not depend on the data.
    chosen = {"measure__in": [measure for measure, *_ in charted]} if charted else {"pk": None}
    points = statistics.filter(**chosen).select_related("speech")
    return build_series(points), too_long


@require_safe
@cached_page
def statistics_explorer(request):
    """The figures matching the filters, judged at the figure's level (`threat`, `country`,
    `whose`, `measure` are the figure's own: selectors.filter_statistics), a page at a time,
    with the series they form and, beside each filter option, how many figures it would show."""
    form = ExplorerForm(request.GET)
    if form.needs_tidying(request.GET):
        return HttpResponseRedirect(request.path + (f"?{form.tidy_query.urlencode()}" if form.tidy_query else ""))
    options = selectors.filter_options()
    filters = form.filters()
    categories = options["categories"]
    statistics = selectors.filter_statistics(filters, categories=categories)
    sort = form.cleaned_data.get("sort") or "newest"
    table = _sorted(statistics.select_related("speech__speaker").defer("speech__summary"), sort)
    paginator = Paginator(table, FIGURES_PER_PAGE, allow_empty_first_page=True)
    number = form.cleaned_data.get("page") or 1
    if number > paginator.num_pages:
        form.add_error("page", f"There is no page {number} of these figures.")
        number = 1
    page = paginator.page(number)
    series, too_long = _series(statistics)
    counts = selectors.figure_facet_counts(filters, categories)
    kept_sort = sort if sort != "newest" else None
    context = {
        "form": form,
        "filters": filters,
        "options": options,
        "facets": {
            "threat": filters.facet("threat", categories, counts.threats),
            "country": filters.facet("country", options["countries"], counts.countries),
            "whose": filters.facet("whose", Attribution.choices, counts.whose),
        },
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
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": PLOT_BOTTOM},
    }
    return render(request, "briefings/statistics.html", context)
