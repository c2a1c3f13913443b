"""What MI5's Directors General said, who said it, where it is written down, and the
figures and judgements curators have traced to verbatim quotes.

Speakers, speeches, sources, categories and countries are identified by slug (their
natural key), so the curated fixture can be loaded again and again onto the same rows.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from . import figures


class SlugManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SluggedModel(models.Model):
    slug = models.SlugField(max_length=120, unique=True)

    objects = SlugManager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)


class Speaker(SluggedModel):
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, default="MI5 (the Security Service)")
    tenure_start = models.DateField(null=True, blank=True)
    tenure_end = models.DateField(null=True, blank=True)
    tenure_note = models.CharField(
        max_length=300, blank=True, help_text="Where the tenure dates come from, or why they are missing."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tenure_end__isnull=True)
                | Q(tenure_start__isnull=True)
                | Q(tenure_start__lte=models.F("tenure_end")),
                name="speaker_tenure_in_order",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefings:speaker", args=[self.slug])


class ThreatCategory(SluggedModel):
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "threat categories"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="category_not_own_parent")
        ]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class Country(SluggedModel):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class SpeechQuerySet(models.QuerySet):
    def published(self):
        """The briefings the public may see; drafts (new imports) only staff see, as a preview."""
        return self.filter(status=Status.PUBLISHED)


class Speech(SluggedModel):
    """One briefing: a speech, annual threat update, interview, video or article."""

    class Kind(models.TextChoices):
        SPEECH = "speech", "Speech"
        ANNUAL_THREAT_UPDATE = "annual-threat-update", "Annual threat update"
        INTERVIEW = "interview", "Interview"
        VIDEO = "video", "Video"
        ARTICLE = "article", "Article"

    title = models.CharField(max_length=300)
    date = models.DateField(null=True, blank=True, help_text="Empty when the briefing is undated.")
    date_inferred = models.BooleanField(
        default=False, help_text="The documents do not print this date; it was worked out."
    )
    date_basis = models.TextField(
        blank=True, help_text="Where the date comes from: printed, inferred (and how), or why there is none."
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="speeches")
    venue = models.CharField(max_length=200, blank=True)
    summary = models.TextField(help_text="The curator's own words.")
    threats = models.ManyToManyField(ThreatCategory, blank=True, related_name="speeches")
    countries = models.ManyToManyField(Country, blank=True, related_name="speeches")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT,
        help_text="A draft is seen by staff only; publish it when its figures have been reviewed.",
    )

    objects = SlugManager.from_queryset(SpeechQuerySet)()

    class Meta:
        ordering = [models.F("date").desc(nulls_last=True), "title"]
        verbose_name = "briefing"
        constraints = [
            models.UniqueConstraint(fields=["speaker", "date", "title"], name="unique_speech_per_speaker_date_title"),
            models.CheckConstraint(
                condition=Q(date__isnull=False) | Q(date_inferred=False), name="undated_speech_not_inferred"
            ),
            models.CheckConstraint(
                condition=Q(date_inferred=False) | ~Q(date_basis=""), name="inferred_date_has_basis"
            ),
        ]
        indexes = [
            models.Index(fields=["date"], name="speech_date_idx"),
            # The unpublished briefings, which are few: figures are counted as those not in them.
            models.Index(fields=["status"], name="speech_status_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("briefings:speech", args=[self.slug])

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    @property
    def is_undated(self):
        return self.date is None


class Source(SluggedModel):
    """A document a speech is known from. `text` is the part of the document that is
    the briefing (page furniture and unrelated material cut away), an exact slice of
    the file in fixtures/documents/."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary transcript"
        REPUBLICATION = "republication", "Republication"
        NEWS_REPORT = "news-report", "News report"
        TRANSLATION = "translation", "Translation"

    speech = models.ForeignKey(Speech, on_delete=models.CASCADE, related_name="sources")
    publisher = models.CharField(max_length=200)
    url = models.URLField(blank=True, help_text="Left empty where the document does not give it.")
    language = models.CharField(max_length=20, help_text="BCP 47 code of the document, e.g. en, de.")
    role = models.CharField(max_length=20, choices=Role.choices)
    document = models.CharField(max_length=200, help_text="File name under fixtures/documents/.")
    text = models.TextField()
    notes = models.TextField(blank=True, help_text="How this copy differs from the others, what was cut.")

    class Meta:
        ordering = ["speech", "role", "slug"]

    def __str__(self):
        return f"{self.publisher} ({self.get_role_display().lower()})"

    @property
    def publisher_unnamed(self):
        """The document does not name its publisher: the curation then describes it instead
        ("Online news report (publisher not named in the document)"), which a citation must
        not pass off as a name."""
        return not self.publisher.strip() or bool(_UNNAMED.search(self.publisher))


_UNNAMED = re.compile(r"\b(?:not named|not printed|name is not|unnamed|not given)\b", re.IGNORECASE)


class Attribution(models.TextChoices):
    SPEAKER = "speaker", "The speaker's own words"
    PARAPHRASE = "paraphrase", "The reporter's paraphrase"
    BACKGROUND = "background", "The reporter's background"


