from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models.functions import ExtractYear
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from . import importing
from .models import Assessment, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory
from .publishing import PublishBriefings, SpeechForm


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "tenure_start", "tenure_end"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ThreatCategory)
class ThreatCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "slug", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class VersionedForm(forms.ModelForm):
    """Refuses to save over a change made since the form was opened (optimistic locking).

    The form carries the version it was opened at. If the row has moved on, the save is
    refused with what the other curator changed; the curator's own input stays in the form,
    which now carries the current version, so saving again is a deliberate overwrite."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None:
            return cleaned
        opened_at = cleaned.get("version")
        # Locks the row until the admin's transaction ends (PostgreSQL), so two saves cannot interleave.
        current = type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("version", flat=True)
        current = current.first()
        if current is not None and opened_at != current:
            data = self.data.copy()
            data[self.add_prefix("version")] = current
            self.data = data
            raise ValidationError(conflict_message(instance, opened_at), code="edit-conflict")
        return cleaned


def conflict_message(instance, opened_at):
    history = instance.history.order_by("-history_date", "-history_id")
    latest = history.first()
    opened = history.filter(version=opened_at).first() if opened_at else None
    editors = history.filter(version__gt=opened_at or 0).select_related("history_user")
    who = sorted({str(record.history_user or "someone") for record in editors}) or ["someone"]
    when = localize(latest.history_date) if latest else "meanwhile"
    intro = format_html(
        "{} saved this {} after you opened it (last at {}). Your changes were not saved; they are still in the form below. "
        "Check what changed, then save again to replace it with yours, or reload the page to start from theirs.",
        " and ".join(who), instance._meta.verbose_name, when,
    )
    if not (latest and opened):
        return intro
    changes = latest.diff_against(opened, excluded_fields=["version"], foreign_keys_are_objs=True).changes
    rows = format_html_join(
        "", "<li><strong>{}</strong>: {} → {}</li>",
        ((capfirst(instance._meta.get_field(change.field).verbose_name), _shown(change.old), _shown(change.new))
         for change in changes),
    )
    return format_html("{}<ul>{}</ul>", intro, rows)


def _shown(value):
    if isinstance(value, list):  # a many-to-many field: rows of the through table
        return ", ".join(str(next(iter(row.values()))) for row in value) or "(none)"
    return "(empty)" if value in (None, "") else str(value)


class PublishActions:
    """Publishing goes through save(), so each change is in the history and moves the version on.
    Nothing that fails validation is published."""

    actions = ["publish", "unpublish"]

    @admin.action(description="Publish the selected items", permissions=["change"])
    def publish(self, request, queryset):
        published, refused = 0, []
        for item in queryset.exclude(status=Status.PUBLISHED).select_related("source"):
            try:
                item.full_clean()
            except ValidationError as error:
                refused.append(f"#{item.pk} ({'; '.join(error.messages)})")
                continue
            item.status = Status.PUBLISHED
            item._change_reason = "Published from the list"
            item.save()
            published += 1
        self.message_user(request, f"Published {published} item(s).")
        if refused:
            self.message_user(request, "Not published, fix first: " + " ".join(refused), messages.WARNING)

    @admin.action(description="Return the selected items to draft", permissions=["change"])
    def unpublish(self, request, queryset):
        returned = 0
        for item in queryset.filter(status=Status.PUBLISHED):
            item.status = Status.DRAFT
            item._change_reason = "Returned to draft from the list"
            item.save()
            returned += 1
        self.message_user(request, f"Returned {returned} item(s) to draft.")


class BriefingYearFilter(admin.SimpleListFilter):
    title = "briefing year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            Speech.objects.filter(date__isnull=False).annotate(year=ExtractYear("date"))
            .values_list("year", flat=True).distinct().order_by("-year")
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(speech__date__year=int(self.value()))
        return queryset


class CuratedAdmin(PublishActions, SimpleHistoryAdmin):
    form = VersionedForm
    list_filter = ["status", "threat", "countries", "speech__speaker", BriefingYearFilter, "attribution"]
    list_select_related = ["speech__speaker", "threat"]
    autocomplete_fields = ["speech", "source", "countries", "threat"]
    readonly_fields = ["updated_at"]

    @admin.display(ordering="speech__date", description="Briefing date")
    def speech_date(self, item):
        return item.speech.date or "undated"

    @admin.display(ordering="speech__speaker__name")
    def speaker(self, item):
        return item.speech.speaker


@admin.register(Statistic)
class StatisticAdmin(CuratedAdmin):
    # Status second: at 1280 px the long measures push later columns out of view.
    list_display = ["measure", "status", "value_text", "speech_date", "speaker", "threat"]
    search_fields = ["measure", "quote", "value_text"]
    fieldsets = [
        (None, {"fields": ["speech", "source", "status", "version"]}),
        ("The figure", {"fields": ["measure", "value_text", "value", "qualifier", "unit", "threat", "countries"]}),
        ("Period", {"fields": ["period", "period_start", "period_end"]}),
        ("Evidence", {"fields": ["quote", "attribution", "note", "updated_at"]}),
    ]


@admin.register(Assessment)
class AssessmentAdmin(CuratedAdmin):
    list_display = ["threat", "summary", "trend", "speech_date", "speaker", "status"]
    search_fields = ["summary", "quote"]
    fieldsets = [
        (None, {"fields": ["speech", "source", "status", "version"]}),
        ("The judgement", {"fields": ["threat", "countries", "summary", "trend"]}),
        ("Evidence", {"fields": ["quote", "attribution", "updated_at"]}),
    ]


# Django 6 will assume https for URLs typed without a scheme; say so now.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class SourceInline(admin.StackedInline):
    model = Source
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    extra = 0
    fields = ["slug", "publisher", "url", "language", "role", "document", "notes"]


class StatisticInline(admin.TabularInline):
    model = Statistic
    form = VersionedForm
    extra = 0
    fields = ["measure", "value", "value_text", "qualifier", "unit", "period", "threat", "source", "status", "version"]
    show_change_link = True


class AssessmentInline(admin.TabularInline):
    model = Assessment
    form = VersionedForm
    extra = 0
    fields = ["threat", "summary", "trend", "source", "status", "version"]
    show_change_link = True


class ImportDocumentForm(forms.Form):
    document = forms.FileField(help_text="A plain-text transcript or report, UTF-8.")
    speaker = forms.ModelChoiceField(Speaker.objects.all())
    date = forms.DateField(help_text="YYYY-MM-DD", widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=Speech.Kind.choices)
    publisher = forms.CharField(max_length=200, initial="MI5")
    url = forms.URLField(required=False, assume_scheme="https")
    language = forms.CharField(max_length=20, initial="en")


@admin.register(Speech)
class SpeechAdmin(PublishBriefings, admin.ModelAdmin):
    form = SpeechForm
    list_display = ["title", "date", "date_inferred", "kind", "speaker", "status"]
    list_filter = ["status", "kind", "speaker", "date_inferred", "threats"]
    search_fields = ["title", "summary", "slug"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["speaker", "threats", "countries"]
    inlines = [SourceInline, StatisticInline, AssessmentInline]
    change_list_template = "admin/briefings/speech/change_list.html"

    def get_urls(self):
        import_view = self.admin_site.admin_view(self.import_document_view)
        return [path("import/", import_view, name="briefings_speech_import"), *super().get_urls()]

    def has_import_permission(self, request):
        return request.user.has_perms(["briefings.add_speech", "briefings.add_source", "briefings.add_statistic"])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_document_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportDocumentForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = importing.import_document(
                    data["document"].read(), name=data["document"].name, speaker=data["speaker"].slug,
                    date=data["date"].isoformat(), title=data["title"], kind=data["kind"],
                    publisher=data["publisher"], url=data["url"], language=data["language"],
                )
            except importing.ImportRefused as refusal:
                form.add_error("document", str(refusal))
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(reverse("admin:briefings_speech_change", args=[result.speech.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": "Import a document",
        }
        return TemplateResponse(request, "admin/briefings/speech/import.html", context)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["slug", "speech", "publisher", "language", "role"]
    list_filter = ["role", "language"]
    search_fields = ["slug", "publisher", "speech__title"]
    autocomplete_fields = ["speech"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
