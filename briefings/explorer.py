"""The statistics explorer: every published figure in a filterable, sortable table, and
series of figures that measure the same thing across briefings, drawn as small SVG charts
on the server (no chart JavaScript)."""

from dataclasses import dataclass

from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import ExplorerForm
from .models import Statistic
from .views import canonical_query, selected_values

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
    if sort == "oldest":
        return sorted(statistics, key=lambda s: (s.speech.date is None, s.speech.date, s.pk))
    if sort in ("largest", "smallest"):
        numbered = sorted((s for s in statistics if s.value is not None), key=lambda s: (s.value, s.pk),
                          reverse=sort == "largest")
        # Figures without a number ("thousands") cannot be ranked: they follow, in date order.
        return numbered + [s for s in statistics if s.value is None]
    return list(statistics)  # newest first, as the selector orders them


@require_GET
def statistics_explorer(request):
    query = canonical_query(request.GET, extra=("measure", "sort"))
    if len(query.urlencode()) < len(request.GET.urlencode()):
        return HttpResponseRedirect(f"?{query.urlencode()}" if query else request.path)
    form = ExplorerForm(query)
    options = selectors.filter_options()
    filters = form.filters()
    speeches = selectors.filter_speeches(categories=options["categories"], **filters)
    measure = form.cleaned_data.get("measure") or ""
    statistics = list(selectors.filter_statistics(speeches, measure=measure))
    measures = (
        Statistic.objects.published().values_list("measure").annotate(n=Count("id")).order_by("measure")
    )
    context = {
        "form": form,
        "options": options,
        "selected": {
            **selected_values(query),
            "measure": measure,
            "sort": form.cleaned_data.get("sort") or "newest",
        },
        "kinds": form.fields["kind"].choices[1:],
        "sorts": ExplorerForm.SORTS.items(),
        "measures": list(measures),
        "statistics": _sorted(statistics, form.cleaned_data.get("sort")),
        "series": build_series(statistics),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": PLOT_BOTTOM},
        "query": f"?{query.urlencode()}" if query else "",
    }
    return render(request, "briefings/statistics.html", context)
