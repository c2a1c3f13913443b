from django.contrib import admin

from .models import Assessment, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory


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


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    fields = ["slug", "publisher", "url", "language", "role", "document", "notes"]


class StatisticInline(admin.TabularInline):
    model = Statistic
    extra = 0
    fields = ["measure", "value", "value_text", "qualifier", "unit", "period", "threat", "source", "status"]
    show_change_link = True


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0
    fields = ["threat", "summary", "trend", "source", "status"]
    show_change_link = True


@admin.register(Speech)
class SpeechAdmin(admin.ModelAdmin):
    list_display = ["title", "date", "date_inferred", "kind", "speaker"]
    list_filter = ["kind", "speaker", "date_inferred", "threats"]
    search_fields = ["title", "summary", "slug"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["speaker", "threats", "countries"]
    inlines = [SourceInline, StatisticInline, AssessmentInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["slug", "speech", "publisher", "language", "role"]
    list_filter = ["role", "language"]
    search_fields = ["slug", "publisher", "speech__title"]
    autocomplete_fields = ["speech"]


class PublishActions:
    actions = ["publish", "unpublish"]

    @admin.action(description="Publish the selected items", permissions=["change"])
    def publish(self, request, queryset):
        updated = queryset.update(status=Status.PUBLISHED)
        self.message_user(request, f"Published {updated} item(s).")

    @admin.action(description="Return the selected items to draft", permissions=["change"])
    def unpublish(self, request, queryset):
        updated = queryset.update(status=Status.DRAFT)
        self.message_user(request, f"Returned {updated} item(s) to draft.")


@admin.register(Statistic)
class StatisticAdmin(PublishActions, admin.ModelAdmin):
    list_display = ["measure", "value_text", "speech_date", "speaker", "threat", "status"]
    list_filter = ["status", "threat", "countries", "speech__speaker", "attribution"]
    list_select_related = ["speech__speaker", "threat"]
    search_fields = ["measure", "quote", "value_text"]
    autocomplete_fields = ["speech", "source", "countries", "threat"]

    @admin.display(ordering="speech__date", description="Briefing date")
    def speech_date(self, statistic):
        return statistic.speech.date

    @admin.display(ordering="speech__speaker__name")
    def speaker(self, statistic):
        return statistic.speech.speaker


@admin.register(Assessment)
class AssessmentAdmin(PublishActions, admin.ModelAdmin):
    list_display = ["threat", "summary", "trend", "speech", "status"]
    list_filter = ["status", "threat", "trend", "speech__speaker"]
    list_select_related = ["speech", "threat"]
    search_fields = ["summary", "quote"]
    autocomplete_fields = ["speech", "source", "countries", "threat"]
