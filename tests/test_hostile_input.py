"""Hostile query strings and paths against every public view (property tests, hypothesis).

Whatever a client sends (any Unicode including NUL, lone surrogates and bytes that are not
UTF-8 as percent escapes, huge values, repeated and unknown keys, SQL and HTML fragments),
a view answers with a deliberate status, never a 500, and what it echoes back in HTML or
XML is escaped. The same tests run on SQLite and PostgreSQL, which rejects NUL in strings
outright; the seeded briefings are loaded so that real slugs mix with the garbage and the
queries touch real rows.

Example counts come from the hypothesis profile in conftest.py (HYPOTHESIS_PROFILE).
"""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

FILTERS = ["threat", "country", "speaker", "kind", "from", "to", "q"]
STATISTIC_FILTERS = [*FILTERS, "measure"]
EXPLORER_PARAMS = [*STATISTIC_FILTERS, "sort"]

REAL_VALUES = [
    "iran", "china", "terrorism", "extreme-right-wing-terrorism", "ken-mccallum", "andrew-parker",
    "speech", "annual-threat-update", "interview", "2021", "2017", "newest", "largest",
    "late-stage attack plots disrupted", "cyber", "encryption",
]
# Fragments that must never come back unescaped, and whose escaped forms are checked for.
INJECTIONS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "]]><evil/>",
]
MARKERS = ["<script>alert(", "<img src=x", "' onmouseover='alert", "<evil/>"]
HOSTILE_VALUES = [
    *INJECTIONS,
    "' OR 1=1 --",
    "'; DROP TABLE briefings_speech; --",
    "1 UNION SELECT password FROM auth_user",
    "%", "_", "\\", "\x00", "iran\x00", "\x00' OR 1=1 --",
    "\x1b[31m", "a\x0bb", "\x7f", "\ufffe", "\ufeff", "\u202e", "𝔦𝔯𝔞𝔫", "ИРАН",
    "-1", "0", "99999999999999999999999999", "1e309", "NaN", " 2021 ", "２０２１",
    "a" * 10_000,
]

# A value as it is written in the query string: percent-encoded UTF-8, or escapes that are
# not UTF-8 at all (lone surrogates encoded anyway, stray bytes), which Django has to decode.
text_values = st.one_of(
    st.sampled_from(REAL_VALUES),
    st.sampled_from(HOSTILE_VALUES),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
)
encoded_text = text_values.map(lambda value: quote(value, safe=""))
encoded_surrogates = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=5).map(
    lambda value: quote(value.encode("utf-8", "surrogatepass"), safe="")
)
encoded_bytes = st.binary(min_size=1, max_size=40).map(lambda value: quote(value, safe=""))
encoded_values = st.one_of(encoded_text, encoded_text, encoded_surrogates, encoded_bytes)


def query_strings(known):
    """Repeated known keys and unknown ones, in any order, encoded any way."""
    keys = st.one_of(st.sampled_from(known), st.text(max_size=20).map(lambda key: quote(key, safe="")))
    pair = st.tuples(keys, encoded_values).map(lambda kv: f"{kv[0]}={kv[1]}")
    odd = st.sampled_from(["", "&", "==", "q", "q=", "&&q=%", "threat=%zz"])
    return st.lists(st.one_of(pair, pair, pair, odd), min_size=1, max_size=12).map("&".join)


ALLOWED = {200, 301, 302, 400, 404}


def check(response, where):
    assert response.status_code in ALLOWED, f"{response.status_code} for {where}"
    content_type = response.get("Content-Type", "")
    if "html" in content_type or "xml" in content_type:
        body = response.content.decode("utf-8", "replace")
        # XML text may hold a quote as it is (the feed's templates escape only what XML needs);
        # in HTML Django escapes quotes too, and a quote could end an attribute.
        markers = MARKERS if "html" in content_type else [marker for marker in MARKERS if "<" in marker]
        leaked = [marker for marker in markers if marker in body]
        assert leaked == [], f"unescaped {leaked} in {where}"


@pytest.fixture
def get(client, seeded):
    def get(url, **headers):
        response = client.get(url, headers=headers)
        check(response, url)
        return response

    return get


@given(query=query_strings([*FILTERS, "page"]))
def test_timeline(get, query):
    get(f"/?{query}")


@given(query=query_strings(FILTERS))
def test_timeline_fragment_for_htmx(get, query):
    get(f"/?{query}", **{"HX-Request": "true"})


@given(query=query_strings(FILTERS))
def test_timeline_history_restore(get, query):
    get(f"/?{query}", **{"HX-Request": "true", "HX-History-Restore-Request": "true"})


@given(slug=st.one_of(st.sampled_from(["annual-threat-update-2021", "being-mi5-video"]), encoded_values))
def test_briefing_page(get, slug):
    get(f"/briefings/{slug}/")


@given(query=query_strings(EXPLORER_PARAMS))
def test_statistics_explorer(get, query):
    get(f"/statistics/?{query}")


@pytest.mark.parametrize("url", ["/api/statistics.json", "/statistics.csv"])
@given(query=query_strings(STATISTIC_FILTERS))
def test_statistic_exports(get, url, query):
    get(f"{url}?{query}")


@given(query=query_strings(STATISTIC_FILTERS))
def test_series_chart_download(get, query):
    get(f"/statistics/chart.svg?measure=late-stage+attack+plots+disrupted&{query}")


@given(pk=st.one_of(st.integers(min_value=0, max_value=10**30), st.sampled_from([33, 1, 2**31, 2**63])))
def test_figure_pages(get, pk):
    get(f"/statistics/{pk}/")
    get(f"/statistics/{pk}.json")


@given(slug=st.one_of(st.sampled_from(["ken-mccallum", "andrew-parker"]), encoded_values))
def test_speaker_page(get, slug):
    get(f"/speakers/{slug}/")


@pytest.mark.parametrize("url", ["/api/briefings.json", "/feed/"])
@given(query=query_strings(FILTERS))
def test_briefing_exports(get, url, query):
    get(f"{url}?{query}")


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("key", ["q", "country", "speaker", "kind", "from", "measure"])
@pytest.mark.parametrize("url", ["/", "/statistics/", "/feed/"])
def test_every_injection_in_every_echoed_filter_is_escaped(get, url, key, value):
    """The fixed cases hypothesis might not combine: each fragment in each filter that a
    page shows back to the reader (error messages, chips, the search box, feed titles)."""
    get(f"{url}?{key}={quote(value)}")
    get(f"{url}?country=iran&{key}={quote(value)}", **{"HX-Request": "true"})


PARAMETERS = {
    "/": FILTERS,
    "/statistics/": EXPLORER_PARAMS,
    "/api/statistics.json": STATISTIC_FILTERS,
    "/statistics.csv": STATISTIC_FILTERS,
    "/api/briefings.json": FILTERS,
    "/feed/": FILTERS,
}


@pytest.mark.parametrize(("url", "key"), [(url, key) for url, keys in PARAMETERS.items() for key in keys])
@pytest.mark.parametrize("character", ["%00", "%1B", "%0B"])
def test_nul_and_control_characters_are_refused_not_crashed(get, url, key, character):
    """PostgreSQL cannot store or compare a string with NUL in it, and XML 1.0 (the Atom
    feed, whose title repeats the search) cannot hold other control characters. Django's
    form fields reject NUL (CharField, and the model choice fields before they query) and
    the search and measure fields reject control characters, so the page shows the error
    and an export answers 400, on either database."""
    response = get(f"{url}?{key}=ir{character}an")
    assert response.status_code in {200, 400}
    if response.status_code == 200 and key == "q":
        assert "characters are not allowed" in response.text
