from django.contrib import admin
from django.urls import include, path

from . import views

app_patterns = (
    [
        path("", views.timeline, name="timeline"),
        path("briefings/<slug:slug>/", views.speech_detail, name="speech"),
    ],
    "briefings",
)

urlpatterns = [
    path("", include(app_patterns)),
    path("admin/", admin.site.urls),
]
