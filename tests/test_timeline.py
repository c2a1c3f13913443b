"""The timeline at `/`: filters, facet counts, the htmx fragment, bad input, query counts."""

import re

import pytest
from django.urls import reverse

from briefings.models import Status
from briefings.views import PAGE_SIZE

from .factories import (
    make_assessment,
    make_category,
    make_corpus,
    make_country,
    make_speaker,
    make_speech,
    make_statistic,
)

# The page cache keys the htmx headers the views answer to, so every response names all three.
VARY = "HX-Request, HX-Boosted, HX-History-Restore-Request"

pytestmark = pytest.mark.django_db

ALL_SLUGS = {
    "annual-threat-update-2024",
    "annual-threat-update-2021",
    "bbc-radio-interview-2021-09",
    "parker-speech-2017-10-17",
    "being-mi5-video",
}


def shown_slugs(response):
    return set(re.findall(r'<article class="card">\s*<h3><a href="/briefings/([^/]+)/"', response.content.decode()))


def year_headings(response):
    return re.findall(r'<h2 id="year-([^"]+)">', response.content.decode())


def test_briefings_are_grouped_by_year_newest_first_with_undated_last(client, seeded):
    response = client.get("/")
    assert year_headings(response) == ["2024", "2021", "2017", "undated"]
    assert shown_slugs(response) == ALL_SLUGS
    assert "2 briefings, mostly about" in response.content.decode()


def test_an_inferred_date_is_marked_with_its_basis(client, seeded):
    html = client.get("/").content.decode()
    assert re.search(r'8 October 2024</time> <abbr class="inferred" title="Inferred: the report prints no date', html)
    assert '14 July 2021</time>\n' in html or '14 July 2021</time> ·' in html.replace("\n", " ")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("country=iran", {"annual-threat-update-2021", "annual-threat-update-2024"}),
        ("country=afghanistan", {"annual-threat-update-2021", "bbc-radio-interview-2021-09"}),
        # Several values of one facet mean OR.
        ("country=afghanistan&country=iran",
         {"annual-threat-update-2021", "annual-threat-update-2024", "bbc-radio-interview-2021-09"}),
        # Different facets combine with AND.
        ("country=afghanistan&kind=interview", {"bbc-radio-interview-2021-09"}),
        ("threat=extreme-right-wing-terrorism", {"annual-threat-update-2021", "annual-threat-update-2024"}),
        # A parent includes its children: espionage is under state threats.
        ("threat=state-threats",
         {"annual-threat-update-2021", "annual-threat-update-2024", "parker-speech-2017-10-17", "being-mi5-video"}),
        ("speaker=andrew-parker", {"parker-speech-2017-10-17", "being-mi5-video"}),
        ("kind=annual-threat-update", {"annual-threat-update-2021", "annual-threat-update-2024"}),
        ("from=2021", {"annual-threat-update-2021", "annual-threat-update-2024", "bbc-radio-interview-2021-09"}),
        ("to=2017", {"parker-speech-2017-10-17"}),
        ("from=2018&to=2023", {"annual-threat-update-2021", "bbc-radio-interview-2021-09"}),
        # (Stemmed search on PostgreSQL against substrings on SQLite: tests/test_search.py.)
        ("q=internet-borne", {"being-mi5-video"}),
        # Case-insensitive; a year range leaves out the undated video.
        ("q=ENCRYPTED&to=2020", {"parker-speech-2017-10-17"}),
        ("q=Taliban", {"bbc-radio-interview-2021-09"}),
        ("country=iran&threat=northern-ireland-related-terrorism", {"annual-threat-update-2021"}),
    ],
)
def test_filters(client, seeded, query, expected):
    assert shown_slugs(client.get(f"/?{query}")) == expected


