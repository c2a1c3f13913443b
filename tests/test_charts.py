"""Series charts (briefings/charts.py): a real time axis, a value axis with its unit, each
point labelled with its period, points of different definitions not joined, a source line,
and the chart and its data downloadable, with a permalink."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest

from briefings import charts

SERIES = "late-stage attack plots disrupted"


def figure(date, value, period="in the year", value_text=None, pk=None):
    speech = SimpleNamespace(date=date)
    return SimpleNamespace(pk=pk or id(speech), speech=speech, value=None if value is None else Decimal(value),
                           value_text=value_text or str(value), period=period, unit="plots")


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("over the past four years", "over the last four years", True),
        ("in the year to June", "In the year to June", True),
        ("over the last four years", "Since March 2017", False),
        ("since 2022", "Since March 2017", False),
    ],
)
def test_definition_joins_only_like_periods(a, b, same):
    assert (charts.definition(a) == charts.definition(b)) is same


def test_points_stand_at_their_dates_in_proportion():
    points = [figure(datetime.date(2000, 1, 1), 1), figure(datetime.date(2001, 1, 1), 2),
              figure(datetime.date(2009, 12, 31), 3)]
    chart = charts.series_chart("t", points)
    xs = [point.x for point in chart.points]
    # 2000-01-01 is the axis' origin, 2010-01-01 its end: a year is a tenth of the width.
    width = chart.right - chart.left
    assert xs[0] == pytest.approx(chart.left, abs=0.1)
    assert (xs[1] - xs[0]) / width == pytest.approx(366 / 3653, abs=0.001)
    assert (xs[2] - xs[0]) / width == pytest.approx(3652 / 3653, abs=0.001)
    # Ten years: a tick every second year, so that the labels do not crowd a phone screen.
    assert [label for _x, label in chart.x_ticks] == [str(year) for year in range(2000, 2011, 2)]


def test_the_value_axis_starts_at_zero_with_round_ticks_and_its_unit():
    chart = charts.series_chart("t", [figure(datetime.date(2017, 1, 1), 20), figure(datetime.date(2021, 1, 1), 43)],
                                unit="plots")
    assert [label for _y, label in chart.y_ticks] == ["0", "20", "40", "60"]
    assert chart.unit == "plots"
    bottom, top = chart.y_ticks[0][0], chart.y_ticks[-1][0]
    assert chart.points[1].y == pytest.approx(bottom - (bottom - top) * 43 / 60, abs=0.1)


def test_points_of_different_definitions_are_not_joined():
    points = [figure(datetime.date(2017, 10, 17), 20, "over the past four years"),
              figure(datetime.date(2021, 7, 14), 29, "over the last four years"),
              figure(datetime.date(2024, 10, 8), 43, "Since March 2017")]
    chart = charts.series_chart("t", points)
    assert len(chart.lines) == 1
    joined = chart.lines[0].split(" ")
    assert joined == [f"{p.x},{p.y}" for p in chart.points[:2]]


def test_labels_that_would_overlap_go_up_a_row():
    close = [figure(datetime.date(2020, 1, 1), 1, "over the past four years"),
             figure(datetime.date(2020, 2, 1), 2, "over the past four years")]
    chart = charts.series_chart("t", close)
    assert {point.row for point in chart.points} == {0, 1}
    assert chart.points[0].label_y != chart.points[1].label_y


def test_undated_and_unnumbered_figures_are_listed_not_drawn():
    undated = figure(None, 5)
    thousands = figure(datetime.date(2020, 1, 1), None, value_text="thousands")
    chart = charts.series_chart("t", [figure(datetime.date(2019, 1, 1), 3), undated, thousands])
    assert [point.statistic for point in chart.points] != [] and len(chart.points) == 1
    assert chart.left_out == [undated, thousands]
    assert charts.series_chart("t", [undated]) is None


# ---------------------------------------------------------------- on the page and as files


@pytest.mark.django_db
def test_the_explorer_chart_is_accessible_svg_without_links_or_styles(client, seeded):
    html = client.get("/statistics/").content.decode()
    svg = re.search(r'<svg class="chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "<a " not in svg, "an image role must not hold links"
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg
    assert 'class="axis-title"' in svg and ">plots / attacks<" in svg
    assert "Source: MI5 (the Security Service); Online news report" in svg


@pytest.mark.django_db
def test_the_chart_downloads_as_svg_and_its_data_as_csv_with_a_permalink(client, seeded):
    html = client.get("/statistics/?speaker=ken-mccallum").content.decode()
    figure_html = html[html.index('id="series-late-stage-attack-plots-disrupted"'):]
    found = re.findall(r'<a href="([^"]+)"[^>]*>(permalink|chart \(SVG\)|data \(CSV\))', figure_html)[:3]
    links = {name: url for url, name in found}
    svg_url, csv_url = links["chart (SVG)"].replace("&amp;", "&"), links["data (CSV)"].replace("&amp;", "&")
    assert links["permalink"].replace("&amp;", "&") == (
        "/statistics/?speaker=ken-mccallum&measure=late-stage+attack+plots+disrupted#series-late-stage-attack-plots-disrupted")

    response = client.get(svg_url)
    assert response["Content-Type"] == "image/svg+xml"
    assert 'filename="threat-briefings-late-stage-attack-plots-disrupted.svg"' in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>') and 'xmlns="http://www.w3.org/2000/svg"' in body
    # Ken McCallum's briefings (2021 and 2024) only: the filters travel with the download.
    assert re.findall(r'font-weight="700" fill="#1b1f24">([^<]+)<', body) == ["29", "43"]
    assert "speaker=ken-mccallum" in body  # the permalink in the source line

    rows = b"".join(client.get(csv_url).streaming_content).decode().splitlines()
    assert len(rows) == 3 and all(SERIES in row for row in rows[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("query, status", [("", 400), ("?measure=no+such+thing", 404), ("?measure=x&from=abc", 400)])
def test_the_svg_download_refuses_what_it_cannot_draw(client, seeded, query, status):
    response = client.get(f"/statistics/chart.svg{query}")
    assert response.status_code == status
