"""Exports: /api/statistics.json, /api/briefings.json, /statistics.csv and /feed/.

Expected rows are worked out from fixtures/curation.toml (which test_curation keeps in step
with the seeded fixture), not copied from the responses.
"""

import csv
import html
import io
import tomllib
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from briefings import exports
from briefings.exports import API_PAGE_SIZE, FEED_ITEMS
from briefings.models import Speech, Statistic, Status

from .factories import make_category, make_corpus, make_country, make_speech, make_statistic

pytestmark = pytest.mark.django_db

CURATION = tomllib.loads((settings.FIXTURES_DIR / "curation.toml").read_text(encoding="utf-8"))
SPEECHES = {speech["slug"]: speech for speech in CURATION["speeches"]}
SPEAKER_NAMES = {speaker["slug"]: speaker["name"] for speaker in CURATION["speakers"]}
COUNTRY_NAMES = {country["slug"]: country["name"] for country in CURATION["countries"]}
SOURCES = {source["slug"]: source for source in CURATION["sources"]}
STATISTICS = [{**statistic, "speech": SOURCES[statistic["source"]]["speech"]} for statistic in CURATION["statistics"]]

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
STATISTICS_JSON = "/api/statistics.json"
BRIEFINGS_JSON = "/api/briefings.json"
STATISTICS_CSV = "/statistics.csv"
FEED = "/feed/"


def newest_first(speech):
    """The exports' order of briefings: newest first, undated last."""
    return (speech.get("date") is None, -speech["date"].toordinal() if speech.get("date") else 0)


def expected_statistic_ids(speech_matches, statistic_matches=lambda statistic: True):
    chosen = [s for s in STATISTICS if speech_matches(SPEECHES[s["speech"]]) and statistic_matches(s)]
    return [s["id"] for s in sorted(chosen, key=lambda s: (*newest_first(SPEECHES[s["speech"]]), s["id"]))]


def expected_briefing_slugs(speech_matches):
    chosen = [speech for speech in SPEECHES.values() if speech_matches(speech)]
    return [speech["slug"] for speech in sorted(chosen, key=lambda speech: (*newest_first(speech), speech["title"]))]


def tagged(key, *slugs):
    return lambda speech: bool(set(speech.get(key, [])) & set(slugs))


def with_children(parent):
    return [parent, *(c["slug"] for c in CURATION["categories"] if c.get("parent") == parent)]


def in_years(first, last):
    return lambda speech: "date" in speech and first <= speech["date"].year <= last


def everything(speech):
    return True


FILTER_CASES = [
    ("", everything),
    ("country=iran", tagged("countries", "iran")),
    # Several values of one parameter mean OR, different parameters AND.
    ("country=afghanistan&country=iran", tagged("countries", "afghanistan", "iran")),
    ("country=afghanistan&kind=interview",
     lambda s: tagged("countries", "afghanistan")(s) and s["kind"] == "interview"),
    ("threat=cyber", tagged("threats", "cyber")),
    # A parent includes its children: the undated video is tagged espionage, not state threats.
    ("threat=state-threats", tagged("threats", *with_children("state-threats"))),
    ("speaker=andrew-parker", lambda s: s["speaker"] == "andrew-parker"),
    ("kind=annual-threat-update", lambda s: s["kind"] == "annual-threat-update"),
    ("from=2018&to=2023", in_years(2018, 2023)),
    ("to=2017", in_years(1900, 2017)),
    # The word is in that briefing's summary; curation.toml does not hold the source texts the
    # search also reads, but none of the others uses it.
    ("q=taliban", lambda s: "taliban" in s["summary"].lower()),
    # Unknown and empty parameters are ignored.
    ("colour=blue&sort=up&country=&q=", everything),
]

LATE_STAGE = "late-stage attack plots disrupted"
MEASURE_CASES = [
    ("measure=late-stage+attack+plots+disrupted", everything, lambda s: s["measure"] == LATE_STAGE),
    ("measure=late-stage+attack+plots+disrupted&from=2018", in_years(2018, 2100), lambda s: s["measure"] == LATE_STAGE),
    ("measure=no+such+measure", everything, lambda s: False),
]


def figure_tagged(*slugs):
    """A figure's own countries (not its briefing's)."""
    return lambda statistic: bool(set(statistic.get("countries", [])) & set(slugs))


