"""The statistics explorer at /statistics/: filters, sorting, series charts, bad input."""

import datetime
import html as html_module
import re

import pytest

from briefings.explorer import FIGURES_PER_PAGE
from briefings.models import Statistic, Status

from .factories import make_speech, make_statistic

pytestmark = pytest.mark.django_db

SERIES = "late-stage attack plots disrupted"


def figure_ids(html):
    if "No figures match these filters." in html:
        return []
    table = html[html.index('<table class="data figures'):]
    return [int(pk) for pk in re.findall(r'<td class="figure" data-label="Figure"><a href="/statistics/(\d+)/"', table)]


def test_lists_every_published_figure_newest_briefing_first(client, seeded):
    html = client.get("/statistics/").content.decode()
    ids = figure_ids(html)
    assert sorted(ids) == sorted(Statistic.objects.published().values_list("pk", flat=True))
    # The 2024 update (ids 29-34) leads; the undated video's single figure (id 1) comes last.
    assert ids[:6] == [29, 30, 31, 32, 33, 34] and ids[-1] == 1


@pytest.mark.parametrize(
    "query, expected",
    [
        # Threat and country are the figure's own (curation.toml), not its briefing's: the 2021 and
        # 2024 updates are tagged Iran, but only figures 30 and 32 are about Iran.
        ("country=iran", {30, 32}),
        ("country=iran&country=ukraine", {30, 31, 32}),
        # No figure is about cyber, though two briefings are tagged with it.
        ("threat=cyber", set()),
        # A parent includes its children: state threats are 15 (espionage) and 30-32.
        ("threat=state-threats", {15, 30, 31, 32}),
        ("threat=extreme-right-wing-terrorism", {16, 17, 19, 20, 21}),
        ("threat=extreme-right-wing-terrorism&from=2024", set()),
        # Terrorism and its children: every figure but the staff numbers (12, 13) and state threats.
        ("threat=terrorism", set(range(1, 35)) - {12, 13, 15, 30, 31, 32}),
        ("whose=background", {26, 27, 28}),
        ("whose=speaker&whose=background&threat=islamist-terrorism", {4, 5, 22, 23, 26, 27, 28}),
        ("whose=paraphrase&country=russia", {30, 31}),
        (f"measure={SERIES}", {2, 18, 33}),
        ("speaker=andrew-parker&to=2017", set(range(2, 15))),
    ],
)
def test_filters(client, seeded, query, expected):
    assert set(figure_ids(client.get(f"/statistics/?{query}").content.decode())) == expected


def test_sort_by_value_puts_figures_without_a_number_last(client, seeded):
    ids = figure_ids(client.get("/statistics/?sort=largest").content.decode())
    values = [Statistic.objects.get(pk=pk).value for pk in ids]
    numbered = [v for v in values if v is not None]
    assert numbered == sorted(numbered, reverse=True)
    assert values.index(None) == len(numbered)  # every None after every number
    smallest = figure_ids(client.get("/statistics/?sort=smallest").content.decode())
    assert Statistic.objects.get(pk=smallest[0]).value == min(numbered)


def test_the_late_stage_plots_series_is_drawn_with_its_periods_and_a_warning(client, seeded):
    html = client.get("/statistics/").content.decode()
    figure = html[html.index('<figure class="series" id="series-late-stage-attack-plots-disrupted"'):]
    figure = figure[:figure.index("</figure>")]
    assert "Late-stage attack plots disrupted" in figure
    assert "Not strictly comparable" in figure
    values = re.findall(r'font-weight="700" fill="#1b1f24">([^<]+)<', figure)
    assert values == ["Twenty", "29", "43"]
    heights = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', figure)]
    assert heights[0] > heights[1] > heights[2]  # SVG y grows downwards: 43 stands highest
    for period in ("over the past four years", "over the last four years", "Since March 2017"):
        assert period in figure
    assert "<desc id=\"series-late-stage-attack-plots-disrupted-desc\">Twenty on 17 October 2017" in figure


def test_a_series_with_the_same_period_carries_no_warning(client, db):
    for year, value in ((2019, 5), (2020, 7)):
        make_statistic(speech=make_speech(date=datetime.date(year, 1, 1)), measure="arrests", value=value,
                       value_text=str(value), period="in the year")
    html = client.get("/statistics/").content.decode()
    assert 'class="series"' in html and "Not strictly comparable" not in html


