from dataclasses import dataclass

from django.db.models import F, Q
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info
from django.views.decorators.http import require_GET

from . import passages, selectors
from .forms import TimelineFilterForm
from .models import Assessment, Attribution, Source, Speech, Statistic, Status
from .pagecache import cached_page

PAGE_SIZE = 10  # briefings a timeline page holds, about: whole years where they fit
HEADLINE_STATISTICS = 3
KEY_ASSESSMENTS = 3

FILTER_LABELS = {"threat": "Threat", "country": "Country", "speaker": "Speaker", "kind": "Kind",
                 "from": "From", "to": "To", "q": "Search"}


def canonical_query(query, extra=()):
    """The known parameters without empty values, in a fixed order."""
    canonical = QueryDict(mutable=True)
    for key in [*FILTER_LABELS, *extra]:
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            canonical.setlist(key, values)
    return canonical


def selected_values(query):
    """The filter values a filter form shows as chosen, from the canonical query."""
    return {
        "threat": set(query.getlist("threat")),
        "country": set(query.getlist("country")),
        "speaker": query.get("speaker", ""),
        "kind": query.get("kind", ""),
        "from": query.get("from", ""),
        "to": query.get("to", ""),
    }


@dataclass
class Chip:
    label: str
    value: str
    remaining: QueryDict  # the query without this value

    @property
    def remove_url(self):
        return _url(self.remaining)


def active_chips(query, options):
    """One chip per active filter value, each with a link that removes just that value."""
    names = {
        "threat": {c.slug: c.name for c in options["categories"]},
        "country": {c.slug: c.name for c in options["countries"]},
        "speaker": {s.slug: s.name for s in options["speakers"]},
        "kind": dict(Speech.Kind.choices),
    }
    chips = []
    for key, label in FILTER_LABELS.items():
        for value in query.getlist(key):
            remaining = query.copy()
            remaining.setlist(key, [v for v in query.getlist(key) if v != value])
            shown = names.get(key, {}).get(value, value)
            chips.append(Chip(label=label, value=shown, remaining=remaining))
    return chips


def _url(query):
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else reverse("briefings:timeline")


def _matches(item, threat_ids, country_ids):
    if threat_ids and item.threat_id not in threat_ids:
        return False
    if country_ids and not {c.pk for c in item.countries.all()} & country_ids:
        return False
    return True


def _highlights(items, threat_ids, country_ids, limit):
    """Items about the active threat and country filters first; a reporter's own
    background facts last, since they are not what the speaker said."""

    def rank(item):
        return (not _matches(item, threat_ids, country_ids), item.attribution == Attribution.BACKGROUND)

    return sorted(items, key=rank)[:limit]


@dataclass
class Card:
    speech: Speech
    assessments: list
    statistics: list
    passages: list


@dataclass
class Year:
    year: int | None
    cards: list
    digest: str
    continued: bool  # the year began on an earlier page


def _digest(count, weights, categories):
    """"N briefings, mostly about …": the year's size and its three most frequent subjects,
    both counted over the whole year (see selectors.year_threat_weights)."""
    position = {category.pk: (category.position, category.name) for category in categories}
    names = {category.pk: category.name for category in categories}
    top = sorted(weights, key=lambda threat_id: (-weights[threat_id], position.get(threat_id, (0, ""))))[:3]
    briefings = f"{count} briefing{'s' if count != 1 else ''}"
    return f"{briefings}, mostly about {', '.join(names[pk] for pk in top)}" if top else briefings