def figure_about(*slugs):
    """A figure's own threat (not its briefing's)."""
    return lambda statistic: statistic.get("threat") in slugs


def said_by(*attributions):
    return lambda statistic: statistic.get("attribution", "speaker") in attributions


# For the statistics exports `threat`, `country` and `whose` are the figure's own.
FIGURE_CASES = [
    ("country=iran", everything, figure_tagged("iran")),
    ("country=afghanistan&country=iran", everything, figure_tagged("afghanistan", "iran")),
    ("country=afghanistan&kind=interview", lambda s: s["kind"] == "interview", figure_tagged("afghanistan")),
    ("threat=cyber", everything, figure_about("cyber")),
    ("threat=state-threats", everything, figure_about(*with_children("state-threats"))),
    ("threat=terrorism&country=syria", everything,
     lambda s: figure_about(*with_children("terrorism"))(s) and figure_tagged("syria")(s)),
    ("whose=background", everything, said_by("background")),
    ("whose=speaker&whose=paraphrase&from=2024", in_years(2024, 2024), said_by("speaker", "paraphrase")),
]
STATISTIC_CASES = [
    (query, speech_matches, lambda s: True) for query, speech_matches in FILTER_CASES
    if not query.startswith(("country=", "threat="))
] + FIGURE_CASES + MEASURE_CASES


def get(client, path, query=""):
    return client.get(f"{path}?{query}" if query else path)


def body(response):
    """The response's bytes; a streamed response can only be read once, so they are kept."""
    if not hasattr(response, "read_body"):
        response.read_body = response.getvalue()
    return response.read_body


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"))))


def feed_entries(response):
    return ET.fromstring(response.content).findall("atom:entry", ATOM)


def entry_slug(entry):
    return entry.find("atom:link", ATOM).get("href").removeprefix("http://testserver/briefings/").strip("/")


class TestStatisticsJson:
    @pytest.mark.parametrize("query, speech_matches, statistic_matches", STATISTIC_CASES)
    def test_filters(self, client, seeded, query, speech_matches, statistic_matches):
        response = get(client, STATISTICS_JSON, query)
        assert response.status_code == 200
        data = response.json()
        expected = expected_statistic_ids(speech_matches, statistic_matches)
        assert [row["id"] for row in data["results"]] == expected
        assert data["count"] == len(expected)

    def test_every_statistic_is_exported_as_curated(self, client, seeded):
        rows = {row["id"]: row for row in get(client, STATISTICS_JSON).json()["results"]}
        assert rows.keys() == {s["id"] for s in STATISTICS}
        for curated in STATISTICS:
            row, speech = rows[curated["id"]], SPEECHES[curated["speech"]]
            source = SOURCES[curated["source"]]
            assert row == {
                "id": curated["id"],
                "measure": curated["measure"],
                "value": curated.get("value"),
                "value_text": curated["value_text"],
                "qualifier": curated.get("qualifier", "exact"),
                "unit": curated.get("unit", ""),
                "period": curated.get("period", ""),
                "quote": curated["quote"],
                "attribution": curated.get("attribution", "speaker"),
                "briefing": {
                    "slug": speech["slug"],
                    "title": speech["title"],
                    "date": speech["date"].isoformat() if "date" in speech else None,
                    "speaker": SPEAKER_NAMES[speech["speaker"]],
                },
                "threats": [curated["threat"]] if "threat" in curated else [],
                "countries": sorted(curated.get("countries", []), key=COUNTRY_NAMES.get),
                "source": {
                    "publisher": source["publisher"],
                    "language": source["language"],
                    "url": source.get("url", ""),
                },
                "url": f"http://testserver/statistics/{curated['id']}/",
            }, curated["id"]
            # Whole values are JSON integers, others floats (JSON has one number type, but clients see 20 or 20.0).
            assert type(row["value"]) is type(curated.get("value")), curated["id"]

    def test_a_fraction_is_a_float_and_no_number_is_null(self, client, seeded):
        rows = {row["id"]: row for row in get(client, STATISTICS_JSON).json()["results"]}
        assert rows[29]["value"] == 33.33  # "more than a third", stored as percent
        assert rows[1]["value"] is None and rows[1]["value_text"] == "three/four decades"
        assert rows[1]["briefing"]["date"] is None  # the undated video


