"""Adding a new briefing from a plain-text transcript or report.

`import_document` is shared by `manage.py import_document` and the admin's upload page.
It refuses bad input before touching the database and runs in one transaction, so an
import either happens whole or not at all. A text that is a copy of a source already
held (a republication, perhaps with its own introduction or line breaks) is attached to
that briefing as another source; importing the same text twice changes nothing.
New briefings get draft statistics, one per figure found, for a curator to check and publish.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify

from . import figures
from .models import Attribution, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory, normalise_whitespace
from .passages import paragraph_spans

# A new text is a copy of a held source when this share of its five-word phrases is in it
# (of the shorter text's phrases, so an added introduction or cut footer does not hide a copy).
REPUBLICATION_THRESHOLD = 0.8
SHINGLE_WORDS = 5

# Beyond a country's own name, the words that name it.
COUNTRY_WORDS = {
    "afghanistan": ["Afghan"], "china": ["Chinese"], "iran": ["Iranian"], "iraq": ["Iraqi"], "russia": ["Russian"],
    "somalia": ["Somali"], "syria": ["Syrian"], "ukraine": ["Ukrainian"],
}
# Words that point to a threat category, by slug; a category not listed here is matched by its name.
CATEGORY_WORDS = {
    "terrorism": ["terror"],
    "islamist-terrorism": ["Islamist", "ISIS", "Islamic State", "Daesh", "al-Qaeda", "al-Qaida"],
    "extreme-right-wing-terrorism": ["right-wing", "right wing"],
    "northern-ireland-related-terrorism": ["Northern Ireland-related", "dissident republican"],
    "state-threats": ["state threat", "state-backed", "hostile state"],
    "espionage": ["espionage", "spy", "spies", "spying"],
    "foreign-interference": ["interference", "disinformation"],
    "cyber": ["cyber"],
    "threats-to-life": ["threats to life", "assassinat", "kidnap", "plots to kill"],
}


class ImportRefused(Exception):
    """The input cannot be imported; the message says why and what to do."""


@dataclass
class ImportResult:
    speech: Speech
    source: Source
    outcome: str  # "created", "republication" or "unchanged"
    similarity: float | None = None
    matched_source: Source | None = None
    drafts: list = field(default_factory=list)
    countries: list = field(default_factory=list)
    threats: list = field(default_factory=list)

    def summary(self):
        if self.outcome == "unchanged":
            return (f"Nothing changed: this text is already held as source “{self.source.slug}” of "
                    f"“{self.speech.title}”.")
        if self.outcome == "republication":
            return (f"Attached as a republication to “{self.speech.title}”: {self.similarity:.1%} of its five-word "
                    f"phrases are in source “{self.matched_source.slug}”. New source: “{self.source.slug}”.")
        drafts_url = reverse("admin:briefings_statistic_changelist") + f"?speech__id__exact={self.speech.pk}&status=draft"
        return (
            f"Created briefing “{self.speech.title}” ({self.speech.slug}) with {len(self.drafts)} draft statistic(s) "
            f"to review at {drafts_url}. Countries proposed: {', '.join(c.name for c in self.countries) or 'none'}. "
            f"Threats proposed: {', '.join(t.name for t in self.threats) or 'none'}."
        )


def read_text(data):
    """The document's text from its bytes, or ImportRefused if it is empty or not UTF-8."""
    if not data or not data.strip():
        raise ImportRefused("The file is empty; there is nothing to import.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            f"The file is not UTF-8 text: byte {error.start} cannot be read. Save it as UTF-8 and import it again."
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ImportRefused("The file holds NUL characters, so it is not a plain-text document.")
    if not text.strip():
        raise ImportRefused("The file holds only whitespace; there is nothing to import.")
    return text


def _check_arguments(speaker, date, title, kind, language):
    found = Speaker.objects.filter(slug=speaker).first()
    if found is None:
        known = ", ".join(Speaker.objects.values_list("slug", flat=True)) or "none yet"
        raise ImportRefused(f"No speaker has the slug “{speaker}”. Known speakers: {known}.")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or ""):
        raise ImportRefused(f"“{date}” is not a date in the form YYYY-MM-DD.")
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError as error:
        raise ImportRefused(f"“{date}” is not a real date ({error}).") from None
    if kind not in Speech.Kind.values:
        raise ImportRefused(f"“{kind}” is not a kind of briefing. Choose one of: {', '.join(Speech.Kind.values)}.")
    if not title.strip():
        raise ImportRefused("The title is empty.")
    if len(title) > Speech._meta.get_field("title").max_length:
        raise ImportRefused("The title is longer than 300 characters.")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language or ""):
        raise ImportRefused(f"“{language}” is not a language code such as en or de.")
    return found, day


