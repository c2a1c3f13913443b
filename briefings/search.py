"""Full-text search over the briefings' paragraphs, titles, summaries, figures and judgements.

A briefing matches `q` when one of its paragraphs matches, or its title or summary, one of its
published figures (quote or measure) or published judgements (quote or summary). The matched
set stays inside the database: `text_matches(q)` is a condition of subqueries, never a list of
ids.

On PostgreSQL every searched text is matched by full-text search with the English
configuration, so "encryption" also finds "encrypted", through a GIN index on the same
expression (migrations 0002 and 0010). Passages are ranked by ts_rank.

On SQLite there is no stemming: a text matches when it contains the query (a paragraph: every
word of it) as a case-insensitive substring. Every searched table has an FTS5 index with the
trigram tokenizer, which answers exactly those substring questions from the index (a phrase of
trigrams is a substring); words shorter than three characters, which trigrams cannot find,
are checked with LIKE on the rows the index found. The indexes are contentless and hold what
the public may find: every paragraph, and only published briefings, figures and judgements
(HELD). Each row is keyed by its briefing (KEYED: the briefing's id in the high bits of the
rowid), so the briefings a search finds, and how often, are read off the indexes alone, without
looking up a row (at 10,000 briefings a common word matches 17,000 paragraphs and thousands of
figures and judgements). They are kept in step by triggers, so every insert, update and delete
(admin saves, publishing, bulk loads, seed, restore, generate_synthetic, raw SQL) updates them;
`install_sqlite_indexes` creates them after every migrate (a migration that rebuilds a table on
SQLite drops its triggers) and rebuilds an index whose triggers were missing.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorExact
from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import Assessment, Source, SourceParagraph, Speech, Statistic, Status, normalise_whitespace
from .passages import paragraph_spans

MAX_TERMS = 12
SNIPPET_LENGTH = 320


def index_source(source):
    """Store the paragraphs of a source shown on its briefing page (not republications,
    which are never shown), numbered as the page numbers them. Ids stay stable when the
    text is unchanged."""
    if source.role == Source.Role.REPUBLICATION:
        SourceParagraph.objects.filter(source=source).delete()
        return
    texts = [normalise_whitespace(source.text[start:end]) for start, end in paragraph_spans(source.text)]
    if not SourceParagraph.objects.filter(source=source).exists():  # a new source (an import): in bulk
        SourceParagraph.objects.bulk_create(
            [SourceParagraph(source=source, number=number, speech_id=source.speech_id, text=text)
             for number, text in enumerate(texts, start=1)], batch_size=500)
        return
    for number, text in enumerate(texts, start=1):
        SourceParagraph.objects.update_or_create(
            source=source, number=number, defaults={"speech_id": source.speech_id, "text": text}
        )
    SourceParagraph.objects.filter(source=source, number__gt=len(texts)).delete()


def terms(q):
    return [term for term in re.findall(r"\w+", q.lower()) if term][:MAX_TERMS]


def uses_full_text():
    return connection.vendor == "postgresql"


# The searched texts of each table, and the SQLite FTS5 index that holds them.
SEARCHED = {
    SourceParagraph: ("search_paragraphs", ("text",)),
    Speech: ("search_briefings", ("title", "summary")),
    Statistic: ("search_figures", ("quote", "measure")),
    Assessment: ("search_judgements", ("quote", "summary")),
}
TRIGRAM = 3  # the shortest text the trigram index can find
# Each index's rowid: the row's briefing id in the high bits and the row's id in the low ones (a
# briefing's own row: its id twice), so the briefings with a matching row are read off the index alone.
KEY_BITS = 32
KEYED = {model: f"{{row}}.{briefing} * {1 << KEY_BITS} + {{row}}.id" for model, briefing in (
    (SourceParagraph, "speech_id"), (Speech, "id"), (Statistic, "speech_id"), (Assessment, "speech_id"))}
# The rows each index holds: what the public may find (every paragraph; a draft briefing's are
# never shown, since only published briefings are). Whether a figure's or judgement's briefing is
# published is the callers' to check, as the facet index does for every search.
_PUBLISHED = f"{{row}}.status = '{Status.PUBLISHED.value}'"
HELD = {Speech: _PUBLISHED, Statistic: _PUBLISHED, Assessment: _PUBLISHED}
# Indexes replaced by others, and their triggers: dropped before the new ones are made.
FORMER = {
    "search_paragraph": ("search_paragraph_insert", "search_paragraph_delete", "search_paragraph_update"),
    # External-content indexes of every row, read through their tables.
    **{table: (f"{table}_insert", f"{table}_delete", f"{table}_update")
       for table in ("search_speech", "search_statistic", "search_assessment")},
}


def _phrase(text):
    """An FTS5 string: the text as one phrase, which with trigrams means "contains it"."""
    return '"' + text.replace('"', '""') + '"'


def _fts_rows(model, expression):
    """Rows of `model` whose FTS5 index matches `expression`: a subquery on the index."""
    table = SEARCHED[model][0]
    return Q(pk__in=RawSQL(f"SELECT rowid & {(1 << KEY_BITS) - 1} FROM {table} WHERE {table} MATCH %s", [expression]))


def _briefings_of_rows(model, expression):
    """(sql, params) of a subquery with a row per row of `model` whose index matches
    `expression`, its briefing's id as `sid`: read off the index's keys alone."""
    table = SEARCHED[model][0]
    return f"SELECT rowid >> {KEY_BITS} AS sid FROM {table} WHERE {table} MATCH %s", [expression]


def contains(model, q):
    """Rows of `model` whose searched texts match `q`: on PostgreSQL by English full text, as
    paragraphs are matched (through the GIN index on the same expression, migration 0010); on
    SQLite when one of them contains `q`, ignoring case (through the index, which holds the
    published rows only: callers ask for published ones)."""
    columns = SEARCHED[model][1]
    if uses_full_text():
        return Q(SearchVectorExact(SearchVector(*columns, config="english"), _english_query(q)))
    if len(q) >= TRIGRAM:
        return _fts_rows(model, _phrase(q))
    return Q.create([(f"{column}__icontains", q) for column in columns], connector=Q.OR)


def _english_query(q):
    return SearchQuery(q, config="english", search_type="websearch")


def paragraph_matches(q):
    """Paragraphs matching `q`, unordered and unranked: for finding which briefings match."""
    if uses_full_text():
        return SourceParagraph.objects.annotate(search=SearchVector("text", config="english")).filter(
            search=_english_query(q)
        )
    words = terms(q)
    if not words:
        return SourceParagraph.objects.none()
    paragraphs = SourceParagraph.objects.all()
    indexed = [word for word in words if len(word) >= TRIGRAM]
    if indexed:
        paragraphs = paragraphs.filter(_fts_rows(SourceParagraph, " AND ".join(_phrase(word) for word in indexed)))
    for word in words:
        if len(word) < TRIGRAM:
            paragraphs = paragraphs.filter(text__icontains=word)
    return paragraphs


def paragraph_briefings(q):
    """One row per paragraph matching `q`, its briefing's id as `sid`: (sql, params) for a
    subquery, or None when nothing can match. On SQLite, when every word is long enough for the
    trigram index, read off the index's keys alone."""
    words = terms(q)
    if connection.vendor == "sqlite" and words and all(len(word) >= TRIGRAM for word in words):
        return _briefings_of_rows(SourceParagraph, " AND ".join(_phrase(word) for word in words))
    paragraphs = paragraph_matches(q)
    if paragraphs.query.is_empty():
        return None
    return paragraphs.order_by().annotate(sid=F("speech_id")).values_list("sid").query.sql_with_params()