class TestStatisticsCsv:
    @pytest.mark.parametrize("query, speech_matches, statistic_matches", STATISTIC_CASES)
    def test_rows_are_the_json_rows_flattened(self, client, seeded, query, speech_matches, statistic_matches):
        response = get(client, STATISTICS_CSV, query)
        assert response.status_code == 200
        rows = csv_rows(response)
        json_rows = get(client, STATISTICS_JSON, query).json()["results"]
        assert [int(row["id"]) for row in rows] == expected_statistic_ids(speech_matches, statistic_matches)
        assert len(rows) == len(json_rows)
        for row, stat in zip(rows, json_rows, strict=True):
            assert row == {
                "id": str(stat["id"]),
                "measure": stat["measure"],
                "value": "" if stat["value"] is None else str(stat["value"]),
                "value_text": stat["value_text"],
                "qualifier": stat["qualifier"],
                "unit": stat["unit"],
                "period": stat["period"],
                "quote": stat["quote"],
                "attribution": stat["attribution"],
                "briefing_slug": stat["briefing"]["slug"],
                "briefing_title": stat["briefing"]["title"],
                "briefing_date": stat["briefing"]["date"] or "",
                "speaker": stat["briefing"]["speaker"],
                "threats": ";".join(stat["threats"]),
                "countries": ";".join(stat["countries"]),
                "source_publisher": stat["source"]["publisher"],
                "source_language": stat["source"]["language"],
                "source_url": stat["source"]["url"],
                "url": stat["url"],
            }

    @pytest.mark.parametrize(
        "query, name",
        [
            ("", "threat-briefings-figures-all.csv"),
            ("measure=late-stage+attack+plots+disrupted&country=iran&from=2018&to=2023",
             "threat-briefings-figures-iran-2018-to-2023-late-stage-attack-plots-disrupted.csv"),
            ("speaker=ken-mccallum&q=cyber", "threat-briefings-figures-ken-mccallum-cyber.csv"),
        ],
    )
    def test_the_file_name_says_what_it_holds(self, client, seeded, query, name):
        response = get(client, STATISTICS_CSV, query)
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'

    def test_is_a_utf8_attachment_with_a_header_row(self, client, seeded):
        response = get(client, STATISTICS_CSV, "country=russia")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="threat-briefings-figures-russia.csv"'
        header = body(response).decode("utf-8").splitlines()[0]
        assert header.startswith("id,measure,value,value_text,")
        # Statistic 30 is tagged Russia and Iran; both come back joined, and dashes survive.
        row = next(row for row in csv_rows(response) if row["id"] == "30")
        assert row["countries"] == "iran;russia"
        assert "diplomats—many" in next(row for row in csv_rows(response) if row["id"] == "31")["quote"]


class TestBriefingsJson:
    @pytest.mark.parametrize("query, speech_matches", FILTER_CASES)
    def test_filters(self, client, seeded, query, speech_matches):
        response = get(client, BRIEFINGS_JSON, query)
        assert response.status_code == 200
        data = response.json()
        expected = expected_briefing_slugs(speech_matches)
        assert [row["slug"] for row in data["results"]] == expected
        assert data["count"] == len(expected)

    def test_every_briefing_is_exported_as_curated(self, client, seeded):
        rows = {row["slug"]: row for row in get(client, BRIEFINGS_JSON).json()["results"]}
        assert rows.keys() == SPEECHES.keys()
        category_order = [category["slug"] for category in CURATION["categories"]]
        for slug, speech in SPEECHES.items():
            assert rows[slug] == {
                "slug": slug,
                "title": speech["title"],
                "date": speech["date"].isoformat() if "date" in speech else None,
                "date_inferred": speech.get("date_inferred", False),
                "kind": speech["kind"],
                "speaker": SPEAKER_NAMES[speech["speaker"]],
                "threats": sorted(speech.get("threats", []), key=category_order.index),
                "countries": sorted(speech.get("countries", []), key=COUNTRY_NAMES.get),
                "url": f"http://testserver/briefings/{slug}/",
                "statistics": sum(1 for s in STATISTICS if s["speech"] == slug),
            }, slug