def _group_by_year(speeches, threat_ids, country_ids, passages, *, counts, offset, weights, categories):
    """The page's cards under year headings. `counts` is every year's size in timeline
    order and `offset` where the page starts in it, so a year that began on an earlier page
    is marked as continued."""
    starts, position = {}, 0
    for year, count in counts:
        starts[year] = position
        position += count
    sizes = dict(counts)
    cards_by_year = {}
    for speech in speeches:
        card = Card(
            speech=speech,
            assessments=_highlights(speech.assessments.all(), threat_ids, country_ids, KEY_ASSESSMENTS),
            statistics=_highlights(speech.statistics.all(), threat_ids, country_ids, HEADLINE_STATISTICS),
            passages=passages.get(speech.pk, []),
        )
        year = speech.date.year if speech.date else None
        cards_by_year.setdefault(year, []).append(card)
    return [
        Year(year, cards, _digest(sizes[year], weights.get(year, {}), categories), continued=starts[year] < offset)
        for year, cards in cards_by_year.items()
    ]


def _least_restrictive_removal(chips, categories):
    """When nothing matches: the single filter value whose removal brings back the most
    briefings (one count query per active filter value, only on this empty-result path)."""
    best = None
    for chip in chips:
        filters = TimelineFilterForm(chip.remaining).filters()
        count = selectors.filter_speeches(categories=categories, **filters).count()
        if count and (best is None or count > best[1]):
            best = (chip, count)
    return best


def _export_links(query):
    """The feed and downloads of exactly what the page shows."""
    suffix = f"?{query.urlencode()}" if query else ""
    return {
        name.replace("-", "_"): reverse(f"briefings:{name}") + suffix
        for name in ("feed", "statistics-csv", "api-statistics", "api-briefings")
    }


def _page_url(request, query, number):
    paged = query.copy()
    if number > 1:
        paged["page"] = str(number)
    encoded = paged.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


