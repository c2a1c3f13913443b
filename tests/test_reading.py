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