class PublishedQuerySet(models.QuerySet):
    def published(self):
        """Published items of published briefings: what the public may see."""
        return self.filter(status=Status.PUBLISHED, speech__status=Status.PUBLISHED)

    def locked(self):
        """These rows, each locked until the transaction ends (on PostgreSQL; SQLite serialises
        writers whole). Only the rows themselves: no ordering, so the default ordering's join to
        the briefing is gone, and `of` names them, so the briefing row stays free for whoever edits
        the briefing (locking it too deadlocked an inline save against a change form)."""
        return self.select_for_update(of=("self",)).order_by()


class EditConflict(Exception):
    """A save from a version of the row that is no longer the current one: someone else saved
    it after this copy was read. Nothing was written."""

    def __init__(self, item, saw, current):
        self.item, self.saw, self.current = item, saw, current
        super().__init__(f"{item._meta.verbose_name} #{item.pk} is at version {current}, not {saw}")


# Who changed what and when, field by field, for each concrete model (HistoricalStatistic,
# HistoricalAssessment); kept here so `seed` can record fixture loads.
CURATED_HISTORY = HistoricalRecords(inherit=True, m2m_fields=["countries"], excluded_fields=["updated_at"])


class CuratedItem(models.Model):
    """What statistics and judgements share: the briefing and source the quote comes from, its
    countries, who is speaking, whether it is public, and the version that guards against lost
    edits. `save()` is the one write path, so no form, inline or action can skip the check."""

    speech = models.ForeignKey(Speech, on_delete=models.CASCADE, related_name="%(class)ss", verbose_name="briefing")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="%(class)ss")
    countries = models.ManyToManyField(Country, blank=True, related_name="%(class)ss")
    quote = models.TextField(help_text="The verbatim sentence or clause from the source.")
    attribution = models.CharField(max_length=20, choices=Attribution.choices, default=Attribution.SPEAKER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Counts saves; guards against lost edits.")

    objects = PublishedQuerySet.as_manager()
    history = CURATED_HISTORY

    class Meta:
        abstract = True
        ordering = ["speech", "id"]

    def save(self, *args, **kwargs):
        """Save only over the version this copy was read at, and count the save."""
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self), instance=self)):
            current = self.check_version()
            if current is None:
                super().save(*args, **kwargs)
                return
            self.version = current + 1
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.version = current  # not saved: the copy is still at the version it was read at
                raise

    def check_version(self):
        """Lock the row and refuse (EditConflict) when it has moved on from the version this copy
        carries, which is the version its writer saw. Returns the current version; None for a new row."""
        if self._state.adding or self.pk is None:
            return None
        current = type(self).objects.filter(pk=self.pk).locked().values_list("version", flat=True).first()
        if current is not None and current != self.version:
            raise EditConflict(self, self.version, current)
        return current

    def quote_errors(self):
        """The checks statistics and judgements share: the source is one of the briefing's, and
        the quote stands in it word for word (differences in whitespace aside)."""
        errors = {}
        if not (self.source_id and self.speech_id):
            return errors
        source = self.source
        if source.speech_id != self.speech_id:
            errors["source"] = f"“{source}” is a source of another briefing. Choose one of this briefing's sources."
        elif self.quote.strip() and not quote_in_text(self.quote, source.text):
            matched = matching_prefix(self.quote, source.text)
            where = f" The first {matched} words match; it differs after that." if matched >= 3 else ""
            errors["quote"] = (
                f"This quote is not in the text of “{source}”. Copy it exactly; only differences in spaces and "
                f"line breaks are ignored.{where}"
            )
        return errors


