"""Search: `q` on the timeline finds briefings by their text and shows where they matched.

PostgreSQL uses full-text search (English stemming, ranked, GIN-indexed); SQLite matches
every word as a case-insensitive substring. Tests that differ say which database they expect.
"""

import re

import pytest
from django.db import connection

from briefings.models import Source, SourceParagraph
from briefings.search import highlight, matching_paragraphs

from .factories import make_source

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def card_passages(html):
    return re.findall(r'<a class="paragraph-link" href="/briefings/([^/]+)/#p(\d+)">', html)


def test_paragraphs_are_indexed_for_displayed_sources_only(seeded):
    indexed = set(SourceParagraph.objects.values_list("source__role", flat=True))
    assert indexed == {Source.Role.PRIMARY, Source.Role.NEWS_REPORT}
    # The 2017 speech: its paragraphs are numbered from 1 as the briefing page numbers them.
    first = SourceParagraph.objects.get(source__slug="parker-speech-2017-10-17-mi5-transcript", number=1)
    assert first.text == "Good morning. Thank you all for coming today."


def test_reindexing_an_unchanged_source_keeps_paragraph_ids(seeded):
    before = list(SourceParagraph.objects.order_by("pk").values_list("pk", "number", "text"))
    for source in Source.objects.all():
        source.save()
    assert list(SourceParagraph.objects.order_by("pk").values_list("pk", "number", "text")) == before


def test_a_shorter_text_drops_its_extra_paragraphs(db):
    source = make_source(text="One.\n\nTwo.\n\nThree.")
    source.text = "One."
    source.save()
    assert list(source.paragraphs.values_list("number", "text")) == [(1, "One.")]


def test_search_shows_matching_passages_linked_to_their_paragraphs(client, seeded):
    html = client.get("/?q=Taliban").content.decode()
    passages = card_passages(html)
    assert passages and {slug for slug, _ in passages} == {"bbc-radio-interview-2021-09"}
    assert "<mark>Taliban</mark>" in html
    slug, number = passages[0]
    page = client.get(f"/briefings/{slug}/").content.decode()
    assert f'id="p{number}"' in page


def test_stemming_on_postgres_and_substrings_on_sqlite(client, seeded):
    found = {s for s, _ in card_passages(client.get("/?q=encryption").content.decode())}
    # Parker's 2017 speech says "encrypted communications", never "encryption": only
    # PostgreSQL's English stemming finds it.
    assert ("parker-speech-2017-10-17" in found) is POSTGRES
    assert {"annual-threat-update-2021", "being-mi5-video"} <= found
    # Every word must match, on both databases; stemmed, the video's "encryption in
    # internet-borne communication" matches too.
    both = {s for s, _ in card_passages(client.get("/?q=encrypted+communications").content.decode())}
    assert both == {"parker-speech-2017-10-17"} | ({"being-mi5-video"} if POSTGRES else set())


def test_search_index_on_postgres_only(seeded):
    with connection.cursor() as cursor:
        if not POSTGRES:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'sourceparagraph_search_idx'")
            assert cursor.fetchall() == []
            return
        cursor.execute("SET enable_seqscan = off")
        sql, params = matching_paragraphs("encryption").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "sourceparagraph_search_idx" in plan


def test_highlight_escapes_the_text_and_marks_only_words():
    html = highlight("Plots <b>rose</b> & plotting went on", "plots")
    assert html == "<mark>Plots</mark> &lt;b&gt;rose&lt;/b&gt; &amp; <mark>plotting</mark> went on"


def test_a_hostile_query_is_escaped(client, seeded):
    html = client.get("/?q=<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "No briefings match these filters" in html
