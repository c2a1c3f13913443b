from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.functions import ExtractYear
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from . import importing
from .models import Assessment, Country, EditConflict, Source, Speaker, Speech, Statistic, Status, ThreatCategory
from .publishing import PublishBriefings, SpeechForm
from .text import clean_control_characters


class CleanTextForm(forms.ModelForm):
    """Text comes in without the control characters PDFs and pasted pages carry (form feeds
    become line breaks): XML backups and the feed cannot hold them, and readers cannot see them.
    Cleaned as each text field reads its input, before its validators (which refuse NULs) run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.to_python = _cleaned(field.to_python)


def _cleaned(to_python):
    def clean_text(value):
        value = to_python(value)
        return clean_control_characters(value) if isinstance(value, str) else value

    return clean_text


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    form = CleanTextForm
    list_display = ["name", "role", "tenure_start", "tenure_end"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ThreatCategory)
class ThreatCategoryAdmin(admin.ModelAdmin):
    form = CleanTextForm
    list_display = ["name", "parent", "slug", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    form = CleanTextForm
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class VersionedForm(CleanTextForm):
    """Refuses to save over a change made since the form was opened (optimistic locking).

    The form carries the version it was opened at; the instance takes it, and the model's save()
    (the one write path, see CuratedItem) refuses any other. The check runs here first, so a
    conflict is shown in the form: what the other curator changed, with the curator's own input
    still in the form, which now carries the current version, so saving again is a deliberate
    overwrite. A new item has no version yet: the field is empty and the model's default applies."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        opened_at = cleaned.pop("version", None)  # never copied onto the instance by the form itself
        if self.instance._state.adding:
            return cleaned
        self.instance.version = opened_at
        try:
            # Locks the row until the admin's transaction ends, so two saves cannot interleave.
            self.instance.check_version()
        except EditConflict as conflict:
            data = self.data.copy()
            data[self.add_prefix("version")] = conflict.current
            self.data = data
            raise ValidationError(conflict_message(self.instance, opened_at), code="edit-conflict") from None
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


SEEN_VERSION = "seen-version-{}"


class PublishActions:
    """Publishing changes the status of each row as it is now, not as it was read for the list:
    each is locked and read again, and skipped (and named) when its version is no longer the one
    the list showed, so an action never saves over another curator's edit, nor publishes
    something other than what the curator saw. It saves through the model's save(), so each
    change is in the history and moves the version on. Nothing that fails validation is published."""

    actions = ["publish", "unpublish"]

    @admin.display(description="Version")
    def seen_version(self, item):
        """The version shown, and sent back with an action (the list is the action's form)."""
        return format_html('{}<input type="hidden" name="{}" value="{}">', item.version, SEEN_VERSION.format(item.pk),
                           item.version)

    @admin.action(description="Publish the selected items", permissions=["change"])
    def publish(self, request, queryset):
        self.set_status(request, queryset, Status.PUBLISHED, "Published from the list")

    @admin.action(description="Return the selected items to draft", permissions=["change"])
    def unpublish(self, request, queryset):
        self.set_status(request, queryset, Status.DRAFT, "Returned to draft from the list")

    def set_status(self, request, queryset, status, reason):
        done, changed, refused = 0, [], []
        for pk in queryset.exclude(status=status).order_by("pk").values_list("pk", flat=True):
            seen = request.POST.get(SEEN_VERSION.format(pk), "")
            with transaction.atomic():
                item = self.model.objects.filter(pk=pk).locked().select_related("source").first()
                if item is None or item.status == status:
                    continue
                if seen.isdigit() and int(seen) != item.version:
                    changed.append(f"#{pk}")
                    continue
                if status == Status.PUBLISHED:
                    try:
                        item.full_clean()
                    except ValidationError as error:
                        refused.append(f"#{pk} ({'; '.join(error.messages)})")
                        continue
                item.status = status
                item._change_reason = reason
                item.save()
                done += 1
        verb = "Published" if status == Status.PUBLISHED else "Returned to draft"
        self.message_user(request, f"{verb} {done} item(s).")
        if changed:
            self.message_user(request, "Skipped, changed by someone else since the list was shown (reload and check): "
                              + " ".join(changed), messages.WARNING)
        if refused:
            self.message_user(request, "Not published, fix first: " + " ".join(refused), messages.WARNING)


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
    """Every write goes through VersionedForm or the actions above. Reverting from the history
    page is off (settings.SIMPLE_HISTORY_REVERT_DISABLED) and refused here too: it would save an
    old version without the version check."""

    form = VersionedForm
    list_filter = ["status", "threat", "countries", "speech__speaker", BriefingYearFilter, "attribution"]
    list_select_related = ["speech__speaker", "threat"]
    autocomplete_fields = ["speech", "source", "countries", "threat"]
    readonly_fields = ["updated_at"]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(ordering="speech__date", description="Briefing date")
    def speech_date(self, item):
        return item.speech.date or "undated"

    @admin.display(ordering="speech__speaker__name")
    def speaker(self, item):
        return item.speech.speaker


