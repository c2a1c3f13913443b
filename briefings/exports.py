"""Exports: a JSON API, a CSV of statistics and an Atom feed of briefings.

Each takes the timeline's filter parameters (threat, country, speaker, kind, from, to, q),
parsed by the timeline's form; the statistics exports also take `measure`. A statistic
matches when its briefing does. Only published statistics are ever exported. Invalid
filter values are rejected with 400 (the timeline shows them and ignores them instead, but
a client of an export would otherwise get data it did not ask for without noticing).

Each export runs a fixed number of queries whatever the number of rows: one to validate
each slug filter used (threat, country, speaker), one for the category list when `threat`
is given (to include children), then the rows with their related objects.
"""

import csv
import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_GET

from . import selectors
from .forms import StatisticFilterForm, TimelineFilterForm
from .models import Speech, Status, ThreatCategory

SITE_NAME = "Threat Briefings"

CSV_COLUMNS = [
    "id", "measure", "value", "value_text", "qualifier", "unit", "period", "quote", "attribution",
    "briefing_slug", "briefing_title", "briefing_date", "speaker", "threats", "countries",
    "source_publisher", "source_language", "source_url", "url",
]


def _form(request, form_class):
    """The filter form bound to the request's parameters, empty ones dropped as the timeline drops them."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        values = [value for value in values if value.strip()]
        if values:
            query.setlist(key, values)
    return form_class(query)


def _errors(form):
    return {field: list(messages) for field, messages in form.errors.items()}


def _plain_errors(form):
    lines = [f"{field}: {message}" for field, messages in _errors(form).items() for message in messages]
    return HttpResponseBadRequest(
        "Invalid filters:\n" + "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


def _speeches(form):
    # The category list is only read (one query) when a threat filter has to be expanded.
    return selectors.filter_speeches(categories=ThreatCategory.objects.all(), **form.filters())


def _statistics(form):
    return selectors.filter_statistics(_speeches(form), measure=form.cleaned_data["measure"])


def _number(value):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(date):
    return date.isoformat() if date else None


def statistic_data(request, statistic):
    speech, source = statistic.speech, statistic.source
    return {
        "id": statistic.id,
        "measure": statistic.measure,
        "value": _number(statistic.value),
        "value_text": statistic.value_text,
        "qualifier": statistic.qualifier,
        "unit": statistic.unit,
        "period": statistic.period,
        "quote": statistic.quote,
        "attribution": statistic.attribution,
        "briefing": {
            "slug": speech.slug,
            "title": speech.title,
            "date": _iso(speech.date),
            "speaker": speech.speaker.name,
        },
        "threats": [statistic.threat.slug] if statistic.threat else [],
        "countries": [country.slug for country in statistic.countries.all()],
        "source": {"publisher": source.publisher, "language": source.language, "url": source.url},
        "url": request.build_absolute_uri(speech.get_absolute_url()) + f"#stat-{statistic.id}",
    }


def csv_row(data):
    """A statistic as `statistic_data` gives it, flattened to the CSV columns."""
    briefing, source = data["briefing"], data["source"]
    return {
        "id": data["id"],
        "measure": data["measure"],
        "value": data["value"],
        "value_text": data["value_text"],
        "qualifier": data["qualifier"],
        "unit": data["unit"],
        "period": data["period"],
        "quote": data["quote"],
        "attribution": data["attribution"],
        "briefing_slug": briefing["slug"],
        "briefing_title": briefing["title"],
        "briefing_date": briefing["date"],
        "speaker": briefing["speaker"],
        "threats": ";".join(data["threats"]),
        "countries": ";".join(data["countries"]),
        "source_publisher": source["publisher"],
        "source_language": source["language"],
        "source_url": source["url"],
        "url": data["url"],
    }


def briefing_data(request, speech):
    return {
        "slug": speech.slug,
        "title": speech.title,
        "date": _iso(speech.date),
        "date_inferred": speech.date_inferred,
        "kind": speech.kind,
        "speaker": speech.speaker.name,
        "threats": [category.slug for category in speech.threats.all()],
        "countries": [country.slug for country in speech.countries.all()],
        "url": request.build_absolute_uri(speech.get_absolute_url()),
        "statistics": speech.published_statistics,
    }


@require_GET
def statistics_json(request):
    form = _form(request, StatisticFilterForm)
    if not form.is_valid():
        return JsonResponse({"errors": _errors(form)}, status=400)
    results = [statistic_data(request, statistic) for statistic in _statistics(form)]
    return JsonResponse({"count": len(results), "results": results})


@require_GET
def statistics_csv(request):
    form = _form(request, StatisticFilterForm)
    if not form.is_valid():
        return _plain_errors(form)
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
    )
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(csv_row(statistic_data(request, statistic)) for statistic in _statistics(form))
    return response


@require_GET
def briefings_json(request):
    form = _form(request, TimelineFilterForm)
    if not form.is_valid():
        return JsonResponse({"errors": _errors(form)}, status=400)
    speeches = (
        _speeches(form)
        .select_related("speaker")
        .prefetch_related("threats", "countries")
        .annotate(published_statistics=Count("statistics", filter=Q(statistics__status=Status.PUBLISHED)))
        # An aggregate drops the model's default ordering, so it is asked for again.
        .order_by(*Speech._meta.ordering)
    )
    results = [briefing_data(request, speech) for speech in speeches]
    return JsonResponse({"count": len(results), "results": results})


def describe_filters(form):
    """The active filters in words, e.g. "Terrorism, Iran or China, Ken McCallum, 2018–2023"."""
    data = form.cleaned_data
    year_from, year_to = data["from"], data["to"]
    if year_from and year_to:
        years = f"{year_from}–{year_to}"
    elif year_from:
        years = f"from {year_from}"
    elif year_to:
        years = f"to {year_to}"
    else:
        years = ""
    parts = [
        " or ".join(category.name for category in data["threat"]),
        " or ".join(country.name for country in data["country"]),
        data["speaker"].name if data["speaker"] else "",
        Speech.Kind(data["kind"]).label if data["kind"] else "",
        years,
        f"“{data['q']}”" if data["q"] else "",
    ]
    return ", ".join(part for part in parts if part)


def _query_string(form):
    """The form's own parameters as "?…" (unknown ones left out), or "" when there are none."""
    query = QueryDict(mutable=True)
    for name in form.fields:
        if values := form.data.getlist(name):
            query.setlist(name, values)
    return f"?{query.urlencode()}" if query else ""