def test_drafts_never_appear(client, seeded):
    Statistic.objects.filter(pk=33).update(status=Status.DRAFT)
    html = client.get("/statistics/").content.decode()
    assert 33 not in figure_ids(html)
    assert "/statistics/33/" not in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("country=narnia", "There is no country “narnia”"),
        ("sort=sideways", "is not a sort order"),
        ("from=abc", "Enter a year such as 2021"),
        ("q=" + "y" * 1000, "Search text can be at most 200 characters"),
    ],
)
def test_bad_input_gives_the_page_with_a_message(client, seeded, query, message):
    response = client.get(f"/statistics/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert len(figure_ids(html)) == Statistic.objects.published().count()


def test_empty_parameters_are_dropped(client, seeded):
    assert client.get("/statistics/?q=&measure=&country=iran")["Location"] == "/statistics/?country=iran"


def test_quotes_and_measures_are_escaped(client, db):
    make_statistic(measure="<script>alert(1)</script>", value_text="<b>9</b>")
    html = client.get("/statistics/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>9</b>" not in html


@pytest.mark.parametrize("size", [3, 150])
def test_query_count_is_fixed(client, db, django_assert_num_queries, kept_indexes, size):
    """With the indexes kept (figure_facets, and facets for the option lists and years held): one
    page of figures (with briefing and speaker), fetched by the ids the figure index gives; the
    points of the charted series (with briefing and source, for the chart's source line). Every
    count (beside the options, of the figures, of each measure's figures and briefings) comes
    from the figure index."""
    for i in range(size):
        speech = make_speech(date=datetime.date(1900 + i, 1, 1))
        make_statistic(speech=speech, measure="arrests", value=i, value_text=str(i))
    kept_indexes()
    with django_assert_num_queries(2):
        response = client.get("/statistics/")
    assert len(figure_ids(response.content.decode())) == min(size, FIGURES_PER_PAGE)


def test_without_kept_indexes_the_explorer_builds_them_in_nine_more_queries(client, db, django_assert_num_queries):
    """Inside a test's transaction there is no content token, so nothing is kept: the facet
    index (10 queries) and the figure index (2) are built for the request."""
    for i in range(3):
        make_statistic(speech=make_speech(date=datetime.date(2000 + i, 1, 1)), measure="arrests")
    with django_assert_num_queries(2 + 10 + 2):
        client.get("/statistics/")


class TestAtScale:
    @pytest.fixture
    def figures(self, db):
        """130 figures of one measure, one per briefing, 1900 to 2029."""
        for i in range(130):
            speech = make_speech(date=datetime.date(1900 + i, 1, 1))
            make_statistic(speech=speech, measure="arrests", value=i, value_text=str(i))

    def test_the_table_is_paged_newest_first(self, client, figures):
        first = client.get("/statistics/").content.decode()
        assert "130 figures, 1–100 shown." in first
        second_url = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
        assert second_url == "/statistics/?page=2"
        second = client.get(second_url).content.decode()
        values = [Statistic.objects.get(pk=pk).value for pk in figure_ids(first) + figure_ids(second)]
        assert values == sorted(values, reverse=True) and len(values) == 130
        assert 'rel="prev"' in second and 'rel="next"' not in second

    def test_a_page_keeps_the_sort_and_filters(self, client, figures):
        html = client.get("/statistics/?sort=smallest&from=1920").content.decode()
        assert re.search(r'<a href="/statistics/\?from=1920&amp;sort=smallest&amp;page=2" rel="next">', html)
        assert [Statistic.objects.get(pk=pk).value for pk in figure_ids(html)][:2] == [20, 21]

    @pytest.mark.parametrize("page", ["0", "abc", "3"])
    def test_a_bad_page_shows_the_first_with_a_message(self, client, figures, page):
        response = client.get(f"/statistics/?page={page}")
        assert response.status_code == 200
        assert 'class="field-error" role="alert"' in response.content.decode()
        assert len(figure_ids(response.content.decode())) == 100

    def test_a_measure_with_too_many_figures_is_listed_not_charted(self, client, figures):
        html = client.get("/statistics/").content.decode()
        assert 'class="series"' not in html
        assert '<a href="/statistics/?measure=arrests">Arrests</a>: 130 figures in 130 briefings' in html
        narrowed = client.get("/statistics/?measure=arrests&from=2010").content.decode()
        assert '<figure class="series"' in narrowed


def option_counts(html, name):
    """{option label: count} of a facet of the explorer, as the page shows them ("(none)" is 0)."""
    start = html.index(f'name="{name}"')
    block = html[start:html.index("</fieldset>", start)]
    return {html_module.unescape(label).strip(): 0 if n == "none" else int(n)
            for label, n in re.findall(r'>\s*([^<>]+?) <span class="count[^"]*" id="count-[^"]+">\((\d+|none)\)<', block)}


def test_the_counts_beside_each_option_are_counts_of_figures(client, seeded):
    """Counted from curation.toml: of the two figures about Iran, 30 is about state threats and 32
    about threats to life (a state threat), both paraphrased by a reporter. A briefing count
    would say 2 for Iran's state threats too, but 1 for each of its briefings' other threats."""
    html = client.get("/statistics/?country=iran").content.decode()
    threats = option_counts(html, "threat")
    assert (threats["State threats"], threats["Threats to life"], threats["Espionage"]) == (2, 1, 0)
    assert threats["Terrorism"] == 0 and threats["Cyber"] == 0
    assert option_counts(html, "whose") == {"The speaker's own words": 0, "The reporter's paraphrase": 2,
                                             "The reporter's background": 0}
    # The country counts apply the other filters (here none), not their own: Russia has 30 and 31.
    countries = option_counts(html, "country")
    assert (countries["Iran"], countries["Russia"], countries["Syria"]) == (2, 2, 2)


def test_the_measure_list_sorts_as_people_read(client, seeded):
    html = client.get("/statistics/").content.decode()
    select = html[html.index('id="stat-measure"'):]
    select = select[:select.index("</select>")]
    measures = re.findall(r'<option value="([^"]+)"', select)
    assert measures == sorted(measures, key=str.casefold)
    assert measures.index("MI5 staff") < measures.index("people killed in terrorist attacks")


@pytest.mark.parametrize(
    "query, date_link, figure_link, states",
    [
        ("", "/statistics/?sort=oldest", "/statistics/?sort=largest", ["descending", "none"]),
        ("?country=iran&sort=oldest", "/statistics/?country=iran", "/statistics/?country=iran&sort=largest",
         ["ascending", "none"]),
        ("?sort=largest", "/statistics/", "/statistics/?sort=smallest", ["none", "descending"]),
    ],
)
def test_the_date_and_figure_columns_sort_the_table(client, seeded, query, date_link, figure_link, states):
    html = client.get(f"/statistics/{query}").content.decode().replace("&amp;", "&")
    head = html[html.index('<table class="data figures'):]
    head = head[:head.index("</thead>")]
    assert re.findall(r'<a class="sort" href="([^"]+)">', head) == [date_link, figure_link]
    assert re.findall(r'aria-sort="([a-z]+)"', head) == states
    ids = figure_ids(client.get(figure_link).content.decode())
    values = [Statistic.objects.get(pk=pk).value for pk in ids]
    numbered = [v for v in values if v is not None]
    assert numbered == sorted(numbered, reverse=figure_link.endswith("largest"))


def test_the_filter_form_asks_htmx_for_just_the_results_and_counts(client, seeded):
    """The form's change swaps #results in place: the fragment holds the figures, the chips, the
    summary and the counts out of band, not the page around them; the address bar gets the
    canonical query (empty fields the form sent dropped, the sort kept)."""
    response = client.get("/statistics/?q=&country=iran&measure=&sort=oldest", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>" not in html and 'id="filters"' not in html
    assert set(figure_ids(html)) == {30, 32}
    assert 'aria-label="Remove filter Country: Iran"' in html
    assert '<p id="result-summary" hx-swap-oob="innerHTML">2 figures.</p>' in html
    assert '<span class="count" id="count-whose-paraphrase" hx-swap-oob="true">(2)</span>' in html
    assert "<title>Iran · Statistics explorer · Threat Briefings</title>" in html
    assert response["HX-Push-Url"] == "/statistics/?country=iran&sort=oldest"
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true", "HX-History-Restore-Request": "true"},
                                     {"HX-Request": "true", "HX-Boosted": "true"}])
def test_pages_history_restores_and_boosted_links_get_the_whole_page(client, seeded, headers):
    response = client.get("/statistics/?country=iran", headers=headers)
    html = response.content.decode()
    assert "<h1>Statistics explorer</h1>" in html and 'id="filters-panel"' in html
    assert set(figure_ids(html)) == {30, 32}
    assert "HX-Push-Url" not in response and "HX-Request" in response["Vary"]


def test_the_filters_are_checkbox_facets_in_a_panel_that_folds_on_phones(client, seeded):
    html = client.get("/statistics/?whose=background").content.decode()
    assert '<summary class="filters-toggle">Filters <span id="filter-count">(1)</span></summary>' in html
    assert "{#" not in html, "a template comment leaked into the page"
    assert 'hx-get="/statistics/" hx-target="#results" hx-push-url="true"' in html
    assert "<select" not in html[html.index('<legend>Threat</legend>'):html.index('<label for="stat-measure">')]
    for name in ("threat", "country", "whose"):
        assert f'<input type="checkbox" name="{name}"' in html
    assert '<input type="checkbox" name="whose" value="background" checked>' in html


def test_a_chip_removes_its_filter(client, seeded):
    html = client.get("/statistics/?country=iran&whose=paraphrase&measure=" + SERIES).content.decode()
    assert set(figure_ids(html)) == set()
    chips = dict(re.findall(r'<a href="([^"]+)" aria-label="Remove filter ([^"]+)"', html))
    remove_url = html_module.unescape(next(url for url, label in chips.items() if label.startswith("Measure")))
    assert remove_url == "/statistics/?country=iran&whose=paraphrase"
    assert set(figure_ids(client.get(remove_url).content.decode())) == {30, 32}
    assert 'href="/statistics/">Clear all filters</a>' in html


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx-fragment"])
def test_query_count_is_the_same_for_the_page_and_the_htmx_fragment(client, db, django_assert_num_queries,
                                                                    kept_indexes, headers):
    """The fragment carries the results and every facet count, so it needs what the page does:
    the 2 queries of test_query_count_is_fixed, whatever the filters (a parent threat is
    expanded in Python from the option lists)."""
    for i in range(5):
        make_statistic(speech=make_speech(date=datetime.date(2000 + i, 1, 1)), measure="arrests", value=i,
                       value_text=str(i))
    kept_indexes()
    with django_assert_num_queries(2):
        response = client.get("/statistics/?whose=speaker", headers=headers)
    assert len(figure_ids(response.content.decode())) == 5
