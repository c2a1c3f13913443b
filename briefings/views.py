from dataclasses import dataclass

from django.db.models import F, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info
from django.views.decorators.http import require_safe

from . import facets, passages, selectors
from .cards import timeline_cards
from .forms import Filters, TimelineForm
from .models import Assessment, Attribution, Source, Speech, Statistic, Status
from .pagecache import cached_page
from .templatetags.briefings_tags import trend_html

PAGE_SIZE = 10  # briefings a timeline page holds, about: whole years where they fit


@dataclass
class Year:
    year: int | None
    cards: list
    digest: str
    continued: bool  # the year began on an earlier page
    label: str = ""  # a heading other than the year: search results most relevant first


def _digest(count, weights, categories):
    """"N briefings, mostly about …": the year's size and its three most frequent subjects,
    both counted over the whole year (see facets.Selection.subject_weights)."""
    position = {category.pk: (category.position, category.name) for category in categories}
    names = {category.pk: category.name for category in categories}
    top = sorted(weights, key=lambda threat_id: (-weights[threat_id], position.get(threat_id, (0, ""))))[:3]
    briefings = f"{count} briefing{'s' if count != 1 else ''}"
    return f"{briefings}, mostly about {', '.join(names[pk] for pk in top)}" if top else briefings


def _group_by_year(cards, *, counts, offset, weights, categories):
    """The page's cards under year headings. `counts` is every year's size in timeline
    order and `offset` where the page starts in it, so a year that began on an earlier page
    is marked as continued."""
    starts, position = {}, 0
    for year, count in counts:
        starts[year] = position
        position += count
    sizes = dict(counts)
    cards_by_year = {}
    for card in cards:
        cards_by_year.setdefault(card.year, []).append(card)
    return [
        Year(year, cards, _digest(sizes[year], weights.get(year, {}), categories), continued=starts[year] < offset)
        for year, cards in cards_by_year.items()
    ]


def _pages(selection, counts_by_year, by_relevance):
    """The pages as [(offset, limit)]: ranked search results fill pages of PAGE_SIZE; otherwise
    whole years where they fit (selectors.plan_pages)."""
    if by_relevance:
        total = selection.count()
        return [(start, min(PAGE_SIZE, total - start)) for start in range(0, total, PAGE_SIZE)] or [(0, 0)]
    return selectors.plan_pages(counts_by_year, PAGE_SIZE)


def _ordinal(n):
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _sort_links(filters, by_relevance):
    """The two orders of search results, as (label, URL, chosen)."""
    return [("Most relevant first", filters.url(), by_relevance),
            ("By year", filters.url(sort="date"), not by_relevance)]


def _least_restrictive_removal(filters, index, categories, ranking):
    """When nothing matches: the filter (one parameter, all its values) whose removal brings
    back the most briefings, as (chip, count). Several values of one parameter mean OR, so
    dropping one of them never brings more back: one count per active parameter, from the index."""
    best = None
    for name in filters.active:
        count = index.select(filters.without(name), ranking, categories=categories).count()
        if count and (best is None or count > best[1]):
            best = (filters.chip_for(name), count)
    return best


