"""Search: `q` on the timeline finds briefings by their text and shows where they matched.

PostgreSQL uses full-text search (English stemming, ranked, GIN-indexed); SQLite matches
every word as a case-insensitive substring. Tests that differ say which database they expect.
"""

import re

import pytest
from django.db import connection

from briefings import search
from briefings.models import Assessment, Source, SourceParagraph, Speech, Statistic
from briefings.search import highlight, matching_paragraphs

from .factories import make_source, make_speech, make_statistic

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


# ------------------------------------------------------------- the search indexes


def speech_slugs(client, q):
    """The briefings a search finds (through the API, which filters as the timeline does)."""
    return {briefing["slug"] for briefing in client.get("/api/briefings.json", {"q": q}).json()["results"]}


def plan_of(queryset):
    """The database's plan for a queryset, as one string."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {'QUERY PLAN ' if not POSTGRES else ''}{sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
        if POSTGRES:
            cursor.execute("SET enable_seqscan = on")
    return plan


@pytest.mark.parametrize("model, postgres_index", [
    (SourceParagraph, "sourceparagraph_search_idx"),
    (Speech, "speech_text_search_idx"),
    (Statistic, "statistic_text_search_idx"),
    (Assessment, "assessment_text_search_idx"),
])
def test_every_searched_table_is_searched_through_an_index(db, model, postgres_index):
    queryset = (search.paragraph_matches("encryption") if model is SourceParagraph
                else model.objects.filter(search.contains(model, "encryption")).order_by().values("pk"))
    plan = plan_of(queryset)
    if POSTGRES:
        assert postgres_index in plan
    else:
        assert "VIRTUAL TABLE INDEX" in plan and search.SEARCHED[model][0] in plan


def test_the_matched_set_stays_in_the_database(db):
    """Exports filter by `text_matches(q)`: subqueries on the indexes, never a list of ids."""
    sql, params = Speech.objects.filter(search.text_matches("encryption")).query.sql_with_params()
    # The parameters are the search texts and the published status, never ids.
    assert "published" in params and all(isinstance(param, str) for param in params)


def test_the_index_follows_every_change(client, db):
    speech = make_speech(slug="about-ciphers", title="A talk")
    source = make_source(speech=speech, text="We watched the cipher traffic.\n\nNothing else.")
    assert speech_slugs(client, "cipher") == {"about-ciphers"}
    source.text = "We watched the radio traffic."
    source.save()
    assert speech_slugs(client, "cipher") == set()
    assert speech_slugs(client, "radio traffic") == {"about-ciphers"}
    make_statistic(speech=speech, source=source, measure="cipher keys seized", quote="We watched the radio traffic.")
    assert speech_slugs(client, "keys seized") == {"about-ciphers"}
    Statistic.objects.filter(speech=speech).update(measure="phones seized")  # no signal: the index follows anyway
    assert speech_slugs(client, "keys seized") == set()
    speech.title = "Ciphers, a talk"
    speech.save()
    assert speech_slugs(client, "ciphers, a") == {"about-ciphers"}
    Statistic.objects.filter(speech=speech).delete()
    source.delete()
    assert speech_slugs(client, "radio") == set()


def test_rows_written_in_bulk_are_found(client, db):
    source = make_source(speech=make_speech(slug="bulk"), text="Short.")
    SourceParagraph.objects.bulk_create([SourceParagraph(source=source, speech=source.speech, number=9,
                                                         text="Written by a bulk load about sabotage.")])
    assert speech_slugs(client, "sabotage") == {"bulk"}


def test_substrings_short_words_and_quotes_match_as_before(client, db):
    make_source(speech=make_speech(slug="uk-encryption"), text="The UK relies on end-to-end encryption.")
    assert speech_slugs(client, "crypt") == {"uk-encryption"} or POSTGRES  # stemming finds whole words only
    assert speech_slugs(client, "uk encryption") == {"uk-encryption"}
    assert speech_slugs(client, 'end-to-end "encryption') == {"uk-encryption"}
    assert speech_slugs(client, "uk") == {"uk-encryption"}


def test_indexes_are_rebuilt_when_a_migration_dropped_their_triggers(client, db):
    """A migration that rebuilds a table on SQLite drops its triggers: the post-migrate step
    puts them back and refills the index. On PostgreSQL there is nothing to install."""
    make_source(speech=make_speech(slug="before"), text="About sabotage.")
    if POSTGRES:
        search.install_sqlite_indexes()
        assert speech_slugs(client, "sabotage") == {"before"}
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_paragraphs_insert")
    make_source(speech=make_speech(slug="after"), text="More sabotage.")
    assert speech_slugs(client, "sabotage") == {"before"}  # missed: no trigger
    search.install_sqlite_indexes()
    assert speech_slugs(client, "sabotage") == {"before", "after"}


def test_publishing_and_withdrawing_a_figure_judgement_or_briefing_is_followed_by_search(client, db):
    """The indexes hold what the public may find (on SQLite, only published rows: search.HELD),
    and follow a row in and out of it as it is published and withdrawn."""
    from briefings.models import Status

    from .factories import make_assessment

    speech = make_speech(slug="held", title="A talk")
    source = make_source(speech=speech, text="Nothing to find here.")
    figure = make_statistic(speech=speech, source=source, measure="drones intercepted", status=Status.DRAFT)
    judgement = make_assessment(speech=speech, source=source, summary="Sabotage is rising.", status=Status.DRAFT)
    assert speech_slugs(client, "drones") == set() and speech_slugs(client, "sabotage") == set()
    Statistic.objects.filter(pk=figure.pk).update(status=Status.PUBLISHED)  # no signal: the index follows anyway
    Assessment.objects.filter(pk=judgement.pk).update(status=Status.PUBLISHED)
    assert speech_slugs(client, "drones") == {"held"} and speech_slugs(client, "sabotage") == {"held"}
    Statistic.objects.filter(pk=figure.pk).update(status=Status.DRAFT, measure="drones seized")
    assert speech_slugs(client, "drones") == set() and speech_slugs(client, "sabotage") == {"held"}
    Speech.objects.filter(pk=speech.pk).update(status=Status.DRAFT, title="A talk on espionage")
    assert speech_slugs(client, "espionage") == set() and speech_slugs(client, "sabotage") == set()
    Speech.objects.filter(pk=speech.pk).update(status=Status.PUBLISHED)
    assert speech_slugs(client, "espionage") == {"held"} and speech_slugs(client, "sabotage") == {"held"}


def test_a_search_reads_its_briefings_off_the_indexes_alone(db):
    """On SQLite the briefings a search finds, and how often, come from the indexes' keys: no
    searched table is read (at 10,000 briefings a common word is thousands of rows of each). The
    weights are selectors.RELEVANCE: title or summary 10, a figure or judgement 3, a paragraph 1."""
    from django.test.utils import CaptureQueriesContext

    from briefings.selectors import matching_speech_scores

    from .factories import make_assessment

    speech = make_speech(slug="weights", title="Ransomware today")
    source = make_source(speech=speech, text="Ransomware grows.\n\nRansomware spreads.")
    make_statistic(speech=speech, source=source, measure="ransomware attacks")
    make_assessment(speech=speech, source=source, summary="Ransomware is the most harmful cyber threat.")
    other = make_speech(slug="other", title="Elsewhere")
    make_source(speech=other, text="Ransomware, once.")
    with CaptureQueriesContext(connection) as queries:
        scores = matching_speech_scores("ransomware")
    assert scores == {speech.pk: 10 + 3 + 3 + 2, other.pk: 1}
    assert len(queries.captured_queries) == 1
    if not POSTGRES:
        read = queries.captured_queries[0]["sql"]
        assert not [table for table in ("briefings_speech", "briefings_statistic", "briefings_assessment",
                                         "briefings_sourceparagraph") if table in read]


def test_indexes_of_every_row_left_by_an_earlier_release_are_replaced(client, db):
    """Earlier releases indexed every figure through its table (external content, search.FORMER):
    the post-migrate step drops such an index and its triggers and fills the new one."""
    figure = make_statistic(speech=make_speech(slug="kept"), measure="drones intercepted")
    if POSTGRES:
        search.install_sqlite_indexes()
        assert speech_slugs(client, "drones") == {"kept"}
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE search_figures")  # as before the release: only the former index
        cursor.execute("CREATE VIRTUAL TABLE search_statistic USING fts5(quote, measure, content='briefings_statistic', "
                       "content_rowid='id', tokenize='trigram')")
        cursor.execute("CREATE TRIGGER search_statistic_insert AFTER INSERT ON briefings_statistic BEGIN "
                       "INSERT INTO search_statistic(rowid, quote, measure) VALUES (new.id, new.quote, new.measure); END")
    search.install_sqlite_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_statistic%'")
        assert cursor.fetchall() == []
    assert speech_slugs(client, "drones") == {"kept"}
    figure.measure = "boats intercepted"
    figure.save()
    assert speech_slugs(client, "drones") == set() and speech_slugs(client, "boats") == {"kept"}


# ------------------------------------------------------------- relevance


def card_slugs(html):
    return re.findall(r'<article class="card">\s*<h3><a href="/briefings/([^/]+)/">', html)


@pytest.fixture
def ranked_corpus(db):
    """Four briefings about ransomware, oldest most relevant: a title match (2001), four matching
    paragraphs (2005), a figure whose measure matches (2015), one matching paragraph (2010); and
    a 2020 briefing that does not match."""
    import datetime

    def briefing(year, title, text):
        speech = make_speech(title=title, date=datetime.date(year, 1, 1), slug=f"b{year}")
        make_source(speech=speech, text=text)
        return speech

    briefing(2001, "Ransomware and the state", "Nothing more on it here.")
    briefing(2005, "A speech", "Ransomware grows.\n\nRansomware spreads.\n\nRansomware pays.\n\nRansomware hurts.")
    briefing(2010, "Another speech", "Ransomware grows.\n\nOther things.")
    figure = briefing(2015, "A third speech", "We saw 40 attacks.")
    make_statistic(speech=figure, source=figure.sources.get(), quote="We saw 40 attacks.", measure="ransomware attacks",
                   value=40, value_text="40")
    briefing(2020, "Unrelated", "Counter-terrorism only.")


def test_search_results_come_most_relevant_first_and_by_year_on_request(client, ranked_corpus):
    html = client.get("/?q=ransomware").content.decode()
    # Title or summary 10, each paragraph 1, a figure 3 (selectors.RELEVANCE): 10, 4, 3, 1.
    assert card_slugs(html) == ["b2001", "b2005", "b2015", "b2010"]
    assert "Best matches</h2>" in html
    assert '<strong aria-current="true">Most relevant first</strong>' in html
    assert '<a href="/?q=ransomware&amp;sort=date">By year</a>' in html

    by_year = client.get("/?q=ransomware&sort=date").content.decode()
    assert card_slugs(by_year) == ["b2015", "b2010", "b2005", "b2001"]
    assert '<strong aria-current="true">By year</strong>' in by_year
    assert "4 briefings match the filters." in html and "4 briefings match the filters." in by_year


def test_later_pages_of_ranked_results_continue_where_the_first_stopped(client, ranked_corpus, monkeypatch):
    from briefings import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    first = client.get("/?q=ransomware").content.decode()
    assert card_slugs(first) == ["b2001", "b2005", "b2015"]
    assert 'href="/?q=ransomware&amp;page=2"' in first and "More matches</a>" in first
    second = client.get("/?q=ransomware&page=2").content.decode()
    assert card_slugs(second) == ["b2010"]
    assert "More matches, from the 4th</h2>" in second
    # Sorted by year, the order is kept from page to page.
    assert 'href="/?q=ransomware&amp;sort=date&amp;page=2"' in client.get("/?q=ransomware&sort=date").content.decode()


def test_filters_narrow_ranked_results_without_changing_their_order(client, ranked_corpus):
    assert card_slugs(client.get("/?q=ransomware&from=2005").content.decode()) == ["b2005", "b2015", "b2010"]


def test_an_unknown_order_says_so_and_ranks_by_relevance(client, ranked_corpus):
    html = client.get("/?q=ransomware&sort=sideways").content.decode()
    assert "“sideways” is not a sort order" in html
    assert card_slugs(html) == ["b2001", "b2005", "b2015", "b2010"]


def test_without_a_search_there_is_no_order_to_choose(client, ranked_corpus):
    html = client.get("/").content.decode()
    assert 'class="sort-links"' not in html
    assert card_slugs(html)[:2] == ["b2020", "b2015"]


def test_a_search_with_no_words_still_scores_titles_and_figures(ranked_corpus):
    """Punctuation has no words for the paragraph index, so its part of the union is left out:
    the scores must not depend on which parts there are (a 500 before). On SQLite a title
    containing it still matches (substrings); on PostgreSQL, which matches words, nothing does."""
    from briefings import selectors

    speech = Speech.objects.get(slug="b2020")
    speech.title = "Unrelated?!"
    speech.save()
    expected = {} if POSTGRES else {speech.pk: selectors.RELEVANCE["speech"]}
    assert selectors.matching_speech_scores("?!") == expected