class TestFeed:
    @pytest.mark.parametrize("query, speech_matches", FILTER_CASES)
    def test_filters_leave_out_undated_briefings(self, client, seeded, query, speech_matches):
        response = get(client, FEED, query)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
        expected = expected_briefing_slugs(lambda speech: speech_matches(speech) and "date" in speech)
        assert [entry_slug(entry) for entry in feed_entries(response)] == expected

    def test_entries_are_the_curated_briefings(self, client, seeded):
        entries = {entry_slug(entry): entry for entry in feed_entries(get(client, FEED))}
        assert "being-mi5-video" not in entries  # undated
        assert len(entries) == sum(1 for speech in SPEECHES.values() if "date" in speech)
        for slug, entry in entries.items():
            speech = SPEECHES[slug]
            assert entry.find("atom:title", ATOM).text == speech["title"]
            summary = entry.find("atom:summary", ATOM)
            assert summary.get("type") == "html"
            assert html.unescape(summary.text) == speech["summary"]
            assert entry.find("atom:published", ATOM).text.startswith(speech["date"].isoformat() + "T")
            assert entry.find("atom:updated", ATOM).text.startswith(speech["date"].isoformat() + "T")
            assert entry.find("atom:author/atom:name", ATOM).text == SPEAKER_NAMES[speech["speaker"]]

    @pytest.mark.parametrize(
        "query, title",
        [
            ("", "Threat Briefings"),
            ("country=iran", "Threat Briefings: Iran"),
            ("colour=blue", "Threat Briefings"),
            ("country=iran&country=china", "Threat Briefings: China or Iran"),
            (
                "threat=cyber&speaker=ken-mccallum&kind=annual-threat-update&from=2018&to=2023&q=encryption",
                "Threat Briefings: Cyber, Ken McCallum, Annual threat update, 2018–2023, “encryption”",
            ),
            ("from=2021", "Threat Briefings: from 2021"),
            ("to=2017", "Threat Briefings: to 2017"),
        ],
    )
    def test_title_describes_the_filters(self, client, seeded, query, title):
        feed = ET.fromstring(get(client, FEED, query).content)
        assert feed.find("atom:title", ATOM).text == title

    def test_links_keep_the_filters_and_drop_unknown_parameters(self, client, seeded):
        feed = ET.fromstring(get(client, FEED, "country=iran&colour=blue&q=").content)
        links = {link.get("rel"): link.get("href") for link in feed.findall("atom:link", ATOM)}
        assert links == {"alternate": "http://testserver/?country=iran", "self": "http://testserver/feed/?country=iran"}


class TestDrafts:
    def test_a_draft_statistic_appears_in_no_export(self, client, seeded):
        Statistic.objects.filter(pk=32).update(status=Status.DRAFT)
        draft_quote = next(s["quote"] for s in STATISTICS if s["id"] == 32)
        iran = get(client, STATISTICS_JSON, "country=iran").json()["results"]
        assert iran and 32 not in [row["id"] for row in iran]
        assert "32" not in [row["id"] for row in csv_rows(get(client, STATISTICS_CSV))]
        assert draft_quote not in body(get(client, STATISTICS_CSV)).decode()
        briefings = {row["slug"]: row["statistics"] for row in get(client, BRIEFINGS_JSON).json()["results"]}
        curated = sum(1 for s in STATISTICS if s["speech"] == "annual-threat-update-2024")
        assert briefings["annual-threat-update-2024"] == curated - 1

    def test_a_measure_that_only_drafts_have_matches_nothing(self, client, seeded):
        Statistic.objects.filter(measure=LATE_STAGE).update(status=Status.DRAFT)
        assert get(client, STATISTICS_JSON, "measure=late-stage+attack+plots+disrupted").json() == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }


BAD_INPUTS = [
    ("country=narnia", "country", "There is no country “narnia”"),
    ("threat=../../etc", "threat", "There is no threat category “../../etc”"),
    ("speaker=nobody", "speaker", "There is no such speaker"),
    ("kind=podcast", "kind", "“podcast” is not a kind of briefing"),
    ("from=abc", "from", "Enter a year such as 2021"),
    ("from=99999999999999999999", "from", "Enter a year up to 2100"),
    ("from=2024&to=2017", "to", "“To” (2017) is before “from” (2024)"),
    ("q=" + "x" * 5000, "q", "Search text can be at most 200 characters (this has 5000)"),
    # PostgreSQL cannot store NUL; the form rejects it before any query.
    ("q=%00", "q", "Null characters are not allowed."),
    ("country=%00", "country", "Null characters are not allowed."),
]