def import_document(data, *, name, speaker, date, title, kind, publisher="MI5", url="", language="en"):
    text = read_text(data)
    speaker_row, day = _check_arguments(speaker, date, title, kind, language)
    with transaction.atomic():
        same_text, match, similarity = _compare_with_held_sources(text, speaker_row)
        if same_text:
            return ImportResult(speech=same_text.speech, source=same_text, outcome="unchanged")
        if match and similarity >= REPUBLICATION_THRESHOLD:
            source = Source.objects.create(
                speech=match.speech, slug=_unique_slug(Source, f"{match.speech.slug}-{publisher}"), publisher=publisher,
                url=url, language=language, role=Source.Role.REPUBLICATION, document=name, text=text,
                notes=f"Imported from {name}: {similarity:.1%} of its five-word phrases are in “{match.slug}”.",
            )
            return ImportResult(speech=match.speech, source=source, outcome="republication", similarity=similarity,
                                matched_source=match)
        if Speech.objects.filter(speaker=speaker_row, date=day, title=title).exists():
            raise ImportRefused(
                f"{speaker_row} already has a briefing called “{title}” on {day:%d %B %Y}, and this text is not a "
                "copy of its sources. Give the new document its own title."
            )
        return _create_briefing(text, name=name, speaker=speaker_row, day=day, title=title, kind=kind,
                                publisher=publisher, url=url, language=language)


def _shingles(text):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + SHINGLE_WORDS]) for i in range(max(len(words) - SHINGLE_WORDS + 1, 1))}


def _compare_with_held_sources(text, speaker):
    """In one pass over the same speaker's sources: the one holding exactly this text (whitespace
    aside), if any; and the one sharing the most five-word phrases with it, with that share."""
    wanted_text, wanted = normalise_whitespace(text), _shingles(text)
    best, best_share = None, 0.0
    for source in Source.objects.filter(speech__speaker=speaker).select_related("speech"):
        if normalise_whitespace(source.text) == wanted_text:
            return source, source, 1.0
        held = _shingles(source.text)
        share = len(wanted & held) / min(len(wanted), len(held))
        if share > best_share:
            best, best_share = source, share
    return None, best, best_share


def _unique_slug(model, text):
    base = slugify(text)[:100] or "briefing"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _mentions(text, words):
    return any(re.search(rf"\b{re.escape(word)}", text, flags=re.IGNORECASE) for word in words)


def countries_in(text, countries):
    """The countries the text names, by name or adjective ("Iranian"); names are matched as written."""
    def named(country):
        words = "|".join(map(re.escape, [country.name, *COUNTRY_WORDS.get(country.slug, [])]))
        return re.search(rf"\b({words})\b", text)

    return [country for country in countries if named(country)]


def threats_in(text, categories):
    """The categories the text points to; a child category counts for its parent too."""
    found = [c for c in categories if _mentions(text, CATEGORY_WORDS.get(c.slug, [c.name]))]
    parents = {c.parent_id for c in found if c.parent_id}
    return [c for c in categories if c in found or c.pk in parents]


def _most_specific(categories):
    children = [c for c in categories if c.parent_id]
    return (children or categories or [None])[0]


def _create_briefing(text, *, name, speaker, day, title, kind, publisher, url, language):
    speech = Speech.objects.create(
        slug=_unique_slug(Speech, f"{title} {day.year}" if str(day.year) not in title else title), title=title,
        date=day, date_basis=f"Entered by the curator when importing {name}.", kind=kind, speaker=speaker, summary="",
    )
    source = Source.objects.create(
        speech=speech, slug=_unique_slug(Source, f"{speech.slug}-{publisher}"), publisher=publisher, url=url,
        language=language, role=Source.Role.PRIMARY, document=name, text=text, notes=f"Imported from {name}.",
    )
    countries, categories = list(Country.objects.all()), list(ThreatCategory.objects.all())
    speech_countries, speech_threats = countries_in(text, countries), threats_in(text, categories)
    speech.countries.set(speech_countries)
    speech.threats.set(speech_threats)
    drafts, seen = [], set()
    for start, end in paragraph_spans(text):
        for sentence in figures.sentences(normalise_whitespace(text[start:end])):
            sentence_countries = countries_in(sentence, countries)
            threat = _most_specific(threats_in(sentence, categories))
            for figure in figures.find_figures(sentence):
                measure = (figure.phrase or f"figure ({figure.value_text})")[:200]
                if (measure, figure.value) in seen:
                    continue
                seen.add((measure, figure.value))
                statistic = Statistic(
                    speech=speech, source=source, measure=measure, value=figure.value, value_text=figure.value_text[:100],
                    qualifier=figure.qualifier, unit=figure.unit[:60], threat=threat, quote=sentence,
                    attribution=Attribution.SPEAKER, status=Status.DRAFT,
                )
                try:
                    statistic.full_clean()
                except ValidationError:
                    continue  # e.g. more decimal places than a value holds; the curator can add it by hand
                statistic._change_reason = f"Proposed by import_document from {name}"
                statistic.save()
                statistic.countries.set(sentence_countries)
                drafts.append(statistic)
    return ImportResult(speech=speech, source=source, outcome="created", drafts=drafts, countries=speech_countries,
                        threats=speech_threats)