class Statistic(CuratedItem):
    class Qualifier(models.TextChoices):
        EXACT = "exact", "exact"
        OVER = "over", "over"
        MORE_THAN = "more-than", "more than"
        AT_LEAST = "at-least", "at least"
        AROUND = "around", "around"
        NEARLY = "nearly", "nearly"
        UP_TO = "up-to", "up to"
        UNQUANTIFIED = "unquantified", "no number given"

    measure = models.CharField(max_length=200, help_text='A normalised label, e.g. "late-stage attack plots disrupted".')
    value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text='Empty where the text gives no number ("thousands").'
    )
    value_text = models.CharField(max_length=100, help_text='As written: "over 10,000", "one in five".')
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default=Qualifier.EXACT)
    unit = models.CharField(max_length=60, blank=True)
    period = models.CharField(max_length=200, blank=True, help_text="The period as written.")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    threat = models.ForeignKey(
        ThreatCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="statistics"
    )
    note = models.TextField(blank=True, help_text="The curator's reasoning where the figure is not plain.")

    class Meta(CuratedItem.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="statistic_value_not_negative"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="statistic_period_in_order",
            ),
            models.CheckConstraint(condition=~Q(quote=""), name="statistic_has_quote"),
            models.CheckConstraint(condition=~Q(value_text=""), name="statistic_has_value_text"),
            models.UniqueConstraint(fields=["speech", "measure", "value"], name="unique_statistic_per_speech_measure_value"),
        ]
        # Made (0009) for the explorer's counts in SQL, which the figure index (figure_facets.py)
        # now keeps instead. Still read: the first by the figures of a measure (a series' points),
        # the third by the briefings API's figure counts (selectors.published_statistics).
        indexes = [
            models.Index(fields=["status", "measure", "speech", "threat", "attribution"], name="statistic_series_idx"),
            models.Index(fields=["status", "threat", "attribution", "measure", "speech"], name="statistic_facets_idx"),
            models.Index(fields=["status", "speech"], name="statistic_published_idx"),
        ]

    def __str__(self):
        return f"{self.value_text} {self.measure}"

    def get_absolute_url(self):
        return reverse("briefings:statistic", args=[self.pk])

    def clean(self):
        errors = self.quote_errors()
        if self.value is not None and self.value_text and not self.note.strip():
            reading = figures.read_value(self.value_text)
            if reading is None:
                errors["value"] = (
                    f"“{self.value_text}” holds no number that can be read, so the value {_plain(self.value)} cannot be "
                    "checked against it. Explain the value in the note."
                )
            elif reading.quantize(Decimal("0.01")) != Decimal(self.value).quantize(Decimal("0.01")):
                errors["value"] = (
                    f"“{self.value_text}” reads as {_plain(reading)}, but the value is {_plain(self.value)}. Correct one of "
                    "them, or say in the note why they differ."
                )
        if self.period_start and self.period_end and self.period_start > self.period_end:
            errors["period_end"] = "The period ends before it starts."
        if self.speech_id and self.measure and self.value is not None and "measure" not in errors:
            twin = Statistic.objects.filter(speech_id=self.speech_id, measure=self.measure, value=self.value)
            twin = twin.exclude(pk=self.pk).first()
            if twin:
                errors["measure"] = (
                    f"This briefing already has “{self.measure}” with the value {_plain(self.value)} (statistic "
                    f"#{twin.pk}). Edit that statistic instead, or change the measure or the value."
                )
        if errors:
            raise ValidationError(errors)


class Assessment(CuratedItem):
    """A key judgement of a speech about one threat category."""

    class Trend(models.TextChoices):
        RISING = "rising", "Rising"
        STEADY = "steady", "Steady"
        FALLING = "falling", "Falling"

    threat = models.ForeignKey(ThreatCategory, on_delete=models.PROTECT, related_name="assessments")
    summary = models.TextField(help_text="The curator's own words.")
    trend = models.CharField(
        max_length=10, choices=Trend.choices, blank=True, help_text="Only where the text supports it."
    )

    class Meta(CuratedItem.Meta):
        constraints = [
            models.CheckConstraint(condition=~Q(quote=""), name="assessment_has_quote"),
            models.UniqueConstraint(fields=["speech", "threat", "quote"], name="unique_assessment_per_speech_threat_quote"),
        ]

    def __str__(self):
        return f"{self.threat.name}: {self.summary[:60]}"

    def clean(self):
        errors = self.quote_errors()
        if self.speech_id and self.threat_id and self.quote and "quote" not in errors:
            twin = Assessment.objects.filter(speech_id=self.speech_id, threat_id=self.threat_id, quote=self.quote)
            if twin.exclude(pk=self.pk).exists():
                errors["quote"] = "This briefing already has a judgement on this threat with this quote."
        if errors:
            raise ValidationError(errors)


def _plain(number):
    """20, 33.33, 20000: a number as a curator wrote it, without exponent or trailing zeros."""
    return format(Decimal(number).normalize(), "f")


_WHITESPACE = re.compile(r"\s+")


def normalise_whitespace(text):
    """Collapse every run of whitespace to one space, so that a quote copied from a
    page matches a document with hard line breaks."""
    return _WHITESPACE.sub(" ", text).strip()


def quote_in_text(quote, text):
    return bool(quote.strip()) and normalise_whitespace(quote) in normalise_whitespace(text)


def matching_prefix(quote, text):
    """How many leading words of the quote appear together in the text: where a near-miss differs."""
    words, text = normalise_whitespace(quote).split(" "), normalise_whitespace(text)
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if " ".join(words[:middle]) in text:
            low = middle
        else:
            high = middle - 1
    return low


class SourceParagraph(models.Model):
    """One paragraph of a displayed source's text, kept so that search can find and link to
    it (`#p<number>` on the briefing page). Rebuilt whenever its source is saved."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="paragraphs")
    speech = models.ForeignKey(Speech, on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["source", "number"]
        constraints = [models.UniqueConstraint(fields=["source", "number"], name="unique_paragraph_number")]

    def __str__(self):
        return f"{self.source.slug} ¶{self.number}"


class ContentVersion(models.Model):
    """One row whose token changes whenever anything a public page shows is saved or deleted
    (see pagecache.py). Cached pages are keyed by it, so a change is public at once, in every
    server process, whichever cache backend holds the pages."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token