def test_facet_counts_apply_the_other_filters(client, seeded):
    html = client.get("/?country=iran").content.decode()
    # Among Iran briefings, one is by... nobody else: Parker has none, McCallum two.
    assert 'id="count-speaker-ken-mccallum">(2)' in html
    assert 'class="count count-none" id="count-speaker-andrew-parker">(none)' in html
    # Country counts ignore the country filter itself (OR within a facet): Afghanistan has 2.
    assert 'id="count-country-afghanistan">(2)' in html
    # A parent's count includes briefings tagged with any child.
    assert 'id="count-threat-state-threats">(2)' in html


def test_options_that_match_nothing_are_shown_as_such(client, seeded):
    html = client.get("/").content.decode()
    assert re.search(r'value="article">\s*Article <span class="count count-none" id="count-kind-article">\(none\)', html)


def test_active_filters_are_chips_with_remove_links_and_clear_all(client, seeded):
    html = client.get("/?threat=cyber&country=iran&country=china").content.decode()
    assert "Country: <strong>Iran</strong>" in html
    assert "Threat: <strong>Cyber</strong>" in html
    assert 'href="/?threat=cyber&amp;country=china" aria-label="Remove filter Country: Iran"' in html
    # Values stand in the canonical order (by name), whatever order the URL gave them in.
    assert 'href="/?country=china&amp;country=iran" aria-label="Remove filter Threat: Cyber"' in html
    assert '<a class="clear-all" href="/">' in html


def test_empty_parameters_are_dropped_from_the_url(client, seeded):
    response = client.get("/?q=&country=iran&kind=&from=&to=&speaker=")
    assert response.status_code == 302
    assert response["Location"] == "/?country=iran"
    assert client.get("/?q=&kind=")["Location"] == "/"


def test_matrix_shows_change_over_time_for_the_chosen_threat(client, seeded):
    html = client.get("/?threat=extreme-right-wing-terrorism").content.decode()
    matrix = html[html.index('<table class="matrix">'):html.index("</table>")]
    assert re.findall(r'<th scope="col">(\d{4})</th>', matrix) == ["2021", "2024"]
    assert re.findall(r'<th scope="row"[^>]*>([^<]+)</th>', matrix) == ["Terrorism", "Extreme right-wing terrorism"]
    assert matrix.count("▲ rising") == 2
    assert 'href="/briefings/annual-threat-update-2021/#assessment-10"' in matrix


def test_matrix_for_a_country_keeps_only_judgements_about_it(client, seeded):
    html = client.get("/?country=iran").content.decode()
    matrix = html[html.index('<table class="matrix">'):html.index("</table>")]
    assert re.findall(r'#assessment-(\d+)"', matrix) == ["4", "14", "15"]


def test_cards_lead_with_statistics_about_the_filtered_country(client, seeded):
    html = client.get("/?country=iran").content.decode()
    card_2024 = html[html.index("/briefings/annual-threat-update-2024/\">Annual"):]
    first_stats = re.findall(r'#stat-(\d+)">', card_2024)[:2]
    assert set(first_stats) == {"30", "32"}  # the two 2024 figures tagged Iran


def test_drafts_never_appear_on_the_timeline(client, seeded):
    from briefings.models import Assessment, Statistic

    Statistic.objects.filter(pk=32).update(status=Status.DRAFT)
    Assessment.objects.filter(pk=15).update(status=Status.DRAFT)
    html = client.get("/?country=iran").content.decode()
    assert "#stat-32" not in html
    assert "#assessment-15" not in html


