"""What a reader notices first: the favicon, the feed of the current filters announced to
feed readers, the timeline leading with what the site is and its results, and page titles
that say what is shown."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/statistics/", "/briefings/annual-threat-update-2021/", "/statistics/33/",
                                  "/speakers/ken-mccallum/"])
def test_every_page_names_a_favicon_that_exists(client, seeded, path):
    html = client.get(path).content.decode()
    href = re.search(r'<link rel="icon" href="/static/([^"]+)" type="image/svg\+xml">', html).group(1)
    assert finders.find(href)


@pytest.mark.parametrize("query", ["", "?threat=terrorism&country=iran"])  # the canonical order
def test_the_timeline_announces_the_feed_of_its_filters(client, seeded, query):
    html = client.get(f"/{query}").content.decode()
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', html)
    assert [link.replace("&amp;", "&") for link in links] == [f"/feed/{query}"]
    assert client.get(links[0].replace("&amp;", "&")).status_code == 200


def test_the_timeline_says_what_the_site_is_and_what_it_holds(client, seeded):
    html = client.get("/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Every public threat briefing by MI5’s Directors General" in text
    # 2017, 2021 (two) and 2024 dated, the video undated; six source documents by role.
    assert "Coverage: 5 briefings from 2017 to 2024 and 1 undated; none for 2018–2020, 2022–2023." in text
    assert "Texts from 3 primary transcripts, 2 news reports and 1 republication" in text
    assert html.index('id="coverage"') < html.index('id="results"')


@pytest.mark.parametrize(
    "query, title",
    [
        ("", "Briefings, year by year · Threat Briefings"),
        ("?country=iran", "Iran · Briefings · Threat Briefings"),
        ("?threat=terrorism&country=iran&q=plots", "Terrorism, Iran, plots · Briefings · Threat Briefings"),
    ],
)
def test_the_title_says_which_briefings_are_shown(client, seeded, query, title):
    assert f"<title>{title}</title>" in client.get(f"/{query}").content.decode()
    if query:
        # The htmx answer carries it too, so the tab and history follow a filter change.
        fragment = client.get(f"/{query}", headers={"HX-Request": "true"}).content.decode()
        assert f"<title>{title}</title>" in fragment
        assert '<span id="filter-count" hx-swap-oob="true">(' in fragment


def test_the_matrix_is_folded_and_says_when_filters_hide_rows(client, seeded):
    html = client.get("/").content.decode()
    assert '<details class="change" id="change">' in html and "The filters hide some threats" not in html
    filtered = client.get("/?threat=state-threats").content.decode()
    assert "The filters hide some threats" in filtered


def test_each_link_to_the_text_has_its_own_accessible_name(client, seeded):
    html = client.get("/briefings/annual-threat-update-2021/").content.decode()
    names = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", link)).strip()
             for link in re.findall(r'<a class="to-text"[^>]*>(.*?)</a>', html, re.S)]
    assert len(names) > 10 and len(set(names)) == len(names)
    assert all(name.startswith("Where it stands in the text:") for name in names)


@pytest.mark.parametrize("path", ["/", "/?country=iran"])
def test_skip_to_results(client, seeded, path):
    html = client.get(path).content.decode()
    assert '<a class="skip-link" href="#result-summary">Skip to results</a>' in html
    assert 'id="result-summary"' in html and html.index("Skip to results") < html.index('id="filters"')
