"""A source text as paragraphs, with the curated quotes highlighted where they stand.

Paragraphs
    Paragraphs are separated by blank lines (a line holding only whitespace counts as
    blank); a single line break inside a paragraph is a hard wrap and shows as a space.
    A text with no blank line at all but several lines, as the 2024 news report is
    written (one paragraph per line), has one paragraph per line. Paragraphs are
    numbered from 1 in the order they stand, so `#p<n>` stays put as long as the text does.

Finding a quote
    Quotes are matched verbatim except for whitespace: every run of whitespace (line
    breaks, non-breaking spaces) counts as one space on both sides, so a quote copied
    from a web page still matches a text with hard line breaks. The first occurrence wins.

Shared and overlapping quotes
    Highlights with exactly the same span are one group and one `<mark>`: the mark
    carries the first member's id and the other members get empty `<span id=…>`
    anchors at its start, so every member has exactly one anchor, inside a mark whose
    text is its quote. A span inside another (an assessment quoting the first clause of a
    statistic's sentence) is a `<mark>` nested inside the outer one. Spans that cross,
    and spans that cross a paragraph break, cannot nest in HTML: the later one is cut into
    pieces where the other closes, the first piece carries the id and the others are
    marked `hl-cont` with no id. The links back to the list items ("backrefs") follow
    the outermost mark once everything open has closed, so no mark's text includes
    another's link text.

Everything taken from the text is escaped with `escape`; the tags around it are built
with `format_html`; `mark_safe` is only applied to the joined result of those.
"""

import difflib
import functools
import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")
_LINE_BREAK = re.compile(r"\n")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Highlight:
    """One quote to mark: `anchor` is the id the mark gets, `backref` where its link
    back points, `label` that link's text, `title` its tooltip, `css` the mark's class."""

    anchor: str
    quote: str
    backref: str
    label: str
    title: str = ""
    css: str = ""


@dataclass(frozen=True)
class Paragraph:
    number: int
    html: SafeString

    @property
    def anchor(self):
        return f"p{self.number}"


@dataclass
class Passage:
    paragraphs: list
    placed: set = field(default_factory=set)  # anchors of the highlights found in the text


def paragraph_spans(text):
    """(start, end) offsets of each paragraph, whitespace trimmed, empty ones dropped."""
    separator = _BLANK_LINES if _BLANK_LINES.search(text) else _LINE_BREAK
    spans, position = [], 0
    for match in separator.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    trimmed = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            start += len(chunk) - len(chunk.lstrip())
            trimmed.append((start, start + len(stripped)))
    return trimmed


def find_quote(quote, text):
    """(start, end) of the first occurrence of `quote` in `text`, ignoring differences in
    whitespace, as offsets into `text`; None when it is not there."""
    wanted = _WHITESPACE.sub(" ", quote).strip()
    if not wanted:
        return None
    # The text with each whitespace run collapsed to one space, and where each of its
    # characters came from in the original.
    collapsed, origin, position = [], [], 0
    for match in _WHITESPACE.finditer(text):
        collapsed.append(text[position : match.start()])
        origin.extend(range(position, match.start()))
        collapsed.append(" ")
        origin.append(match.start())
        position = match.end()
    collapsed.append(text[position:])
    origin.extend(range(position, len(text)))
    at = "".join(collapsed).find(wanted)
    if at < 0:
        return None
    return origin[at], origin[at + len(wanted) - 1] + 1


@dataclass(eq=False)
class _Group:
    start: int
    end: int
    members: list
    started: bool = False


def _open_tag(group, continued):
    kinds = dict.fromkeys(member.css for member in group.members if member.css)
    classes = " ".join(["hl", *kinds, *(["hl-cont"] if continued else [])])
    if continued:
        return format_html('<mark class="{}">', classes)
    first, *others = group.members
    anchors = SafeString("".join(format_html('<span id="{}"></span>', m.anchor) for m in others))
    return format_html('<mark id="{}" class="{}">{}', first.anchor, classes, anchors)


def _backrefs(groups):
    links = [
        format_html('<a class="backref" href="{}" title="{}">{}</a>', m.backref, m.title, m.label)
        for group in groups
        for m in group.members
    ]
    return format_html('<span class="backrefs">{}</span>', SafeString(" ".join(links)))


def _render_paragraph(text, start, end, groups):
    """The HTML of text[start:end] with the parts of `groups` that fall inside it marked."""
    inside = sorted(
        (g for g in groups if g.start < end and g.end > start),
        key=lambda g: (max(g.start, start), -min(g.end, end)),
    )
    clip = {id(g): (max(g.start, start), min(g.end, end)) for g in inside}
    points = sorted({start, end, *(p for g in inside for p in clip[id(g)])})
    out, stack, finished, waiting = [], [], [], list(inside)
    for here, following in zip(points, [*points[1:], None], strict=True):
        # Close every mark that ends here; marks opened inside one of them but running on
        # are closed with it and opened again as continuations.
        ending = [i for i, g in enumerate(stack) if clip[id(g)][1] == here]
        if ending:
            reopen = [g for g in stack[ending[0] :] if clip[id(g)][1] != here]
            out.extend(SafeString("</mark>") for _ in stack[ending[0] :])
            finished.extend(g for g in stack[ending[0] :] if g.end == here)
            del stack[ending[0] :]
            for group in reopen:
                out.append(_open_tag(group, continued=True))
                stack.append(group)
        if not stack and finished:
            out.append(_backrefs(finished))
            finished = []
        while waiting and clip[id(waiting[0])][0] == here:
            group = waiting.pop(0)
            out.append(_open_tag(group, continued=group.started))
            group.started = True
            stack.append(group)
        if following is not None:
            out.append(escape(text[here:following]))
    return mark_safe("".join(out))  # every piece above was escaped or built by format_html


def render(text, highlights):
    """`text` as numbered paragraphs with each highlight's quote marked where it stands."""
    groups, by_span, placed = [], {}, set()
    for highlight in highlights:
        span = find_quote(highlight.quote, text)
        if span is None:
            continue
        placed.add(highlight.anchor)
        if span in by_span:
            by_span[span].members.append(highlight)
        else:
            by_span[span] = _Group(*span, members=[highlight])
            groups.append(by_span[span])
    paragraphs = [
        Paragraph(number, _render_paragraph(text, start, end, groups))
        for number, (start, end) in enumerate(paragraph_spans(text), start=1)
    ]
    return Passage(paragraphs=paragraphs, placed=placed)


def paragraph_with(text, highlight):
    """The numbered paragraph of `text` where `highlight`'s quote begins, with the quote marked
    (a quote that runs on into the next paragraph is marked up to this one's end); None when
    the quote is not in the text."""
    span = find_quote(highlight.quote, text)
    if span is None:
        return None
    group = _Group(*span, members=[highlight])
    for number, (start, end) in enumerate(paragraph_spans(text), start=1):
        if start <= span[0] < end:
            return Paragraph(number, _render_paragraph(text, start, end, [group]))
    return None


@functools.lru_cache(maxsize=64)
def word_similarity(a, b):
    """The share of words two texts have in common, in order (difflib's ratio over their
    whitespace-separated words: twice the matched words over the words in both)."""
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def describe_similarity(ratio):
    """"99.8% of words in common", to one decimal place, never rounding a difference up to 100%."""
    percent = round(ratio * 100, 1)
    if ratio < 1 and percent >= 100:
        return "over 99.9% of words in common"
    return f"{percent:g}% of words in common"