class TestHtmx:
    def test_fragment_has_results_and_out_of_band_counts_but_no_page(self, client, seeded):
        response = client.get("/?country=iran", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert "<html" not in html and "<form" not in html
        assert shown_slugs(response) == {"annual-threat-update-2021", "annual-threat-update-2024"}
        assert 'id="count-country-afghanistan" hx-swap-oob="true">(2)' in html
        assert '<p id="result-summary" hx-swap-oob="innerHTML">2 briefings match the filters.</p>' in html
        assert response["Vary"] == VARY
        assert response["HX-Push-Url"] == "/?country=iran"

    def test_pushed_url_drops_empty_parameters(self, client, seeded):
        response = client.get("/?q=&country=iran&kind=", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response["HX-Push-Url"] == "/?country=iran"

    def test_history_restore_gets_the_full_page(self, client, seeded):
        response = client.get(
            "/?country=iran", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
        html = response.content.decode()
        assert html.startswith("<!doctype html>") and '<form id="filters"' in html
        assert 'value="iran" checked' in html
        assert response["Vary"] == VARY

    def test_boosted_links_get_the_full_page(self, client, seeded):
        html = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).content.decode()
        assert '<form id="filters"' in html

    def test_full_page_also_varies_on_hx_request(self, client, seeded):
        assert client.get("/")["Vary"] == VARY


class TestBadInput:
    @pytest.mark.parametrize(
        "query, message, still_shown",
        [
            ("country=narnia", "There is no country “narnia”. This filter was ignored.", ALL_SLUGS),
            ("threat=../../etc", "There is no threat category “../../etc”", ALL_SLUGS),
            ("speaker=nobody", "There is no such speaker", ALL_SLUGS),
            ("kind=podcast", "“podcast” is not a kind of briefing", ALL_SLUGS),
            ("from=abc", "Enter a year such as 2021", ALL_SLUGS),
            ("from=99999999999999999999", "Enter a year up to 2100", ALL_SLUGS),
            ("from=2024&to=2017", "“To” (2017) is before “from” (2024). The year range was ignored.", ALL_SLUGS),
            ("q=" + "x" * 5000, "Search text can be at most 200 characters (this has 5000)", ALL_SLUGS),
            ("page=abc", "Enter a page number such as 2. The first page is shown.", ALL_SLUGS),
            ("page=0", "Pages are numbered from 1. The first page is shown.", ALL_SLUGS),
            ("page=99999999999999999999", "There is no such page. The first page is shown.", ALL_SLUGS),
            ("page=2", "There is no page 2 of these briefings. The first page is shown.", ALL_SLUGS),
            # A bad value in one facet does not drop the valid others.
            ("country=narnia&kind=interview", "There is no country “narnia”", {"bbc-radio-interview-2021-09"}),
        ],
    )
    def test_bad_filters_give_the_page_with_a_message_next_to_the_filter(self, client, seeded, query, message,
                                                                         still_shown):
        response = client.get(f"/?{query}")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="field-error"' in html
        assert message in html
        assert shown_slugs(response) == still_shown

    def test_garbage_parameters_are_escaped_not_echoed(self, client, seeded):
        html = client.get("/?q=<script>alert(1)</script>&country=<b>x</b>").content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_unknown_parameters_are_dropped_from_the_url(self, client, seeded):
        response = client.get("/?colour=blue&country=iran&order=-1")
        assert response["Location"] == "/?country=iran"
        assert len(shown_slugs(client.get(response["Location"]))) == 2

    def test_post_is_not_allowed(self, client, seeded):
        assert client.post("/").status_code == 405


def test_no_match_offers_to_remove_the_most_restrictive_filter(client, seeded):
    html = client.get("/?country=somalia&speaker=andrew-parker").content.decode()
    assert "No briefings match these filters" in html
    # Dropping the speaker brings back the 2021 update; dropping Somalia brings back Parker's two.
    assert "Removing <strong>Country: Somalia</strong> would show 2 briefings." in html
    assert 'href="/?speaker=andrew-parker">Remove that filter</a>' in html


@pytest.mark.parametrize("size", [3, 60])
@pytest.mark.parametrize(
    "query, headers, expected_queries",
    [
        # The page's briefings, their threats, countries, judgements and figures (each with its
        # countries' ids as a column: briefings/cards.py); 1 for the judgements of the matrix's
        # uncrowded cells. The option lists, facet counts, briefings per year, the matrix's
        # counts, the digests and the coverage line come from the facet index: no query.
        ("", {}, 6),
        # The same, plus one query each to validate the two slug filters.
        ("?country=c0&threat=t-parent", {}, 8),
        # The htmx fragment needs the same data.
        ("?country=c0&threat=t-parent", {"HX-Request": "true"}, 8),
        # A search adds two queries: the ids of the matching briefings (found once, then turned
        # into a set of the index) and the matching passages shown on the cards.
        ("?q=plots", {}, 8),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_briefings(client, django_assert_num_queries, kept_indexes, size,
                                                                 query, headers, expected_queries):
    make_corpus(size)
    kept_indexes()
    with django_assert_num_queries(expected_queries):
        response = client.get(reverse("briefings:timeline") + query, headers=headers)
    # make_corpus puts size/20 briefings in each of 20 years: whole years fill a page of at most
    # PAGE_SIZE; search results, most relevant first, fill it exactly.
    per_year = max(1, size // 20)
    shown = min(size, PAGE_SIZE) if "q=" in query else min(size, PAGE_SIZE // per_year * per_year)
    assert len(shown_slugs(response)) == shown


@pytest.mark.parametrize("size", [3, 60])
def test_without_a_kept_indexes_a_page_builds_one_in_ten_more_queries(client, django_assert_num_queries, size):
    """Inside a transaction (as here) there is no content token, so nothing is kept: the page
    builds the index itself (facets.build: 10 queries) and then asks what it always asks."""
    make_corpus(size)
    with django_assert_num_queries(6 + 10):
        response = client.get(reverse("briefings:timeline"))
    assert shown_slugs(response)


@pytest.mark.parametrize("size", [30, 60])
def test_an_older_page_loaded_by_htmx_costs_a_fixed_number_of_queries(client, django_assert_num_queries, kept_indexes,
                                                                      size):
    """The page's briefings with their threats, countries, judgements and figures: no facet
    counts or matrix, which the page already shows."""
    make_corpus(size)
    kept_indexes()
    with django_assert_num_queries(5):
        response = client.get("/?page=2", headers={"HX-Request": "true"})
    assert shown_slugs(response)


def test_the_timeline_links_to_the_feed_and_exports_of_its_filters(client, seeded):
    html = client.get("/?threat=cyber&country=iran").content.decode()
    assert 'href="/feed/?threat=cyber&amp;country=iran"' in html
    assert 'href="/statistics.csv?threat=cyber&amp;country=iran"' in html
    assert 'href="/api/statistics.json?threat=cyber&amp;country=iran"' in html


def older_link(response):
    match = re.search(r'<p class="older"><a href="([^"]+)" hx-get="([^"]+)" hx-trigger="revealed"', response.content.decode())
    return match and match.group(1).replace("&amp;", "&")


class TestPages:
    """The timeline shows about PAGE_SIZE briefings at a time, whole years where they fit."""

    @pytest.fixture
    def corpus(self, db, monkeypatch):
        """With pages of 20: 25 briefings in each of 2024 and 2023, 3 in 2022, 2 undated: 55 in all, alternately
        about plots and spies, each with one figure about its threat."""
        import datetime

        from .factories import make_statistic

        monkeypatch.setattr("briefings.views.PAGE_SIZE", 20)
        threat = make_category(slug="spies", name="Spies")
        other = make_category(slug="plots", name="Plots")
        for year, count in ((2024, 25), (2023, 25), (2022, 3), (None, 2)):
            for day in range(count):
                speech = make_speech(date=datetime.date(year, 1, 1 + day) if year else None,
                                     threats=[threat] if day % 2 else [other], slug=f"b-{year}-{day:02d}")
                make_statistic(speech=speech, threat=threat if day % 2 else other)

    def test_pages_follow_each_other_without_gaps_or_repeats(self, client, corpus):
        seen, headings, url = [], [], "/"
        while url:
            response = client.get(url)
            assert response.status_code == 200
            seen += sorted(shown_slugs(response))
            headings.append(year_headings(response))
            url = older_link(response)
        assert len(seen) == len(set(seen)) == 55
        # 2024 and 2023 are longer than a page, so they are split; 2022 and the undated are whole.
        assert headings == [["2024"], ["2024-2", "2023"], ["2023-3", "2022", "undated"]]

    def test_a_continued_year_says_so_and_its_digest_counts_the_whole_year(self, client, corpus):
        first = client.get("/").content.decode()
        assert "25 briefings, mostly about Plots, Spies" in first
        second = client.get("/?page=2").content.decode()
        assert "2024 <span class=\"continued\">(continued)</span>" in second
        assert "25 briefings, mostly about" in second  # 2023 starts on this page
        assert '<p class="newer"><a href="/">Newer briefings</a></p>' in second

    def test_undated_briefings_come_after_the_last_dated_year(self, client, corpus):
        response = client.get("/?page=3")
        assert year_headings(response) == ["2023-3", "2022", "undated"]
        assert "2 briefings" in response.content.decode()
        assert older_link(response) is None

    def test_filters_apply_to_every_page_and_the_links_keep_them(self, client, corpus):
        response = client.get("/?threat=spies")
        assert 'id="result-summary"' in response.content.decode()
        assert "26 briefings match" in response.content.decode()  # 12 + 12 + 1 + 1
        assert older_link(response) == "/?threat=spies&page=2"
        assert all(int(slug.rsplit("-", 1)[1]) % 2 for slug in shown_slugs(client.get(older_link(response))))

    def test_htmx_loads_the_next_years_in_place_of_the_link(self, client, corpus):
        response = client.get("/?page=2", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert "<html" not in html and '<form id="filters"' not in html and "hx-swap-oob" not in html
        assert "Newer briefings" not in html
        assert 'class="matrix"' not in html
        assert len(shown_slugs(response)) == 20
        assert older_link(response) == "/?page=3"
        assert response["Vary"] == VARY
        assert "HX-Push-Url" not in response

    def test_a_filter_change_through_htmx_starts_at_the_first_page(self, client, corpus):
        response = client.get("/?threat=spies", headers={"HX-Request": "true"})
        assert response["HX-Push-Url"] == "/?threat=spies"
        assert "hx-swap-oob" in response.content.decode()

    def test_chips_and_exports_leave_the_page_out(self, client, corpus):
        html = client.get("/?threat=spies&page=2").content.decode()
        assert 'href="/" aria-label="Remove filter Threat: Spies"' in html
        assert 'href="/statistics.csv?threat=spies"' in html


def test_a_crowded_matrix_cell_counts_its_judgements_and_links_to_them(client, db):
    import datetime

    from .factories import make_assessment

    threat = make_category(slug="spies", name="Spies")
    for day, trend in enumerate(["rising", "rising", "falling", "", "steady"]):
        speech = make_speech(date=datetime.date(2020, 1, 1 + day), threats=[threat])
        make_assessment(speech=speech, threat=threat, summary=f"Judgement {day}.", trend=trend)
    speech = make_speech(date=datetime.date(2021, 1, 1), threats=[threat])
    make_assessment(speech=speech, threat=threat, summary="Judgement 2021.")
    html = client.get("/").content.decode()
    matrix = html[html.index('<table class="matrix">'):html.index("</table>")]
    assert re.findall(r"Judgement (\w+)\.", matrix) == ["2021"]
    assert '<a class="judgement-count" href="/?threat=spies&amp;from=2020&amp;to=2020">5 judgements</a>' in matrix
    assert "▲2</span>" in matrix and "▶1</span>" in matrix and "▼1</span>" in matrix



@pytest.mark.parametrize(
    "counts, pages",
    [
        ([], [(0, 0)]),
        ([(2024, 2), (2021, 2), (2017, 1), (None, 1)], [(0, 6)]),
        # Whole years while they fit; the next one starts a page.
        ([(2024, 15), (2023, 10), (None, 3)], [(0, 15), (15, 13)]),
        # A long year tops up the current page, fills pages and shares its last one.
        ([(2024, 5), (2023, 50), (2022, 4)], [(0, 20), (20, 20), (40, 19)]),
        ([(2024, 20), (2023, 40)], [(0, 20), (20, 20), (40, 20)]),
    ],
)
def test_plan_pages(counts, pages):
    from briefings.selectors import plan_pages

    assert plan_pages(counts, 20) == pages


def card_figures(html, slug):
    card = html[html.index(f'<h3><a href="/briefings/{slug}/">'):]
    card = card[:card.index("</article>")]
    return re.findall(r'<dt><a href="/briefings/[^"]+#stat-(\d+)">', card)


def test_a_reporters_background_is_never_a_headline_figure(client, seeded):
    """The 2021 interview's figures: 25 is MI5's ("thousands" of lives saved); 26-28 (52 killed,
    700 injured on 7/7, 23 at Manchester) are the reporter's background."""
    assert card_figures(client.get("/").content.decode(), "bbc-radio-interview-2021-09") == ["25"]
    # Not even when a filter is about them: they are about Islamist terrorism.
    html = client.get("/?threat=islamist-terrorism").content.decode()
    assert card_figures(html, "bbc-radio-interview-2021-09") == ["25"]


def test_a_cards_figures_and_judgements_about_the_chosen_threat_and_country_come_first(client):
    """A card shows HEADLINE_STATISTICS figures and KEY_ASSESSMENTS judgements: with a country
    or threat chosen, those about it first, whatever their place in the briefing."""
    from .factories import make_assessment, make_country, make_statistic

    iran, russia = make_country(slug="iran", name="Iran"), make_country(slug="russia", name="Russia")
    cyber, terrorism = make_category(slug="cyber", name="Cyber"), make_category(slug="terrorism", name="Terrorism")
    speech = make_speech(countries=[iran, russia], threats=[cyber, terrorism])
    for n in range(4):
        make_statistic(speech=speech, measure=f"measure {n}", countries=[iran] if n == 3 else [russia],
                       threat=cyber if n == 2 else terrorism, quote=f"We counted {n}.")
        make_assessment(speech=speech, summary=f"judgement {n}", countries=[iran] if n == 3 else [russia],
                        threat=cyber if n == 2 else terrorism, quote=f"Judged {n}.")
    everything = client.get("/").content.decode()
    assert "measure 0" in everything and "measure 3" not in everything
    assert "judgement 0" in everything and "judgement 3" not in everything
    about_iran = client.get("/?country=iran").content.decode()
    assert "measure 3" in about_iran and "judgement 3" in about_iran
    assert about_iran.index("measure 3") < about_iran.index("measure 0")
    # First means about both: measure 2 is about cyber but Russia, measure 3 about Iran but
    # terrorism, so neither goes first and the card keeps the briefing's order.
    both = client.get("/?country=iran&threat=cyber").content.decode()
    assert "measure 0" in both and "measure 3" not in both and "judgement 3" not in both


@pytest.mark.parametrize("query", ["", "?country=x-country", "?threat=x-threat", "?q=Plots"])
def test_a_cards_curated_text_is_escaped_wherever_it_comes_from(client, db, query):
    """Cards are written in Python (briefings/cards.py), not by the template engine: every text
    a curator typed is escaped there, in a page, a filter and a search."""
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    threat = make_category(slug="x-threat", name=f"Threat {hostile}")
    country = make_country(slug="x-country", name=f"Country {hostile}")
    speech = make_speech(title=f"Title {hostile}", speaker=make_speaker(name=f"Speaker {hostile}"),
                         threats=[threat], countries=[country], date_inferred=True, date_basis=f"Basis {hostile}")
    make_statistic(speech=speech, threat=threat, value_text=f"9 {hostile}", measure=f"plots {hostile}",
                   period=f"Period {hostile}", attribution="paraphrase", countries=[country])
    make_assessment(speech=speech, threat=threat, summary=f"Summary {hostile}", trend="rising", countries=[country])
    html = client.get(f"/{query}").content.decode()
    card = re.search(r'<article class="card">.*?</article>', html, flags=re.S).group(0)
    assert "<script>" not in html and "<img src=x" not in html
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
    for text in ["Title", "Speaker", "Threat", "Country", "9", "plots", "Period", "Summary", "Basis"]:
        assert f"{text} {escaped}" in card, text
    assert '<span class="trend trend-rising">▲ rising</span>' in card and "· the reporter&#x27;s paraphrase" in card