class TestBadInput:
    @pytest.mark.parametrize("path", [STATISTICS_JSON, BRIEFINGS_JSON])
    @pytest.mark.parametrize("query, field, message", BAD_INPUTS)
    def test_json_answers_400_with_the_form_errors(self, client, seeded, path, query, field, message):
        response = get(client, path, query)
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert list(errors) == [field]
        assert any(message in error for error in errors[field])

    @pytest.mark.parametrize("path", [STATISTICS_CSV, FEED])
    @pytest.mark.parametrize("query, field, message", BAD_INPUTS)
    def test_csv_and_feed_answer_400_in_plain_text(self, client, seeded, path, query, field, message):
        response = get(client, path, query)
        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert f"{field}: {message}" in body(response).decode()

    @pytest.mark.parametrize("path", [STATISTICS_JSON, BRIEFINGS_JSON, STATISTICS_CSV, FEED])
    def test_a_rejected_filter_is_not_said_to_be_ignored(self, client, seeded, path):
        """Exports answer 400 to a bad filter; the message must say so, not that it was ignored
        (it used to: "…so this filter was ignored" in a 400)."""
        response = get(client, path, "threat=nonsense")
        assert response.status_code == 400
        text = body(response).decode()
        assert "ignored" not in text
        assert "Nothing was returned: correct or remove these parameters." in text.replace("\\n", " ")
        if path.endswith(".json"):
            assert response.json()["errors"] == {"threat": ["There is no threat category “nonsense”."]}

    def test_bounded_parameters_are_listed_as_notices(self, client, seeded):
        data = get(client, STATISTICS_JSON, "kind=interview&kind=speech").json()
        assert data["notices"] == ["“kind” takes one value; 2 were given, so only the first (“interview”) is used."]
        assert {row["briefing"]["slug"] for row in data["results"]} == {"bbc-radio-interview-2021-09"}

    @pytest.mark.parametrize("path", [STATISTICS_JSON, STATISTICS_CSV])
    def test_measure_is_limited_to_the_field_length(self, client, seeded, path):
        response = get(client, path, "measure=" + "x" * 201)
        assert response.status_code == 400
        assert "at most 200 characters" in body(response).decode()

    @pytest.mark.parametrize("path", [STATISTICS_JSON, BRIEFINGS_JSON, STATISTICS_CSV, FEED])
    def test_post_is_not_allowed(self, client, seeded, path):
        assert client.post(path).status_code == 405


SCRIPT = "<script>alert(1)</script>"


def test_markup_is_data_in_json_and_escaped_in_the_feed(client):
    speech = make_speech(title=f"Title {SCRIPT}", summary=f"Summary {SCRIPT} & more")
    make_statistic(speech=speech, quote=f"We said {SCRIPT} & left.")

    response = client.get(STATISTICS_JSON)
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    [row] = response.json()["results"]
    assert row["quote"] == f"We said {SCRIPT} & left."
    assert row["briefing"]["title"] == f"Title {SCRIPT}"

    response = get(client, FEED, "q=" + "%3Cscript%3E")
    assert b"<script>" not in response.content
    feed = ET.fromstring(response.content)
    assert feed.find("atom:title", ATOM).text == "Threat Briefings: “<script>”"
    # The entry, found by a word of its title: PostgreSQL matches words, and its parser reads
    # "<script>alert(1)</script>" as markup, not words; SQLite matches it as a substring too.
    assert len(feed.findall("atom:entry", ATOM)) == (0 if connection.vendor == "postgresql" else 1)
    [entry] = ET.fromstring(get(client, FEED, "q=title").content).findall("atom:entry", ATOM)
    assert entry.find("atom:title", ATOM).text == f"Title {SCRIPT}"
    # The summary is HTML inside XML: escaped once for HTML, once more for XML.
    assert entry.find("atom:summary", ATOM).text == "Summary &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"


FILTERED = "country=c0&threat=t-parent&speaker=s0"