def row_briefings(model, q):
    """One row per published row of `model` (Speech, Statistic or Assessment) whose searched
    texts match `q` (`contains`), its briefing's id as `sid`: (sql, params) for a subquery. On
    SQLite, when `q` is long enough for the trigram index, read off the index's keys alone; the
    briefing's own status is the caller's to check."""
    if connection.vendor == "sqlite" and len(q) >= TRIGRAM:
        return _briefings_of_rows(model, _phrase(q))
    rows = model.objects.published().filter(contains(model, q))
    return rows.order_by().annotate(sid=F("id" if model is Speech else "speech_id")).values_list("sid").query.sql_with_params()


def matching_paragraphs(q):
    """Paragraphs matching `q`, best first (on SQLite, which cannot rank them cheaply, in text
    order), for the few briefings of a page: on SQLite checked with LIKE rather than through the
    index, which would find every matching paragraph of every briefing first."""
    if uses_full_text():
        rank = SearchRank(SearchVector("text", config="english"), _english_query(q))
        return paragraph_matches(q).annotate(rank=rank).order_by("-rank", "number")
    words = terms(q)
    if not words:
        return SourceParagraph.objects.none()
    return SourceParagraph.objects.filter(*(Q(text__icontains=word) for word in words)).order_by("number")


def text_matches(q):
    """The condition on briefings for `q`: a matching paragraph, title or summary, published
    figure or published judgement. Each part is a subquery the database answers from its index."""
    paragraphs = paragraph_briefings(q)
    return (
        (Q(pk__in=RawSQL(*paragraphs)) if paragraphs else Q(pk__in=[]))
        | contains(Speech, q)
        | Q(pk__in=Statistic.objects.published().filter(contains(Statistic, q)).values("speech_id"))
        | Q(pk__in=Assessment.objects.published().filter(contains(Assessment, q)).values("speech_id"))
    )


