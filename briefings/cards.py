"""The timeline's cards: a briefing's title, date, speaker, kind and tags, its key judgements and
headline figures (those about the chosen threats and countries first), and in a search the
passages where it matched.

A card is composed for each page from parts kept per briefing, whatever the filters (`parts`):
its head and every judgement and figure it may show, each written once per process and content
version. They are written here, from rows of plain values, rather than by the template engine
from model instances: a timeline page shows ten or more cards with a hundred or so judgements
and figures, and building those instances and rendering them in templates was a third of
building a page the cache could not help with.
"""

from dataclasses import dataclass
from html import escape

from django.core.cache import caches
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .models import Assessment, Attribution, Speech, Statistic
from .pagecache import TIMEOUT
from .selectors import briefing_tags, country_ids, id_set
from .templatetags.briefings_tags import date_html, trend_html

KEY_ASSESSMENTS = 3
HEADLINE_STATISTICS = 3


@dataclass
class Shown:
    """A judgement or figure a card may show: what it is about, and its HTML."""

    threat_id: int | None
    country_ids: frozenset
    html: str


@dataclass
class Parts:
    """What a briefing's card is made of, whatever the filters. A reporter's own background facts
    are left out: they are not what the speaker said (the briefing page lists them apart)."""

    year: int | None
    url: str
    head: str
    assessments: list
    statistics: list


@dataclass
class Card:
    """A briefing as the timeline shows it: its year (for the year headings) and its HTML."""

    year: int | None
    html: str


def timeline_cards(ids, token, threat_ids, country_ids, passages):
    """The cards of the briefings `ids`, in that order: the judgements and figures about the
    chosen threats and countries first, and in a search the passages where it matched
    (`passages`: {briefing id: [(paragraph number, snippet)]})."""
    kept = parts(ids, token)
    return [Card(part.year, compose(part, threat_ids, country_ids, passages.get(pk, ())))
            for pk in ids if (part := kept.get(pk))]  # a briefing deleted since `ids` were chosen has none


def compose(part, threat_ids, country_ids, passages=()):
    html = [part.head]
    if passages:
        html.append(format_html(
            '\n  <ul class="passages" aria-label="Where the search matched">{}</ul>',
            format_html_join("", '\n    <li><a class="paragraph-link" href="{}#p{}">¶{}</a> {}</li>',
                             ((part.url, number, number, snippet) for number, snippet in passages))))
    assessments = _about_the_filters_first(part.assessments, threat_ids, country_ids, KEY_ASSESSMENTS)
    if assessments:
        html.append('\n  <ul class="assessments">' + "".join(item.html for item in assessments) + "</ul>")
    statistics = _about_the_filters_first(part.statistics, threat_ids, country_ids, HEADLINE_STATISTICS)
    if statistics:
        html.append('\n  <dl class="headline-stats">' + "".join(item.html for item in statistics) + "</dl>")
    return mark_safe('<article class="card">' + "".join(html) + "\n</article>")


def _matches(item, threat_ids, country_ids):
    if threat_ids and item.threat_id not in threat_ids:
        return False
    if country_ids and not item.country_ids & country_ids:
        return False
    return True


def _about_the_filters_first(items, threat_ids, country_ids, limit):
    return sorted(items, key=lambda item: not _matches(item, threat_ids, country_ids))[:limit]


def parts(ids, token):
    """{briefing id: Parts} for `ids`. Each process keeps the parts it wrote for the current
    content version (CACHES["cards"], keyed by the token like the page cache), so a page,
    fragment, filter or search showing a briefing another showed fetches and writes nothing for
    it. Without a token (inside a transaction) nothing is kept."""
    kept = caches["cards"]
    keys = {pk: f"{token}:{pk}" for pk in ids} if token else {}
    found = kept.get_many(keys.values()) if keys else {}
    result = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk not in result]
    if missing:
        built = _build(missing)
        if keys:
            kept.set_many({keys[pk]: value for pk, value in built.items()}, TIMEOUT)
        result |= built
    return result


def _build(ids):
    """Parts for the published briefings `ids`, in five queries of plain values."""
    tags = {pk: "".join([*(f'<li class="tag threat">{escape(name)}</li>' for name in threats),
                         *(f'<li class="tag country">{escape(name)}</li>' for name in countries)])
            for pk, (threats, countries) in briefing_tags(ids, "name").items()}

    said = ~Q(attribution=Attribution.BACKGROUND)
    assessments = {pk: [] for pk in ids}
    for pk, speech_id, threat_id, threat, trend, summary, countries in (
        Assessment.objects.published().filter(said, speech_id__in=ids).annotate(about=country_ids(Assessment))
        .order_by("id")
        .values_list("pk", "speech_id", "threat_id", "threat__name", "trend", "summary", "about")
    ):
        assessments[speech_id].append((pk, threat_id, threat, trend, summary, countries))
    statistics = {pk: [] for pk in ids}
    kinds = dict(Attribution.choices)
    for row in (Statistic.objects.published().filter(said, speech_id__in=ids).annotate(about=country_ids(Statistic))
                .order_by("id")
                .values_list("pk", "speech_id", "threat_id", "value_text", "measure", "period", "attribution",
                             "about")):
        statistics[row[1]].append(row)

    built = {}
    for speech in (Speech.objects.filter(pk__in=ids).order_by()
                   .values("pk", "slug", "title", "date", "date_inferred", "date_basis", "kind",
                           "speaker__slug", "speaker__name")):
        pk, url = speech["pk"], reverse("briefings:speech", args=[speech["slug"]])
        head = format_html(
            '<h3><a href="{}">{}</a></h3>\n  <p class="meta">{} · <a href="{}">{}</a> · {}</p>\n'
            '  <ul class="tags" aria-label="Threats and countries">{}</ul>',
            url, speech["title"], date_html(speech["date"], speech["date_inferred"], speech["date_basis"]),
            reverse("briefings:speaker", args=[speech["speaker__slug"]]), speech["speaker__name"],
            Speech.Kind(speech["kind"]).label, mark_safe(tags[pk]))
        built[pk] = Parts(
            year=speech["date"].year if speech["date"] else None,
            url=url,
            head=head,
            assessments=[Shown(threat_id, frozenset(id_set(countries)), _judgement(url, item_pk, threat, trend, summary))
                         for item_pk, threat_id, threat, trend, summary, countries in assessments[pk]],
            statistics=[Shown(threat_id, frozenset(id_set(countries)),
                              _figure(url, item_pk, value_text, measure, period,
                                      "" if attribution == Attribution.SPEAKER else kinds[attribution].lower()))
                        for item_pk, _speech, threat_id, value_text, measure, period, attribution, countries
                        in statistics[pk]],
        )
    return built


# A card's judgements and figures are most of it: written as f-strings with each value escaped,
# in two thirds of the time format_html took.


def _judgement(url, pk, threat, trend, summary):
    trend = f" {trend_html(trend)}" if trend else ""
    return (f'\n    <li><a href="{url}#assessment-{pk:d}"><span class="threat-name">{escape(threat)}</span>{trend}</a> '
            f"{escape(summary)}</li>")


def _figure(url, pk, value_text, measure, period, whose):
    period = f' <span class="period">({escape(period)})</span>' if period else ""
    whose = f' <span class="attribution">· {escape(whose)}</span>' if whose else ""
    return (f'\n    <div><dt><a href="{url}#stat-{pk:d}">{escape(value_text)}</a></dt>'
            f"<dd>{escape(measure)}{period}{whose}</dd></div>")