@pytest.mark.parametrize("size", [3, 120])
@pytest.mark.parametrize(
    "path, query, expected_queries, rows_per_briefing, most",
    [
        # One page of statistics (with briefing, speaker, threat and source joined, and their
        # countries' ids by subquery) and the country list; the figure index counts them.
        (STATISTICS_JSON, "", 2, 2, API_PAGE_SIZE),
        # The CSV streams every row from one query, plus the country list.
        (STATISTICS_CSV, "", 2, 2, None),
        # The same, plus one query each to validate the country, threat and speaker slugs,
        # and one for the category list, to include the children of the chosen parent. Threat
        # and country are the figure's own: one of each briefing's two figures is about t-child
        # and c0 (make_corpus), the other has neither.
        (STATISTICS_JSON, FILTERED, 6, 1, API_PAGE_SIZE),
        (STATISTICS_CSV, FILTERED, 6, 1, None),
        # The page's briefings by id with their speakers (the facet index selects, orders and
        # counts them), their threats' and their countries' slugs, then the published figures of
        # that page's briefings only. Filtered: the three slug validations too (the category
        # list is kept with the index).
        (BRIEFINGS_JSON, "", 4, 1, API_PAGE_SIZE),
        (BRIEFINGS_JSON, FILTERED, 7, 1, API_PAGE_SIZE),
        # The newest briefings with their speakers.
        (FEED, "", 1, 1, FEED_ITEMS),
        (FEED, FILTERED, 5, 1, FEED_ITEMS),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_rows(client, django_assert_num_queries, kept_indexes, size, path,
                                                           query, expected_queries, rows_per_briefing, most):
    make_corpus(size)
    kept_indexes()
    briefings = size if not query else (size + 1) // 2  # every briefing has c0 and t-parent; s0 gave half
    with django_assert_num_queries(expected_queries):
        response = get(client, path, query)
        body(response)  # a streamed response runs its query as it is read
    assert response.status_code == 200
    if path == FEED:
        rows = feed_entries(response)
    elif path == STATISTICS_CSV:
        rows = csv_rows(response)
    else:
        rows = response.json()["results"]
    assert len(rows) == min(briefings * rows_per_briefing, most or float("inf"))


class TestPaging:
    @pytest.fixture
    def corpus(self, db):
        make_corpus(60)  # 120 published statistics

    def test_statistics_json_pages_follow_each_other(self, client, corpus):
        first = get(client, STATISTICS_JSON).json()
        assert first["count"] == 120 and len(first["results"]) == API_PAGE_SIZE
        assert first["previous"] is None
        assert first["next"] == "http://testserver/api/statistics.json?page=2"
        second = client.get(first["next"]).json()
        assert len(second["results"]) == 20 and second["next"] is None
        assert second["previous"] == "http://testserver/api/statistics.json?page=1"
        ids = [row["id"] for row in first["results"] + second["results"]]
        assert len(set(ids)) == 120

    def test_links_keep_the_filters(self, client, corpus):
        data = get(client, STATISTICS_JSON, "whose=speaker&page=1").json()
        assert data["next"] == "http://testserver/api/statistics.json?whose=speaker&page=2"

    @pytest.mark.parametrize("path", [STATISTICS_JSON, BRIEFINGS_JSON])
    @pytest.mark.parametrize("page, message", [("0", "Pages are numbered from 1"),
                                               ("x", "Enter a page number"), ("9", "There is no page 9")])
    def test_a_bad_page_is_a_400(self, client, corpus, path, page, message):
        response = get(client, path, f"page={page}")
        assert response.status_code == 400
        assert any(message in error for error in response.json()["errors"]["page"])

    def test_the_csv_streams_every_row(self, client, corpus):
        response = get(client, STATISTICS_CSV)
        assert response.streaming
        assert len(csv_rows(response)) == 120


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(client, db, start):
    """OWASP's CSV-injection advice: a cell beginning with a formula character gets a leading
    apostrophe, so Excel or LibreOffice shows it as text instead of running it."""
    formula = f"{start}HYPERLINK(\"http://evil.example\",\"x\")"
    speech = make_speech(title=formula)
    make_statistic(speech=speech, measure=formula, quote=f"{start}1+1", value=5, value_text="5")
    [row] = csv_rows(get(client, STATISTICS_CSV))
    assert row["measure"] == "'" + formula
    assert row["briefing_title"] == "'" + formula
    assert row["quote"] == f"'{start}1+1"
    assert row["value"] == "5" and row["value_text"] == "5"  # ordinary cells as they were
    # The JSON is data, not a spreadsheet: it keeps the text as stored.
    assert get(client, STATISTICS_JSON).json()["results"][0]["measure"] == formula


def test_the_feed_stays_valid_xml_with_a_control_character_stored(client, db):
    """A vertical tab in a stored title made /feed/ a 500 for everyone. (BEL, not NUL, in the
    summary: PostgreSQL cannot store NUL at all.)"""
    speaker = make_speech(title="A\x0bB", summary="Sum\x07mary \ufffe").speaker
    speaker.name = "Ken\x1f McCallum"
    speaker.save()
    response = get(client, FEED)
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    [entry] = feed.findall("atom:entry", ATOM)
    assert entry.find("atom:title", ATOM).text == "A\nB"
    assert entry.find("atom:summary", ATOM).text == "Summary "
    assert entry.find("atom:author/atom:name", ATOM).text == "Ken McCallum"


@pytest.mark.parametrize("query", ["q=%EF%BF%BE", "q=A%0BB", "measure=a%C2%80b"])
def test_a_search_with_characters_xml_cannot_hold_is_refused_not_written_into_the_feed(client, db, query):
    """U+FFFE and control characters cannot stand in XML 1.0; the feed repeats the search in its
    title, so such a search is refused with a plain message rather than making invalid XML."""
    path = STATISTICS_JSON if query.startswith("measure") else FEED
    response = get(client, path, query)
    assert response.status_code == 400
    assert "Control characters are not allowed." in body(response).decode()


class TestShapeOfTheOutput:
    """Exports do the work their output needs: no filter over every briefing when nothing is
    filtered, and per-row figures counted for the rows shown only."""

    @pytest.fixture
    def corpus(self, db):
        make_corpus(6)

    @pytest.mark.parametrize("path", [STATISTICS_JSON, STATISTICS_CSV])
    def test_unfiltered_statistics_are_not_filtered_by_every_briefing(self, client, corpus, path):
        with CaptureQueriesContext(connection) as queries:
            body(get(client, path))
        statistics = [query["sql"] for query in queries.captured_queries if "briefings_statistic" in query["sql"]]
        # The count may leave out the figures of the (few) unpublished briefings: NOT IN those.
        unpublished_left_out = 'NOT ("briefings_statistic"."speech_id" IN (SELECT'
        assert statistics and not [sql for sql in statistics if " IN (SELECT" in sql.replace(unpublished_left_out, "")]

    def test_briefings_figures_are_counted_for_the_page_only(self, client, corpus, kept_indexes):
        kept_indexes()
        with CaptureQueriesContext(connection) as queries:
            results = get(client, BRIEFINGS_JSON).json()["results"]
        assert [row["statistics"] for row in results] == [2] * 6
        counts = [query["sql"] for query in queries.captured_queries if "briefings_statistic" in query["sql"]]
        assert len(counts) == 1 and "speech_id\" IN (" in counts[0]

    def test_briefings_list_their_tags_in_the_order_of_their_relations(self, client, db):
        """Slugs are read as plain values (selectors.briefing_tags) in the order speech.threats.all()
        and speech.countries.all() give: categories by position then name, countries by name."""
        late = make_category(slug="late", name="A", position=2)
        early = make_category(slug="early", name="Z", position=1)
        same_position = make_category(slug="b-name", name="B", position=2)
        zed, aye = make_country(slug="zed", name="Zed"), make_country(slug="aye", name="Aye")
        make_speech(threats=[late, early, same_position], countries=[zed, aye])
        make_speech(threats=[late], countries=[])
        make_speech(status=Status.DRAFT, threats=[early], countries=[aye])
        results = get(client, BRIEFINGS_JSON).json()["results"]
        assert len(results) == 2
        for row in results:
            speech = Speech.objects.get(slug=row["slug"])
            assert row["threats"] == [category.slug for category in speech.threats.all()]
            assert row["countries"] == [country.slug for country in speech.countries.all()]
        assert sorted((row["threats"], row["countries"]) for row in results) == [
            (["early", "late", "b-name"], ["aye", "zed"]), (["late"], []),
        ]

    def test_every_csv_line_is_written_by_one_function(self, client, corpus, monkeypatch):
        written = []
        real = exports.write_csv_row
        monkeypatch.setattr(exports, "write_csv_row", lambda writer, cells: written.append(cells) or real(writer, cells))
        assert len(csv_rows(get(client, STATISTICS_CSV))) == 12
        assert len(written) == 13 and written[0] == exports.CSV_COLUMNS