class BriefingFeed(Feed):
    """The matching briefings, newest first, as Atom entries.

    Undated briefings are left out: Atom requires every entry to have an `updated` date,
    and any date made up for them would put them at a false place in a reader's list.
    They remain on the timeline and in /api/briefings.json.
    """

    feed_type = Atom1Feed
    subtitle = "What MI5's Directors General said about threats."

    def get_object(self, request, form):
        # The view has already validated the filters; Feed hands its keyword arguments on to here.
        return form

    def title(self, form):
        description = describe_filters(form)
        return f"{SITE_NAME}: {description}" if description else SITE_NAME

    def link(self, form):
        return reverse("briefings:timeline") + _query_string(form)

    def feed_url(self, form):
        return reverse("briefings:feed") + _query_string(form)

    def items(self, form):
        return _speeches(form).filter(date__isnull=False).select_related("speaker")

    def item_title(self, speech):
        # Atom titles are plain text; the base class escapes them once more for RSS's sake.
        return speech.title

    def item_description(self, speech):
        # Atom1Feed writes the description as <summary type="html">, so plain text is escaped as HTML.
        return escape(speech.summary)

    def item_link(self, speech):
        return speech.get_absolute_url()

    def item_pubdate(self, speech):
        return datetime.datetime.combine(speech.date, datetime.time())

    def item_updateddate(self, speech):
        return self.item_pubdate(speech)

    def item_author_name(self, speech):
        return speech.speaker.name


@require_GET
def feed(request):
    form = _form(request, TimelineFilterForm)
    if not form.is_valid():
        return _plain_errors(form)
    return BriefingFeed()(request, form=form)
