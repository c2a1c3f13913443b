"""Full-text search over the briefings' paragraphs.

On PostgreSQL, search uses its full-text search with the English configuration, so
"encryption" also finds "encrypted"; a GIN index on the same expression keeps it fast
(migration 0002), and passages are ranked. On SQLite there is no stemming: a paragraph
matches when it contains every word of the query as a case-insensitive substring.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import Source, SourceParagraph, normalise_whitespace
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
    condition = Q()
    for word in words:
        condition &= Q(text__icontains=word)
    return SourceParagraph.objects.filter(condition)


def matching_paragraphs(q):
    """Paragraphs matching `q`, best first (on SQLite, which cannot rank, in text order)."""
    if uses_full_text():
        rank = SearchRank(SearchVector("text", config="english"), _english_query(q))
        return paragraph_matches(q).annotate(rank=rank).order_by("-rank", "number")
    return paragraph_matches(q).order_by("number")


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
