"""Pages of their own for the things a reader cites: one figure (`/statistics/<id>/`, and its
JSON) and one speaker (`/speakers/<slug>/`). Each is a fixed number of queries."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from . import passages
from .exports import statistic_data
from .models import Speaker, Statistic
from .pagecache import cached_page


def _published_statistic(pk):
    """A published figure with what its page shows: briefing, speaker, source, threat, countries."""
    return get_object_or_404(
        Statistic.objects.published()
        .select_related("speech__speaker", "source", "threat")
        .prefetch_related("countries"),
        pk=pk,
    )


def _figure_rows():
    """Published figures for a list of links: each with its briefing, long texts left out."""
    return Statistic.objects.published().select_related("speech").defer("speech__summary", "quote", "note")


def _statistic_json(request, statistic):
    countries = [country.slug for country in statistic.countries.all()]
    return statistic_data(statistic, countries, url=request.build_absolute_uri(statistic.get_absolute_url()))


@require_safe
@cached_page
def statistic_detail(request, pk):
    """One figure: what it measures, over which period, whose words, the paragraph it stands in
    with the quote marked, the other figures of the same measure and how to cite it.

    Three queries: the figure with its briefing, speaker, source and threat; its countries;
    the other published figures of the same measure with their briefings.
    """
    statistic = _published_statistic(pk)
    speech = statistic.speech
    in_briefing = f"{speech.get_absolute_url()}#stat-{statistic.pk}"
    paragraph = passages.paragraph_with(
        statistic.source.text,
        passages.Highlight(anchor=f"stat-{statistic.pk}", quote=statistic.quote, backref=in_briefing,
                           label="in the briefing", title="This sentence in the full text of the briefing",
                           css="hl-stat"),
    )
    others = _figure_rows().filter(measure=statistic.measure).exclude(pk=statistic.pk).order_by("speech__date", "pk")
    context = {
        "statistic": statistic,
        "speech": speech,
        "paragraph": paragraph,
        "in_briefing": in_briefing,
        "others": list(others),
        "measure_url": reverse("briefings:statistics") + "?" + urlencode({"measure": statistic.measure}),
        "cite_url": request.build_absolute_uri(statistic.get_absolute_url()),
        "json_url": reverse("briefings:statistic-json", args=[statistic.pk]),
    }
    return render(request, "briefings/statistic_detail.html", context)


@require_safe
@cached_page
def statistic_json(request, pk):
    """One figure as the statistics API gives it (same fields, same `url`)."""
    return JsonResponse(_statistic_json(request, _published_statistic(pk)))


def tenure(speaker, briefing_dates):
    """What can be said about a speaker's years in office: the dates the documents give
    (`stated`), and, where they give none, the span of their dated briefings, which shows them in
    office then but not when they started or left (`inferred`)."""
    if speaker.tenure_start or speaker.tenure_end:
        return {"stated": True, "start": speaker.tenure_start, "end": speaker.tenure_end}
    dated = [date for date in briefing_dates if date]
    if not dated:
        return {"stated": False, "start": None, "end": None}
    return {"stated": False, "start": min(dated), "end": max(dated), "inferred": True}


@require_safe
@cached_page
def speaker_detail(request, slug):
    """One speaker: role and years in office as far as the documents say, their briefings and
    their published figures. Three queries: the speaker, their briefings, their figures."""
    speaker = get_object_or_404(Speaker, slug=slug)
    speeches = list(
        speaker.speeches.published().only("slug", "title", "date", "date_inferred", "date_basis", "kind", "speaker")
    )
    statistics = list(_figure_rows().filter(speech__speaker=speaker).order_by("-speech__date", "pk"))
    context = {
        "speaker": speaker,
        "speeches": speeches,
        "statistics": statistics,
        "tenure": tenure(speaker, [speech.date for speech in speeches]),
        "timeline_url": reverse("briefings:timeline") + "?" + urlencode({"speaker": speaker.slug}),
    }
    return render(request, "briefings/speaker_detail.html", context)
