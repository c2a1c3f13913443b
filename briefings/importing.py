"""Adding a text to the corpus: a new draft briefing, or a report of one already held.

`ImportForm` checks the input of `manage.py import_document` and of the admin's upload alike
and turns it into an `ImportRequest` of typed values, which `import_document` carries out:

1. Decide where the text goes (reads only): a text already held changes nothing; a copy of a
   held source (REPUBLICATION_THRESHOLD of its five-word phrases) is attached as a
   republication; `attach_to` attaches it with the chosen role; otherwise a text whose speaker
   has a briefing within NEAR_DAYS of its date is attached to that briefing as a news report
   (`new` forces a new briefing); else it becomes a new *draft* briefing.
2. Read it (outside any transaction, in time linear in its length): page furniture (banners,
   menus, copyright lines, the threat-level banner) is set aside; every other sentence is read
   for figures (`figures.find_figures`), each given a measure (a curated measure name where
   one fits, else the words the figure counts), the threat the sentence itself names nearest
   the figure (none when it names none) and the countries it names. At most
   settings.IMPORT_MAX_DRAFTS drafts.
3. Write it in one short transaction: the briefing or the source, and the draft statistics in
   bulk. Figures of a news report are the reporter's paraphrase.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from . import figures
from .models import Attribution, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory, normalise_whitespace
from .passages import paragraph_spans
from .text import clean_control_characters

# A new text is a copy of a held source when this share of its five-word phrases is in it
# (of the shorter text's phrases, so an added introduction or cut footer does not hide a copy).
REPUBLICATION_THRESHOLD = 0.8
SHINGLE_WORDS = 5
# A text of a speaker dated this close to one of their briefings is taken for a report of it.
NEAR_DAYS = 7
DEFAULT_PUBLISHER = "MI5 (the Security Service)"
# Kinds of text whose own publisher is MI5 when none is given; other kinds must name theirs.
MI5_KINDS = {Speech.Kind.SPEECH, Speech.Kind.ANNUAL_THREAT_UPDATE, Speech.Kind.VIDEO}

# Beyond a country's own name, the words that name it ("Russians" is matched by "Russian").
COUNTRY_WORDS = {
    "afghanistan": ["Afghan"], "china": ["Chinese"], "iran": ["Iranian"], "iraq": ["Iraqi"], "russia": ["Russian"],
    "somalia": ["Somali"], "syria": ["Syrian"], "ukraine": ["Ukrainian"],
}
# Patterns that point to a threat category, by slug; a category not listed here is matched by its name.
CATEGORY_WORDS = {
    "terrorism": [r"terror"],
    "islamist-terrorism": [r"Islamist", r"ISIS", r"ISIL", r"Islamic State", r"Daesh", r"al[- ]?Qa[e'’]?ida",
                           r"jihadis"],
    "extreme-right-wing-terrorism": [r"(extreme|far)[- ]right", r"right[- ]wing", r"neo-Nazi"],
    "northern-ireland-related-terrorism": [r"Northern Ireland[- ]related", r"dissident (Irish )?republican",
                                           r"(Irish )?republican dissident", r"New IRA"],
    "state-threats": [r"state threat", r"state[- ]backed", r"hostile state", r"state actors"],
    "espionage": [r"espionage", r"spy\b", r"spies", r"spying"],
    "foreign-interference": [r"interference", r"disinformation"],
    "cyber": [r"cyber"],
    "threats-to-life": [r"threats to life", r"assassinat", r"kidnap", r"plots to kill"],
}

# Page furniture: lines that are part of the web page, not of the text.
FURNITURE = re.compile(
    r"©|crown copyright|all rights reserved|threat level|the threat to the uk .{0,30}\bis (low|moderate|substantial|"
    r"severe|critical)|skip to (main )?content|back to top|cookies|privacy (policy|notice)|terms (and|&) conditions|"
    r"follow us|share (this|on)|sign up|subscribe|newsletter|related (news|articles|content|stories|links)|"
    r"read more|more news|latest news|print (this )?page|anti-terrorism hotline|\bhotline\b|call 999|"
    r"gov\.uk/act|report (it|suspicious|online)|if you see something|in an emergency|^(published|last updated|"
    r"updated|date|posted)\b|^(image|photo|caption|credit|file|annex [a-z0-9]+)\s*:|\||›|»|•",
    re.IGNORECASE | re.MULTILINE,
)
FILE_NAME = re.compile(r"\w\.(jpe?g|png|gif|svg|pdf|docx?|xlsx?|csv|html?|mp3|mp4)\b", re.IGNORECASE)


class ImportRefused(Exception):
    """The input cannot be imported; the message says why and what to do."""


def read_text(data):
    """The document's text from its bytes, or ImportRefused if it is empty or not UTF-8. Control
    characters are cleaned as every write path cleans them (briefings/text.py)."""
    if not data or not data.strip():
        raise ImportRefused("The file is empty; there is nothing to import.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            f"The file is not UTF-8 text: byte {error.start} cannot be read. Save it as UTF-8 and import it again."
        ) from None
    if "\x00" in text:
        raise ImportRefused("The file holds NUL characters, so it is not a plain-text document.")
    text = clean_control_characters(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ImportRefused("The file holds only whitespace; there is nothing to import.")
    return text


def size_limit_message(size):
    limit = settings.IMPORT_MAX_BYTES
    return (f"The file is {size:,} bytes; the limit is {limit:,} bytes ({limit / 1_048_576:g} MB, the "
            "IMPORT_MAX_BYTES setting). Split the document or cut what is not the briefing, then import it again.")


ATTACH_ROLES = [(role.value, role.label) for role in Source.Role if role != Source.Role.PRIMARY]


class ImportForm(forms.Form):
    """The one check of an import's input, for the command and the admin's upload."""

    document = forms.FileField(help_text="A plain-text transcript or report, UTF-8.",
                               error_messages={"empty": "The file is empty; there is nothing to import."})
    speaker = forms.ModelChoiceField(
        Speaker.objects.all(), to_field_name="slug",
        error_messages={"invalid_choice": "No speaker has the slug “%(value)s”."},
    )
    date = forms.CharField(help_text="YYYY-MM-DD")
    title = forms.CharField(max_length=300, error_messages={"required": "The title is empty."})
    kind = forms.ChoiceField(choices=Speech.Kind.choices, error_messages={
        "invalid_choice": f"“%(value)s” is not a kind of briefing. Choose one of: {', '.join(Speech.Kind.values)}."})
    publisher = forms.CharField(
        max_length=200, required=False,
        help_text=f"Who published this copy. Empty: {DEFAULT_PUBLISHER} for a speech, threat update or video; "
                  "a report, interview or article must name its publisher.",
    )
    url = forms.CharField(max_length=200, required=False, help_text="http:// or https:// only.")
    language = forms.RegexField(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=20, initial="en", required=False,
                                help_text="BCP 47 code of the text; en when empty.",
                                error_messages={"invalid": "“%(value)s” is not a language code such as en or de."})
    allow_future = forms.BooleanField(required=False, help_text="Accept a date after today.")
    attach_to = forms.ModelChoiceField(
        Speech.objects.all(), to_field_name="slug", required=False,
        error_messages={"invalid_choice": "No briefing has the slug “%(value)s”."},
        help_text="Attach the text to this briefing instead of making a new one.",
    )
    role = forms.ChoiceField(choices=[("", "---------"), *ATTACH_ROLES], required=False,
                             help_text="What the attached text is (with “attach to”); a news report by default.")
    new = forms.BooleanField(required=False, label="Always a new briefing",
                             help_text="Do not attach the text to a briefing of the same speaker dated near it.")

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(size_limit_message(document.size))
        try:
            return read_text(document.read())
        except ImportRefused as refusal:
            raise ValidationError(str(refusal)) from None

    def clean_date(self):
        value = self.cleaned_data["date"].strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValidationError(f"“{value}” is not a date in the form YYYY-MM-DD.")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(f"“{value}” is not a real date ({error}).") from None

    def clean_title(self):
        title = normalise_whitespace(clean_control_characters(self.cleaned_data["title"]))
        if not title:
            raise ValidationError("The title is empty.")
        return title

    def clean_language(self):
        return self.cleaned_data["language"] or "en"

    def clean_publisher(self):
        return normalise_whitespace(clean_control_characters(self.cleaned_data["publisher"]))

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise ValidationError(f"“{url}” is not an http:// or https:// address.") from None
        return url

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if day and day > datetime.date.today() and not data.get("allow_future"):
            self.add_error("date", f"{day:%d %B %Y} is in the future. Check it, or allow it (--allow-future).")
        if data.get("attach_to") and data.get("new"):
            self.add_error("new", "Choose one: attach to a briefing, or a new briefing.")
        if data.get("role") and not data.get("attach_to"):
            self.add_error("role", "A role is for a text attached to a briefing (“attach to”).")
        role = data.get("role") or (Source.Role.NEWS_REPORT if data.get("attach_to") else "")
        data["role"] = role
        if not data.get("publisher") and data.get("kind"):
            if role == Source.Role.NEWS_REPORT or data["kind"] not in MI5_KINDS:
                self.add_error("publisher", "Name the publisher of this report (e.g. BBC News); only MI5's own "
                                            "speeches, threat updates and videos default to MI5.")
        return data

    def import_request(self, name):
        data = self.cleaned_data
        return ImportRequest(
            text=data["document"], name=name, speaker=data["speaker"], date=data["date"], title=data["title"],
            kind=data["kind"], publisher=data["publisher"], url=data["url"], language=data["language"],
            attach_to=data["attach_to"], role=data["role"], new=data["new"],
        )


@dataclass(frozen=True)
class ImportRequest:
    text: str
    name: str
    speaker: Speaker
    date: datetime.date
    title: str
    kind: str
    publisher: str = ""  # empty: not given (DEFAULT_PUBLISHER for MI5's own kinds of text)
    url: str = ""
    language: str = "en"
    attach_to: Speech | None = None
    role: str = ""
    new: bool = False


@dataclass
class Placement:
    """Where a text goes, and why."""

    outcome: str  # "created", "attached" or "unchanged"
    speech: Speech | None
    role: str
    reason: str
    similarity: float = 0.0
    closest: Source | None = None


@dataclass
class ImportResult:
    speech: Speech
    source: Source
    placement: Placement
    drafts: list = field(default_factory=list)
    countries: list = field(default_factory=list)
    threats: list = field(default_factory=list)
    left_out: int = 0  # figures beyond the cap on drafts

    @property
    def outcome(self):
        return self.placement.outcome

    def summary(self):
        placement = self.placement
        closest = (f"Closest held text: “{placement.closest.slug}” of “{placement.closest.speech.title}”, "
                   f"{placement.similarity:.1%} of five-word phrases shared." if placement.closest
                   else "No held text of this speaker to compare with (0.0% similar).")
        drafts_url = reverse("briefings:review-drafts", args=[self.speech.slug])
        if placement.outcome == "unchanged":
            return f"Nothing changed: {placement.reason} {closest}"
        lines = [
            (f"Created draft briefing “{self.speech.title}” ({self.speech.slug}): {placement.reason}"
             if placement.outcome == "created" else
             f"Attached to “{self.speech.title}” as a {Source.Role(placement.role).label.lower()} (new source "
             f"“{self.source.slug}”): {placement.reason}"),
            closest,
            f"{len(self.drafts)} draft statistic(s) to review at {drafts_url}."
            + (f" {self.left_out} more figure(s) left out: at most {settings.IMPORT_MAX_DRAFTS} drafts per import."
               if self.left_out else ""),
        ]
        if placement.outcome == "created":
            lines.append(f"Countries proposed: {', '.join(c.name for c in self.countries) or 'none'}. "
                         f"Threats proposed: {', '.join(t.name for t in self.threats) or 'none'}.")
        return "\n".join(lines)


def import_document(request: ImportRequest) -> ImportResult:
    placement = place(request)
    if placement.outcome == "unchanged":
        source = placement.closest
        return ImportResult(speech=source.speech, source=source, placement=placement)
    publisher = request.publisher
    if not publisher:
        if placement.role == Source.Role.NEWS_REPORT:
            raise ImportRefused(f"{placement.reason} Name the report's publisher (--publisher), or import it as a "
                                "new briefing (--new).")
        publisher = DEFAULT_PUBLISHER
    # Read outside the transaction: the write below is short whatever the size of the text.
    reading = read_document(request.text)
    with transaction.atomic():
        if placement.outcome == "created":
            speech = _create_speech(request)
            role = Source.Role.PRIMARY
        else:
            speech, role = placement.speech, placement.role
        source = Source.objects.create(
            speech=speech, slug=_unique_slug(Source, f"{speech.slug}-{publisher}"), publisher=publisher,
            url=request.url, language=request.language, role=role, document=request.name, text=request.text,
            notes=f"Imported from {request.name}. {placement.reason}",
        )
        if placement.outcome == "created":
            speech.countries.set(reading.countries)
            speech.threats.set(reading.threats)
        attribution = Attribution.PARAPHRASE if role == Source.Role.NEWS_REPORT else Attribution.SPEAKER
        drafts, left_out = _save_drafts(speech, source, reading.proposals, attribution, request.name)
    return ImportResult(speech=speech, source=source, placement=placement, drafts=drafts,
                        countries=reading.countries, threats=reading.threats, left_out=left_out)


def place(request):
    """Where the text goes (see the module's docstring), reading only."""
    same, closest, similarity = _compare_with_held_sources(request.text, request.speaker)
    if same:
        return Placement("unchanged", same.speech, same.role, f"this text is already held as source “{same.slug}” "
                         f"of “{same.speech.title}”.", 1.0, same)
    if request.attach_to:
        return Placement("attached", request.attach_to, request.role, "attached as asked (--attach-to).",
                         similarity, closest)
    if closest and similarity >= REPUBLICATION_THRESHOLD:
        return Placement("attached", closest.speech, Source.Role.REPUBLICATION,
                         f"it is a copy of “{closest.slug}” ({similarity:.1%} of its five-word phrases are in it, "
                         f"at least {REPUBLICATION_THRESHOLD:.0%} makes a copy).", similarity, closest)
    if not request.new:
        near = _held_briefing_near(request.speaker, request.date)
        if near:
            days = abs((near.date - request.date).days)
            return Placement("attached", near, Source.Role.NEWS_REPORT,
                             f"{request.speaker} gave “{near.title}” on {near.date:%d %B %Y}, {days} day(s) from this "
                             f"text's date, so it is taken for a report of it. Use --new if it is a briefing of its own.",
                             similarity, closest)
    if Speech.objects.filter(speaker=request.speaker, date=request.date, title=request.title).exists():
        raise ImportRefused(
            f"{request.speaker} already has a briefing called “{request.title}” on {request.date:%d %B %Y}, and this "
            "text is not a copy of its sources. Give the new document its own title."
        )
    reason = ("a new briefing, as asked (--new)." if request.new else
              f"no briefing of {request.speaker} is dated within {NEAR_DAYS} days of {request.date:%d %B %Y}.")
    return Placement("created", None, Source.Role.PRIMARY, reason, similarity, closest)


def _held_briefing_near(speaker, day):
    window = datetime.timedelta(days=NEAR_DAYS)
    candidates = Speech.objects.filter(speaker=speaker, date__range=(day - window, day + window))
    return min(candidates, key=lambda speech: (abs((speech.date - day).days), speech.pk), default=None)


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
        if best is None or share > best_share:
            best, best_share = source, share
    return None, best, best_share


def _unique_slug(model, text):
    base = slugify(text)[:100] or "briefing"
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _create_speech(request):
    title, day = request.title, request.date
    return Speech.objects.create(
        slug=_unique_slug(Speech, f"{title} {day.year}" if str(day.year) not in title else title), title=title,
        date=day, date_basis=f"Entered by the curator when importing {request.name}.", kind=request.kind,
        speaker=request.speaker, summary="", status=Status.DRAFT,
    )


# Reading --------------------------------------------------------------------------------------------


@dataclass
class Proposal:
    measure: str
    figure: figures.Figure
    threat: ThreatCategory | None
    countries: list
    quote: str


@dataclass
class Reading:
    proposals: list
    countries: list
    threats: list


def is_furniture(line, marked=None):
    """A line of the web page around the text: a banner, menu, breadcrumb, copyright or caption
    line, or a short line with no sentence in it (a menu item). `marked`: whether FURNITURE
    matches the line, when already known (text_chunks searches the whole text at once)."""
    line = line.strip()
    words = line.split()
    if FURNITURE.search(line) if marked is None else marked:
        return True
    if len(words) <= 8 and FILE_NAME.search(line):
        return True
    if not re.search(r"[.!?:;”\"]$", line) and len(words) <= 4:
        return True
    capitalised = sum(word[:1].isupper() for word in words)
    return not re.search(r"[.!?]", line) and len(words) >= 5 and capitalised / len(words) >= 0.6


def text_chunks(text):
    """The runs of lines that are the text, page furniture left out, whitespace collapsed. A run
    never crosses a paragraph or a furniture line, so each sentence stands verbatim in the text."""
    # One search of the whole text finds the lines that FURNITURE marks (by where they start).
    marked = {text.rfind("\n", 0, match.start()) + 1 for match in FURNITURE.finditer(text)}
    for start, end in paragraph_spans(text):
        run, position = [], start
        for line in text[start:end].split("\n"):
            line_start = position if position > start else text.rfind("\n", 0, start) + 1
            position += len(line) + 1
            if is_furniture(line, marked=line_start in marked):
                if run:
                    yield normalise_whitespace(" ".join(run))
                run = []
            elif line.strip():
                run.append(line)
        if run:
            yield normalise_whitespace(" ".join(run))


class Vocabulary:
    """What a reading matches words against: the categories and countries, and the curated measures."""

    def __init__(self, categories=None, countries=None, measures=None):
        self.categories = list(ThreatCategory.objects.all()) if categories is None else categories
        self.countries = list(Country.objects.all()) if countries is None else countries
        if measures is None:
            measures = Statistic.objects.published().order_by().values_list("measure", flat=True).distinct()
        self.measures = [(measure, _stems(measure)) for measure in sorted(set(measures))]
        # One pattern each, a named group per category or country, so a text is searched once.
        self.category_pattern = re.compile("|".join(
            rf"(?P<c{n}>\b(" + "|".join(CATEGORY_WORDS.get(category.slug, [re.escape(category.name)])) + "))"
            for n, category in enumerate(self.categories)) or "(?!)", re.IGNORECASE)
        self.country_pattern = re.compile("|".join(
            rf"(?P<c{n}>\b(" + "|".join(map(re.escape, [country.name, *COUNTRY_WORDS.get(country.slug, [])])) + r")s?\b)"
            for n, country in enumerate(self.countries)) or "(?!)")

    def threats_named(self, text):
        """(position, category) for each mention of a category in the text."""
        return [(m.start(), self.categories[int(m.lastgroup[1:])]) for m in self.category_pattern.finditer(text)]

    def countries_named(self, text):
        found = {int(m.lastgroup[1:]) for m in self.country_pattern.finditer(text)}
        return [self.countries[n] for n in sorted(found)]


def read_document(text, vocabulary=None):
    """The draft figures of a text and the countries and threats it names, page furniture aside."""
    vocabulary = vocabulary or Vocabulary()
    proposals, seen = [], set()
    named_countries, named_threats = set(), set()
    for chunk in text_chunks(text):
        named_countries.update(c.pk for c in vocabulary.countries_named(chunk))
        named_threats.update(c.pk for _start, c in vocabulary.threats_named(chunk))
        for sentence in figures.sentences(chunk):
            found = figures.find_figures(sentence)
            if not found:
                continue
            countries = vocabulary.countries_named(sentence)
            mentions = vocabulary.threats_named(sentence)
            sentence_stems = _stems(sentence)
            for figure in found:
                measure = choose_measure(figure, sentence, vocabulary, sentence_stems)
                key = (measure, figure.value.quantize(Decimal("0.01")))
                if not measure or key in seen:
                    continue
                seen.add(key)
                proposals.append(Proposal(measure, figure, nearest_threat(figure, mentions), countries, sentence))
    parents = {c.parent_id for c in vocabulary.categories if c.pk in named_threats and c.parent_id}
    return Reading(
        proposals=proposals,
        countries=[c for c in vocabulary.countries if c.pk in named_countries],
        threats=[c for c in vocabulary.categories if c.pk in named_threats or c.pk in parents],
    )


def nearest_threat(figure, mentions):
    """The category named nearest the figure in its sentence; a specific one (a child) over its
    parent; None when the sentence names none."""
    if not mentions:
        return None
    specific = [(start, c) for start, c in mentions if c.parent_id] or mentions
    return min(specific, key=lambda mention: abs(mention[0] - figure.start))[1]


_STOP_STEMS = {"the", "of", "in", "on", "a", "an", "and", "to", "by", "for", "that", "were", "was", "from", "into",
               "with", "at", "since", "s", "mi5's", "uk"}


def _stem(word):
    word = word.lower().replace("’", "'").strip("'")
    for suffix in ("ies", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _stems(text):
    return {_stem(word) for word in re.findall(r"[\w'’-]+", text)} - _STOP_STEMS


def choose_measure(figure, sentence, vocabulary, sentence_stems=None):
    """A curated measure name when the figure's own words belong to it and most of its words are in
    the sentence ("43 late-stage plots" joins "late-stage attack plots disrupted"); else the words
    the figure counts; else the words just before it ("investigations rose by 48%"); else nothing."""
    phrase = _stems(figure.phrase)
    sentence_stems = _stems(sentence) if sentence_stems is None else sentence_stems
    best, best_share = None, 0.0
    for measure, stems in vocabulary.measures:
        if not stems or (phrase and not phrase <= stems):
            continue
        share = len(stems & sentence_stems) / len(stems)
        if share > best_share or share == best_share and best and len(measure) < len(best):
            best, best_share = measure, share
    if best and best_share >= 0.6:
        return best
    if figure.phrase:
        return figure.phrase[:200]
    for clause in reversed(re.split(r"[,;:–—(]", sentence[:figure.start])[-3:]):
        words = _words_before(clause)
        if words:
            return " ".join(words)[:200]
    return ""


_CONNECTORS = {"of", "into", "in", "on", "from", "for", "against"}
_SKIPPED_BEFORE = {"by", "to", "is", "are", "was", "were", "up", "around", "about", "over", "nearly", "almost",
                   "than", "more", "some", "just", "well", "at", "which", "had", "have", "has", "would", "will"}


def _words_before(clause):
    """The noun phrase just before a figure, skipping the verb between: "investigations into
    state-backed activity have risen by" → investigations into state-backed activity."""
    words = []
    for word in reversed(re.findall(r"[A-Za-z][\w'’-]*", clause)):
        lower = word.lower()
        if lower in figures.UNITS or lower in figures.TENS or lower.endswith("ly"):
            break
        if not words and (lower in figures.VERBS or lower in _SKIPPED_BEFORE or lower in figures.PHRASE_STOPS
                          or lower.endswith(("ing", "ed"))):
            continue
        if lower in figures.PHRASE_STOPS and lower not in _CONNECTORS or lower in figures.VERBS or len(words) == 6:
            break
        words.insert(0, word)
    while words and words[0].lower() in _CONNECTORS:
        words.pop(0)
    return words



def _save_drafts(speech, source, proposals, attribution, name):
    """The proposals as draft statistics of the briefing, in bulk; none that it already has (same
    measure and value), at most settings.IMPORT_MAX_DRAFTS. Returns (drafts, how many left out)."""
    held = set(Statistic.objects.filter(speech=speech).values_list("measure", "value"))
    fresh = [p for p in proposals if (p.measure, p.figure.value.quantize(Decimal("0.01"))) not in held
             and _fits(p.figure.value)]
    kept = fresh[: settings.IMPORT_MAX_DRAFTS]
    drafts = [
        Statistic(
            speech=speech, source=source, measure=p.measure, value=p.figure.value.quantize(Decimal("0.01")),
            value_text=p.figure.value_text[:100], qualifier=p.figure.qualifier, unit=p.figure.unit[:60],
            threat=p.threat, quote=p.quote, attribution=attribution, status=Status.DRAFT,
        )
        for p in kept
    ]
    drafts = bulk_create_with_history(drafts, Statistic, default_change_reason=f"Proposed by import_document from {name}")
    links = [Statistic.countries.through(statistic_id=draft.pk, country_id=country.pk)
             for draft, proposal in zip(drafts, kept, strict=True) for country in proposal.countries]
    Statistic.countries.through.objects.bulk_create(links)
    return drafts, len(fresh) - len(kept)


def _fits(value):
    """Whether a value fits the statistic's value field (12 digits before the point)."""
    return value < Decimal(10) ** 12