@require_safe
@cached_page
def timeline(request):
    """The matching briefings, newest year first, a page at a time (PAGE_SIZE briefings or so,
    whole years where they fit: selectors.plan_pages). Later pages are plain links, loaded in
    place by htmx when the link scrolls into view. Facet counts, the change-over-time matrix,
    the year digests and the coverage line are counted on the facet index (facets.py), kept per
    content version, so they cost the same whatever the number of briefings; the database is
    asked only for the page's briefings, the judgements of the matrix's uncrowded cells, the
    filter options and, when searching, the matching briefings (once per search and content
    version, for every page and fragment of it)."""
    form = TimelineForm(request.GET)
    if not request.htmx and form.needs_tidying(request.GET):
        # A plain form submission sends empty fields too; the address bar shows only real filters.
        return HttpResponseRedirect(request.path + (f"?{form.tidy_query.urlencode()}" if form.tidy_query else ""))
    index = facets.current(getattr(request, "page_cache_token", None))
    options = index.filter_options()
    filters = form.filters()
    categories = options["categories"]
    # A search finds its briefings once per search and content version, for every page and fragment.
    ranking = facets.search_ranking(request, index, filters.q)
    selection = index.select(filters, ranking, categories=categories)
    threat_ids = selectors.expand_threats(filters.threats, categories) if filters.threats else set()
    country_ids = {country.pk for country in filters.countries}
    by_relevance = bool(filters.q) and form.cleaned_data.get("sort") != "date"
    sort = "date" if filters.q and not by_relevance else None  # kept in the page links

    counts_by_year = selection.year_counts()
    pages = _pages(selection, counts_by_year, by_relevance)
    page = form.cleaned_data.get("page") or 1
    if page > len(pages):
        form.add_error("page", f"There is no page {page} of these briefings.")
        page = 1
    offset, limit = pages[page - 1]
    ids = selection.ranked_ids(ranking, offset, limit) if by_relevance else selection.ids(offset, limit)
    # Search shows where each briefing matched (one more query, only when searching).
    passages = selectors.matching_passages(filters.q, ids) if filters.q and ids else {}
    cards = timeline_cards(ids, getattr(request, "page_cache_token", None), threat_ids, country_ids, passages)
    if by_relevance:
        label = "Best matches" if page == 1 else f"More matches, from the {offset + 1}{_ordinal(offset + 1)}"
        groups = [Year(None, cards, "", False, label)] if cards else []
    else:
        page_years = list(dict.fromkeys(card.year for card in cards))
        groups = _group_by_year(cards, counts=counts_by_year, offset=offset,
                                weights=selection.subject_weights(page_years), categories=categories)
    context = {
        "form": form,
        "filters": filters,
        "groups": groups,
        "by_relevance": by_relevance,
        "sort_links": _sort_links(filters, by_relevance) if filters.q else None,
        "page": page,
        "page_count": len(pages),
        "next_page_url": filters.url(sort=sort, page=page + 1) if page < len(pages) else None,
        "previous_page_url": filters.url(sort=sort, page=page - 1 if page > 2 else None) if page > 1 else None,
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request and page > 1:
        # The "Older briefings" link scrolled into view: just the next years, in place of the link.
        response = render(request, "briefings/timeline.html#older", context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    years, matrix_rows = facets.change_over_time(selection, categories, threat_ids=threat_ids, country_ids=country_ids)
    counts = selection.facet_counts(categories)
    context |= {
        "options": options,
        "facet_groups": [
            form.facet_group("threat", "Threat", filters.facet("threat", categories, counts.threats),
                             hint="Choosing a group includes everything under it."),
            form.facet_group("country", "Country", filters.facet("country", options["countries"], counts.countries),
                             two_columns=True),
            form.facet_group("speaker", "Speaker", filters.facet("speaker", options["speakers"], counts.speakers),
                             any_label="Anyone"),
            form.facet_group("kind", "Kind", filters.facet("kind", Speech.Kind.choices, counts.kinds),
                             any_label="Any kind"),
        ],
        "timeline_url": reverse("briefings:timeline"),
        "result_count": selection.count(),
        "matrix_years": years,
        "matrix_rows": _matrix_cells(matrix_rows, years, filters),
        "suggestion": _least_restrictive_removal(filters, index, categories, ranking)
        if not cards and filters else None,
    }
    context["page_title"] = page_title(filters.chips)
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        # The filter form asked: send the results and the new facet counts, not the page.
        response = render(request, "briefings/timeline.html#htmx-response", context)
        # The canonical address; static/js/timeline.js turns the push into a replace while typing.
        response["HX-Push-Url"] = filters.url(sort=sort)
    else:
        context["coverage"] = facets.coverage(index)
        response = render(request, "briefings/timeline.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def page_title(chips, page="Briefings"):
    """A filtered page's <title>: the active filters first, so that tabs and history say what they hold."""
    if not chips:
        return "Briefings, year by year · Threat Briefings" if page == "Briefings" else f"{page} · Threat Briefings"
    return f"{', '.join(chip.value for chip in chips)} · {page} · Threat Briefings"


# A year no briefing has, standing for the cell's year in an address built once per row.
_ANY_YEAR = 9999


_NO_JUDGEMENT = mark_safe('<span class="no-judgement" aria-hidden="true">—</span>'
                          '<span class="visually-hidden">No judgement</span>')


def _matrix_cells(rows, years, filters):
    """Write each cell of the matrix: an uncrowded cell's judgements, each a link to where its
    briefing gives it; a crowded cell's count, trend tally and a link to the timeline of that
    threat and year (the cell's threat and year in place of any chosen). Written here rather
    than in the template: at 37 years by nine threats the template engine spent most of the
    page's time on these few hundred cells. Each row's address is built once, with a stand-in
    year, and each briefing's once."""
    briefing_urls = {}

    def briefing_url(slug):
        if slug not in briefing_urls:
            briefing_urls[slug] = reverse("briefings:speech", args=[slug])
        return briefing_urls[slug]

    for category, cells in rows:
        address = filters.replace(threats=(category,), year_from=_ANY_YEAR, year_to=_ANY_YEAR).url()
        for year, cell in zip(years, cells, strict=True):
            if cell.crowded:
                cell.url = address.replace(f"from={_ANY_YEAR}&to={_ANY_YEAR}", f"from={year}&to={year}")
                cell.html = mark_safe(
                    f'<a class="judgement-count" href="{escape(cell.url)}">{cell.total:d} judgements</a> '
                    f'<span class="trend-counts"><span class="trend-rising" title="rising">▲{cell.trends["rising"]:d}'
                    f'</span> <span class="trend-steady" title="steady">▶{cell.trends["steady"]:d}</span> '
                    f'<span class="trend-falling" title="falling">▼{cell.trends["falling"]:d}</span></span>'
                )
            elif cell.assessments:
                cell.html = format_html_join("\n", '<a class="judgement" href="{}#assessment-{}">{}{}</a>', (
                    (briefing_url(item.briefing_slug), item.pk,
                     format_html("{} ", trend_html(item.trend)) if item.trend else "", item.summary)
                    for item in cell.assessments))
            else:
                cell.html = _NO_JUDGEMENT
    return rows


@require_safe
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

    previous, following = _neighbours(speech)

    context = {
        "speech": speech,
        "threat_links": [(threat, Filters(threats=(threat,)).url()) for threat in speech.threats.all()],
        "country_links": [(country, Filters(countries=(country,)).url()) for country in speech.countries.all()],
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
        # A reporter's background is listed apart, under its own heading: not the speaker's figures.
        "figures": [statistic for statistic in statistics if statistic.attribution != Attribution.BACKGROUND],
        "background": [statistic for statistic in statistics if statistic.attribution == Attribution.BACKGROUND],
        "assessments": assessments,
        "not_highlighted": sum(not item.highlighted for item in [*statistics, *assessments]),
        "preview": preview,
    }
    return render(request, "briefings/speech_detail.html", context)


def _neighbours(speech):
    """The published briefings before and after `speech` in time: by date, undated briefings
    last, then by title and id. For a dated briefing each is one range of the date index, walked
    from the briefing outwards and stopped at the first match (an OR with "undated" made the
    database sort every briefing on one side: 145 ms at 100,000 briefings on SQLite); only the
    newest dated briefing looks for an undated one after it, in one more query."""
    neighbours = Speech.objects.published().only("slug", "title", "date", "date_inferred", "date_basis")
    before_on_the_day = Q(title__lt=speech.title) | Q(title=speech.title, pk__lt=speech.pk)
    after_on_the_day = Q(title__gt=speech.title) | Q(title=speech.title, pk__gt=speech.pk)
    if speech.date is None:
        previous = neighbours.filter(Q(date__isnull=False) | Q(date__isnull=True) & before_on_the_day).order_by(
            F("date").desc(nulls_first=True), "-title", "-pk").first()
        following = neighbours.filter(date__isnull=True).filter(after_on_the_day).order_by("title", "pk").first()
        return previous, following
    day = speech.date
    previous = neighbours.filter(Q(date__lte=day) & (Q(date__lt=day) | Q(date=day) & before_on_the_day)).order_by(
        "-date", "-title", "-pk").first()
    following = neighbours.filter(Q(date__gte=day) & (Q(date__gt=day) | Q(date=day) & after_on_the_day)).order_by(
        "date", "title", "pk").first()
    if following is None:
        following = neighbours.filter(date__isnull=True).order_by("title", "pk").first()
    return previous, following


def _shown_items(model, speech, preview):
    """A briefing's published figures or judgements; a draft's preview shows those it will show once published."""
    items = model.objects.filter(status=Status.PUBLISHED) if preview else model.objects.published()
    return items.filter(speech=speech).select_related("threat", "source").defer("source__text")