@require_GET
@cached_page
def timeline(request):
    """The matching briefings, newest year first, a page at a time (PAGE_SIZE briefings or so,
    whole years where they fit: selectors.plan_pages). Later pages are plain links, loaded in
    place by htmx when the link scrolls into view. Facet counts, the change-over-time matrix
    and the year digests are aggregates over every matching briefing, in a fixed number of
    queries, so nothing grows with the number of briefings."""
    query = canonical_query(request.GET, extra=("page",))
    if not request.htmx and len(query.urlencode()) < len(request.GET.urlencode()):
        # A plain form submission sends empty fields too; the address bar shows only real filters.
        return HttpResponseRedirect(_url(query))
    filter_query = query.copy()
    filter_query.pop("page", None)

    form = TimelineFilterForm(query)
    options = selectors.filter_options()
    filters = form.filters()
    categories = options["categories"]
    # The text search runs once, in one query; every query below filters by the ids it found.
    matched_ids = selectors.matching_speech_ids(filters["q"]) if filters["q"] else None
    matching = selectors.filter_speeches(categories=categories, matched_ids=matched_ids, **filters)
    threat_ids = selectors.expand_threats(filters["threats"], categories) if filters["threats"] else set()
    country_ids = {country.pk for country in filters["countries"]}

    counts = selectors.year_counts(matching)
    pages = selectors.plan_pages(counts, PAGE_SIZE)
    page = form.cleaned_data.get("page") or 1
    if page > len(pages):
        form.add_error("page", f"There is no page {page} of these briefings.")
        page = 1
    offset, limit = pages[page - 1]
    speeches = list(selectors.timeline_speeches(matching)[offset:offset + limit])
    # Search shows where each briefing matched (one more query, only when searching).
    passages = selectors.matching_passages(filters["q"], [s.pk for s in speeches]) if filters["q"] and speeches else {}
    page_years = list(dict.fromkeys(s.date.year if s.date else None for s in speeches))
    weights = selectors.year_threat_weights(matching, page_years) if speeches else {}
    context = {
        "form": form,
        "groups": _group_by_year(speeches, threat_ids, country_ids, passages, counts=counts, offset=offset,
                                 weights=weights, categories=categories),
        "page": page,
        "page_count": len(pages),
        "next_page_url": _page_url(request, filter_query, page + 1) if page < len(pages) else None,
        "previous_page_url": _page_url(request, filter_query, page - 1) if page > 1 else None,
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request and page > 1:
        # The "Older briefings" link scrolled into view: just the next years, in place of the link.
        response = render(request, "briefings/timeline.html#older", context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    years, matrix_rows = selectors.change_over_time(
        matching, categories=categories, threat_ids=threat_ids, countries=filters["countries"]
    )
    chips = active_chips(filter_query, options)
    context |= {
        "options": options,
        "kinds": Speech.Kind.choices,
        "selected": selected_values(query),
        "counts": selectors.facet_counts(filters, categories, matched_ids),
        "result_count": sum(count for _year, count in counts),
        "chips": chips,
        "matrix_years": years,
        "matrix_rows": _matrix_links(matrix_rows, years, filter_query),
        "suggestion": _least_restrictive_removal(chips, categories) if not speeches and chips else None,
        "exports": _export_links(filter_query),
    }
    context["page_title"] = page_title(chips)
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        # The filter form asked: send the results and the new facet counts, not the page.
        response = render(request, "briefings/timeline.html#htmx-response", context)
        # The canonical address; static/js/timeline.js turns the push into a replace while typing.
        response["HX-Push-Url"] = request.path + (f"?{filter_query.urlencode()}" if filter_query else "")
    else:
        context["coverage"] = selectors.coverage()
        response = render(request, "briefings/timeline.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def page_title(chips):
    """The timeline's <title>: the active filters first, so that tabs and history say what they hold."""
    if not chips:
        return "Briefings, year by year · Threat Briefings"
    return f"{', '.join(chip.value for chip in chips)} · Briefings · Threat Briefings"


def _matrix_links(rows, years, query):
    """Give each crowded cell its count, trend tally and a link to the timeline of that threat
    and year (the canonical query: the cell's threat and years in place of any chosen). Built
    here, from query strings encoded once, rather than in the template: at 37 years by nine
    threats the template engine spent most of the page's time on these few hundred cells."""
    kept = lambda keys: urlencode([(k, v) for k in keys for v in query.getlist(k)])  # noqa: E731
    middle, tail = kept(["country", "speaker", "kind"]), kept(["q"])
    for category, cells in rows:
        threat = urlencode({"threat": category.slug})
        for year, cell in zip(years, cells, strict=True):
            if cell.crowded:
                parts = [threat, middle, f"from={year}&to={year}", tail]
                cell.url = "?" + "&".join(part for part in parts if part)
                cell.html = mark_safe(
                    f'<a class="judgement-count" href="{escape(cell.url)}">{cell.total:d} judgements</a> '
                    f'<span class="trend-counts"><span class="trend-rising" title="rising">▲{cell.trends["rising"]:d}'
                    f'</span> <span class="trend-steady" title="steady">▶{cell.trends["steady"]:d}</span> '
                    f'<span class="trend-falling" title="falling">▼{cell.trends["falling"]:d}</span></span>'
                )
    return rows


@require_GET
def speech_detail(request, slug):
    """A published briefing for everyone (a draft's address is a 404 for the public); staff also
    see a draft, as a preview under a "Draft — not public" banner. A preview is never cached,
    since the page cache does not know who asks."""
    if request.user.is_staff and Speech.objects.filter(slug=slug).exclude(status=Status.PUBLISHED).exists():
        response = briefing_page(request, slug, preview=True)
        add_never_cache_headers(response)
        return response
    return published_briefing_page(request, slug)


@cached_page
def published_briefing_page(request, slug):
    return briefing_page(request, slug)


def briefing_page(request, slug, preview=False):
    """One briefing: its header, the judgements and figures curated from it, the full text
    of the source it is shown from (role "primary", else the first) with every published
    quote highlighted where it stands, and the documents it is known from.

    Eight queries whatever the briefing: the briefing with its speaker; its threats,
    countries and sources (three prefetches); its published statistics and assessments
    (one each, with their threat and source, the source's long text left out); the
    briefings before and after it in time (one each).
    """
    speeches = Speech.objects.all() if preview else Speech.objects.published()
    speech = get_object_or_404(
        speeches.select_related("speaker").prefetch_related("threats", "countries", "sources"), slug=slug
    )
    sources = list(speech.sources.all())
    shown = next((source for source in sources if source.role == Source.Role.PRIMARY), sources[0] if sources else None)
    statistics = list(_shown_items(Statistic, speech, preview))
    assessments = list(_shown_items(Assessment, speech, preview))

    highlights = [
        passages.Highlight(
            anchor=f"stat-{statistic.pk}", quote=statistic.quote, backref=f"#figure-{statistic.pk}",
            label=statistic.value_text, title=f"Figure: {statistic.value_text} {statistic.measure}", css="hl-stat",
        )
        for statistic in statistics
        if shown and statistic.source_id == shown.pk
    ] + [
        passages.Highlight(
            anchor=f"assessment-{assessment.pk}", quote=assessment.quote, backref=f"#judgement-{assessment.pk}",
            label="judgement", title=f"Key judgement on {assessment.threat.name}: {assessment.summary}",
            css="hl-assessment",
        )
        for assessment in assessments
        if shown and assessment.source_id == shown.pk
    ]
    for source in sources:
        try:
            source.language_name = get_language_info(source.language)["name"]
        except KeyError:
            source.language_name = ""
    passage = passages.render(shown.text, highlights) if shown else None
    placed = passage.placed if passage else set()
    for statistic in statistics:
        statistic.highlighted = f"stat-{statistic.pk}" in placed
        statistic.cite_url = request.build_absolute_uri(statistic.get_absolute_url())
        statistic.speech = speech  # the citation names the briefing and speaker already fetched
    for assessment in assessments:
        assessment.highlighted = f"assessment-{assessment.pk}" in placed

    # Before and after in time: by date, undated briefings last, then by title and id.
    if speech.date is None:
        same_date = Q(date__isnull=True)
        earlier, later = Q(date__isnull=False), Q(pk__in=[])
    else:
        same_date = Q(date=speech.date)
        earlier, later = Q(date__lt=speech.date), Q(date__gt=speech.date) | Q(date__isnull=True)
    earlier |= same_date & (Q(title__lt=speech.title) | Q(title=speech.title, pk__lt=speech.pk))
    later |= same_date & (Q(title__gt=speech.title) | Q(title=speech.title, pk__gt=speech.pk))
    neighbours = Speech.objects.published().only("slug", "title", "date", "date_inferred", "date_basis")
    previous = neighbours.filter(earlier).order_by(F("date").desc(nulls_first=True), "-title", "-pk").first()
    following = neighbours.filter(later).order_by(F("date").asc(nulls_last=True), "title", "pk").first()

    timeline_url = reverse("briefings:timeline")
    context = {
        "speech": speech,
        "threat_links": [
            (threat, f"{timeline_url}?{urlencode({'threat': threat.slug})}") for threat in speech.threats.all()
        ],
        "country_links": [
            (country, f"{timeline_url}?{urlencode({'country': country.slug})}") for country in speech.countries.all()
        ],
        "previous": previous,
        "next": following,
        "sources": sources,
        "shown": shown,
        "passage": passage,
        "known_from_news": bool(sources) and all(source.role == Source.Role.NEWS_REPORT for source in sources),
        "comparisons": [
            (source, passages.describe_similarity(passages.word_similarity(shown.text, source.text)))
            for source in sources
            if source is not shown
        ],
        "statistics": statistics,
        "assessments": assessments,
        "not_highlighted": sum(not item.highlighted for item in [*statistics, *assessments]),
        "preview": preview,
    }
    return render(request, "briefings/speech_detail.html", context)


def _shown_items(model, speech, preview):
    """A briefing's published figures or judgements; a draft's preview shows those it will show once published."""
    items = model.objects.filter(status=Status.PUBLISHED) if preview else model.objects.published()
    return items.filter(speech=speech).select_related("threat", "source").defer("source__text")
