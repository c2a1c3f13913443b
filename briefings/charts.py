"""Series charts drawn on the server as SVG: a figure over time, for reports.

- A real time axis: each point stands at its briefing's date, in proportion (x is linear in
  days from 1 January of the first year to 1 January after the last); year ticks.
- A value axis from zero with round ticks, titled with the unit as written.
- Each point labelled with its value and its period as stated; labels that would overlap go
  up a row.
- Points are joined only to the next point of the same definition (see `definition`): a
  running total "since March 2017" is not joined to a four-year window.
- A source line naming the publishers, and the permalink, inside the SVG, so a downloaded
  file still says where it came from.

Only presentation attributes, no `style`, no script: the same SVG is shown inline under the
strict Content-Security-Policy and downloaded as a file. Everything is in viewBox units; the
chart is WIDTH units wide, so on a 390-pixel phone it is drawn at about 0.9 scale and its
smallest text is still about 11 pixels.
"""

import datetime
import itertools
import math
import re
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 360
LEFT, RIGHT = 52, 18  # room for the value ticks and the unit, and for the last label
PLOT_HEIGHT = 140
LABEL_ROW = 32  # height of one row of point labels (value, then period)
FOOTER_LINE = 15
VALUE_CHARS, PERIOD_CHARS = 8.4, 6.8  # rough widths of a character at the label sizes
PERIOD_MAX = 28


@dataclass
class Point:
    statistic: object
    x: float
    y: float
    label_x: float = 0
    label_y: float = 0
    anchor: str = "middle"
    row: int = 0
    period_label: str = ""
    leader_top: float = 0

    @property
    def period_y(self):
        return round(self.label_y + 14, 1)


@dataclass
class Chart:
    title: str
    unit: str
    height: float
    plot_top: float
    plot_bottom: float
    points: list
    lines: list  # SVG polyline "x,y x,y" strings, one per run of joined points
    x_ticks: list  # (x, label)
    y_ticks: list  # (y, label)
    source_lines: list
    left_out: list = field(default_factory=list)  # statistics that cannot be placed
    width: int = WIDTH
    left: int = LEFT
    right: int = WIDTH - RIGHT

    @property
    def unit_y(self):
        return round((self.plot_top + self.plot_bottom) / 2, 1)


_LEADING = re.compile(r"^(?:over|in|within|across|throughout|during|for)\s+(?:the\s+)?", re.IGNORECASE)


def definition(period):
    """What a figure counts over, for deciding whether two figures may be joined by a line:
    the period as written, lower case, with leading "over the"/"in the" dropped and "past"
    read as "last", so "over the past four years" and "over the last four years" are one
    definition and "Since March 2017" another."""
    text = re.sub(r"\s+", " ", period or "").strip().lower()
    text = _LEADING.sub("", text)
    return re.sub(r"\bpast\b", "last", text)


def _days(date, origin):
    return (date - origin).days


def _value_ticks(largest):
    """Round ticks from zero past `largest`: a step of 1, 2 or 5 times a power of ten, about
    four steps."""
    if largest <= 0:
        return [Decimal(0), Decimal(1)]
    rough = Decimal(str(largest)) / 4
    power = Decimal(10) ** math.floor(math.log10(rough))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= rough)
    count = math.ceil(Decimal(str(largest)) / step)
    return [step * index for index in range(count + 1)]


def _number(value):
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _year_ticks(first, last):
    span = last - first + 1
    step = next(step for step in (1, 2, 5, 10, 20, 50) if span / step <= 5)
    start = first - first % step if step > 1 else first
    return [year for year in range(start, last + 2, step) if first <= year <= last + 1]


def _place_labels(points):
    """Rows for the labels so that none overlaps its neighbour in the same row."""
    taken = []  # per row: the right edge of the last label placed
    for point in points:
        width = max(len(point.statistic.value_text) * VALUE_CHARS, len(point.period_label) * PERIOD_CHARS)
        if point.x - width / 2 < 2:
            point.anchor, left, right = "start", point.x - 4, point.x - 4 + width
        elif point.x + width / 2 > WIDTH - 2:
            point.anchor, left, right = "end", point.x + 4 - width, point.x + 4
        else:
            point.anchor, left, right = "middle", point.x - width / 2, point.x + width / 2
        point.label_x = {"start": point.x - 4, "end": point.x + 4, "middle": point.x}[point.anchor]
        row = next((index for index, edge in enumerate(taken) if left > edge + 6), len(taken))
        if row == len(taken):
            taken.append(right)
        else:
            taken[row] = right
        point.row = row
    return len(taken)


def series_chart(title, statistics, *, unit="", source_line="", permalink=""):
    """The chart of `statistics` (figures of one measure, any order). Figures that cannot be
    placed (an undated briefing, no number) are listed in `left_out` instead of drawn."""
    placed = [s for s in statistics if s.value is not None and s.speech.date is not None]
    placed.sort(key=lambda s: (s.speech.date, s.pk))
    left_out = [s for s in statistics if s not in placed]
    points = [Point(s, 0, 0, period_label=_short(s.period) or "period not stated") for s in placed]
    if not points:
        return None
    first, last = points[0].statistic.speech.date.year, points[-1].statistic.speech.date.year
    origin, end = datetime.date(first, 1, 1), datetime.date(last + 1, 1, 1)
    plot_width = WIDTH - LEFT - RIGHT
    scale_x = plot_width / _days(end, origin)
    for point in points:
        point.x = round(LEFT + _days(point.statistic.speech.date, origin) * scale_x, 1)
    rows = _place_labels(points)

    plot_top = 10 + rows * LABEL_ROW + 8
    plot_bottom = plot_top + PLOT_HEIGHT
    ticks = _value_ticks(max(p.statistic.value for p in points))
    top_value = float(ticks[-1])
    for point in points:
        point.y = round(plot_bottom - float(point.statistic.value) / top_value * PLOT_HEIGHT, 1)
        # Every label sits above the plot, in its row, whatever the point's height.
        point.label_y = round(plot_top - 22 - point.row * LABEL_ROW, 1)
        point.leader_top = round(point.label_y + 19, 1)
    lines, run = [], [points[0]]
    for previous, point in itertools.pairwise(points):
        if definition(point.statistic.period) == definition(previous.statistic.period):
            run.append(point)
        else:
            lines.append(run)
            run = [point]
    lines.append(run)
    y_ticks = [(round(plot_bottom - float(tick) / top_value * PLOT_HEIGHT, 1), _number(tick)) for tick in ticks]
    x_ticks = [
        (round(LEFT + _days(datetime.date(year, 1, 1), origin) * scale_x, 1), str(year))
        for year in _year_ticks(first, last)
    ]
    source_lines = textwrap.wrap(source_line, 60, break_on_hyphens=False)
    if permalink:  # an address is cut anywhere, not at its hyphens
        source_lines += textwrap.wrap(permalink, 60, break_on_hyphens=False, break_long_words=True)
    height = plot_bottom + 34 + FOOTER_LINE * len(source_lines)
    return Chart(
        title=title,
        unit=unit,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        points=points,
        lines=[" ".join(f"{p.x},{p.y}" for p in run) for run in lines if len(run) > 1],
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        source_lines=[(plot_bottom + 34 + FOOTER_LINE * index, text) for index, text in enumerate(source_lines)],
        left_out=left_out,
    )


def _short(period):
    period = re.sub(r"\s+", " ", period or "").strip()
    return period if len(period) <= PERIOD_MAX else period[: PERIOD_MAX - 1].rstrip() + "…"