@admin.register(Statistic)
class StatisticAdmin(CuratedAdmin):
    # Status second: at 1280 px the long measures push later columns out of view.
    list_display = ["measure", "status", "value_text", "speech_date", "speaker", "threat", "seen_version"]
    search_fields = ["measure", "quote", "value_text"]
    fieldsets = [
        (None, {"fields": ["speech", "source", "status", "version"]}),
        ("The figure", {"fields": ["measure", "value_text", "value", "qualifier", "unit", "threat", "countries"]}),
        ("Period", {"fields": ["period", "period_start", "period_end"]}),
        ("Evidence", {"fields": ["quote", "attribution", "note", "updated_at"]}),
    ]


@admin.register(Assessment)
class AssessmentAdmin(CuratedAdmin):
    list_display = ["threat", "summary", "trend", "speech_date", "speaker", "status", "seen_version"]
    search_fields = ["summary", "quote"]
    fieldsets = [
        (None, {"fields": ["speech", "source", "status", "version"]}),
        ("The judgement", {"fields": ["threat", "countries", "summary", "trend"]}),
        ("Evidence", {"fields": ["quote", "attribution", "updated_at"]}),
    ]


# Django 6 will assume https for URLs typed without a scheme; say so now.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class SourceInline(admin.StackedInline):
    form = CleanTextForm
    model = Source
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    extra = 0
    fields = ["slug", "publisher", "url", "language", "role", "document", "notes"]


class StatisticInline(admin.TabularInline):
    model = Statistic
    form = VersionedForm
    extra = 0
    fields = ["measure", "value", "value_text", "qualifier", "unit", "period", "threat", "source", "quote", "status", "version"]
    show_change_link = True


class AssessmentInline(admin.TabularInline):
    model = Assessment
    form = VersionedForm
    extra = 0
    fields = ["threat", "summary", "trend", "source", "quote", "status", "version"]
    show_change_link = True


class CleanSpeechForm(CleanTextForm, SpeechForm):
    pass


@admin.register(Speech)
class SpeechAdmin(PublishBriefings, admin.ModelAdmin):
    form = CleanSpeechForm
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
        form = importing.ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = importing.import_document(form.import_request(request.FILES["document"].name))
            except importing.ImportRefused as refusal:
                form.add_error("document", str(refusal))
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(reverse("briefings:review-drafts", args=[result.speech.slug]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": "Import a document", "max_mb": f"{settings.IMPORT_MAX_BYTES / 1_048_576:g}",
        }
        return TemplateResponse(request, "admin/briefings/speech/import.html", context)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = CleanTextForm
    list_display = ["slug", "speech", "publisher", "language", "role"]
    list_filter = ["role", "language"]
    search_fields = ["slug", "publisher", "speech__title"]
    autocomplete_fields = ["speech"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