# ------------------------------------------------------------- SQLite's FTS5 indexes


def _triggers(table, source, columns, key, held):
    """The triggers keeping `table` in step with `source`: a row is in the index while `held`."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    insert = (f"INSERT INTO {table}(rowid, {names}) SELECT {key.format(row='new')}, {new} "
              f"WHERE {held.format(row='new')};")
    delete = (f"INSERT INTO {table}({table}, rowid, {names}) SELECT 'delete', {key.format(row='old')}, {old} "
              f"WHERE {held.format(row='old')};")
    return {
        f"{table}_insert": f"AFTER INSERT ON {source} BEGIN {insert} END",
        f"{table}_delete": f"AFTER DELETE ON {source} BEGIN {delete} END",
        f"{table}_update": f"AFTER UPDATE ON {source} BEGIN {delete} {insert} END",
    }


def install_sqlite_indexes(using="default", **kwargs):
    """Create each FTS5 index and its triggers where missing, and fill (rebuild) an index
    whose triggers were missing, as after a migration that rebuilt its table. Idempotent:
    a post_migrate receiver."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {name for (name,) in cursor.fetchall()}
        for former, triggers in FORMER.items():  # an index replaced by another: its triggers first
            if former in existing:
                for name in triggers:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"DROP TABLE {former}")
        for model, (table, columns) in SEARCHED.items():
            source = model._meta.db_table
            if source not in existing:
                continue
            key, held = KEYED[model], HELD.get(model, "1")
            triggers = _triggers(table, source, columns, key, held)
            if table in existing and set(triggers) <= existing:
                continue
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5({', '.join(columns)}, "
                           f"content='', tokenize='trigram')")
            for name, definition in triggers.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {definition}")
            # Contentless: emptied and filled from the table.
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
            cursor.execute(f"INSERT INTO {table}(rowid, {', '.join(columns)}) "
                           f"SELECT {key.format(row=source)}, {', '.join(columns)} FROM {source} "
                           f"WHERE {held.format(row=source)}")


def _term_pattern(q):
    """Words starting with a query term's stem, roughly as English stemming sees them."""
    stems = [term[: max(4, len(term) - 3)] if len(term) > 4 else term for term in terms(q)]
    if not stems:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(stem) for stem in stems) + r")\w*", re.IGNORECASE)


def highlight(text, q):
    """An escaped snippet of `text` around the first match, with matching words in <mark>."""
    pattern = _term_pattern(q)
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > SNIPPET_LENGTH // 3:
        start = text.rfind(" ", 0, match.start() - SNIPPET_LENGTH // 3) + 1
    end = min(len(text), start + SNIPPET_LENGTH)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    snippet = text[start:end]
    parts, position = [], 0
    for found in (pattern.finditer(snippet) if pattern else []):
        parts.append(escape(snippet[position:found.start()]))
        parts.append(format_html("<mark>{}</mark>", found.group(0)))
        position = found.end()
    parts.append(escape(snippet[position:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)
