from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Speech


@require_GET
def timeline(request):
    speeches = Speech.objects.select_related("speaker")
    return render(request, "briefings/timeline.html", {"speeches": speeches})


@require_GET
def speech_detail(request, slug):
    speech = get_object_or_404(Speech.objects.select_related("speaker"), slug=slug)
    return render(request, "briefings/speech_detail.html", {"speech": speech})
