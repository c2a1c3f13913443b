from django.contrib import admin
from django.urls import include, path

from . import explorer, exports, health, records, review, views

app_patterns = (
    [
        path("", views.timeline, name="timeline"),
        path("briefings/<slug:slug>/", views.speech_detail, name="speech"),
        path("briefings/<slug:slug>/review/", review.review_drafts, name="review-drafts"),
        path("briefings/<slug:slug>/review/<int:pk>/", review.answer_draft, name="review-answer"),
        path("briefings/<slug:slug>/review/publish/", review.publish_briefing, name="review-publish"),
        path("statistics/", explorer.statistics_explorer, name="statistics"),
        path("statistics/chart.svg", explorer.series_chart_svg, name="statistics-chart"),
        path("statistics/<int:pk>/", records.statistic_detail, name="statistic"),
        path("statistics/<int:pk>.json", records.statistic_json, name="statistic-json"),
        path("speakers/<slug:slug>/", records.speaker_detail, name="speaker"),
        path("api/statistics.json", exports.statistics_json, name="api-statistics"),
        path("api/briefings.json", exports.briefings_json, name="api-briefings"),
        path("statistics.csv", exports.statistics_csv, name="statistics-csv"),
        path("feed/", exports.feed, name="feed"),
    ],
    "briefings",
)

urlpatterns = [
    path("", include(app_patterns)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
