"""The facet index: the published briefings' facets as bitsets, kept per content version.

Every aggregate the timeline shows is a count over the briefings that match its filters: the
facet counts, the number of briefings a year (which also plans the pages), the change-over-time
matrix, the year digests and the coverage line. Counted in SQL, each was a join over every
briefing, so a page cost more as the corpus grew (at 10,000 briefings a cold front page spent
two-thirds of its time in those aggregates). Here each facet value (a threat, a country, a
speaker, a kind) is the set of briefings that have it, held as a Python int used as a bitset:
bit i is the briefing at position i in timeline order. Filtering is ANDs and ORs of those sets
and counting is `int.bit_count()`, both done in C over N/64 machine words: microseconds at
100,000 briefings.

Counts that are not 0 or 1 per briefing (how many judgements on a threat say "rising") are a
`Tally`: layer k holds the briefings with at least k of them, so the total over a set S is the
sum over k of |S ∩ layer k|.

Positions are laid out year by year, newest first and undated last, as the timeline orders
briefings, and each year starts on a byte boundary, so one year's part of any set is a slice of
its bytes (`per_year`).

The index is built from the database in ten queries (`build`) and kept per process under the
page cache's content token, which every save replaces: it is rebuilt once after each change, in
the background by the process that made it (pagecache.warm_pages), and left in the shared cache,
from which the other processes load it rather than build it again. A request with no token
(inside a transaction, as in tests) builds its own.
"""

import hashlib
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q

from . import pagecache
from .models import Assessment, Source, Speech, Statistic, Status
from .selectors import Year, expand_threats, filter_options, matching_speech_scores


def _bits(positions, size):
    """The set of `positions` as an int of `size` bytes' worth of bits."""
    buffer = bytearray(size)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


def _positions(bits, offset=0, limit=None):
    """The positions of the set bits, ascending; only the first `limit` if given."""
    text = format(bits, "b")[::-1]
    found, start = [], text.find("1")
    while start != -1 and len(found) != limit:
        found.append(offset + start)
        start = text.find("1", start + 1)
    return found


@dataclass
class Tally:
    """How many of something each briefing has: layer k is the set of briefings with at least
    k + 1 of them."""

    layers: list

    @classmethod
    def of(cls, counts, size):
        """From {position: how many}."""
        layers, level = [], 1
        while True:
            positions = [position for position, n in counts.items() if n >= level]
            if not positions:
                return cls(layers)
            layers.append(_bits(positions, size))
            level += 1

    def count(self, bits):
        return sum((bits & layer).bit_count() for layer in self.layers)

    def by_year(self, index):
        """Each layer as [(year, its part of that year's positions)], dated years with none left
        out: worked out once per process, the first time it is asked for (not pickled with the index)."""
        if (found := self.__dict__.get("_by_year")) is None:
            found = []
            for layer in self.layers:
                data = layer.to_bytes(index.size, "little")
                found.append([(span.year, part) for span in index.spans
                              if span.year is not None and (part := int.from_bytes(data[span.bytes], "little"))])
            self.__dict__["_by_year"] = found
        return found

    def __getstate__(self):
        return {"layers": self.layers}

    def present(self, bits):
        """The briefings of `bits` with at least one."""
        return bits & self.layers[0] if self.layers else 0


@dataclass(frozen=True)
class Span:
    """A year's positions: [first, first + size), first a multiple of 8; `bytes` the slice of a
    set's bytes that holds them."""

    year: int | None
    first: int
    size: int
    bytes: slice = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "bytes", slice(self.first >> 3, (self.first + self.size + 7) >> 3))


@dataclass
class MatrixCell:
    total: int  # judgements on this threat in this year
    trends: dict  # how many of them say rising, steady, falling
    assessments: list  # all of them (Judgement) when there are at most CELL_JUDGEMENTS, else none
    url: str = ""  # the timeline filtered to this threat and year, for a crowded cell
    html: str = ""  # the cell's content (views._matrix_cells)

    @property
    def crowded(self):
        return self.total > CELL_JUDGEMENTS


CELL_JUDGEMENTS = 2


@dataclass
class Judgement:
    """A published judgement as a matrix cell lists it."""

    pk: int
    threat_id: int
    year: int
    trend: str
    summary: str
    briefing_slug: str


TRENDS = tuple(Assessment.Trend.values)


@dataclass
class Coverage:
    briefings: int
    years: list  # years with at least one briefing, ascending
    missing: list  # years between the first and last with none
    undated: int
    sources: list  # (role label, number of documents), most first

    @property
    def missing_ranges(self):
        """The missing years as runs: ["2018–2020", "2022"]."""
        runs = []
        for year in self.missing:
            if runs and runs[-1][1] == year - 1:
                runs[-1][1] = year
            else:
                runs.append([year, year])
        return [f"{start}–{end}" if end > start else str(start) for start, end in runs]


@dataclass
class Ranking:
    """A search's briefings by relevance: [(score, the briefings with that score)], highest
    first, so that a page of them is read tier by tier, ties in timeline order; `bits`: all of
    them. Scores are small sums of whole weights (selectors.RELEVANCE), so tiers are few."""

    tiers: list
    bits: int


class Sets:
    """An index's sets by facet: each facet an attribute, {value: the set of items with it}."""

    def any_of(self, facet, keys):
        """The items with any of `keys` in `facet` (e.g. "threats")."""
        found = 0
        for key in keys:
            found |= getattr(self, facet).get(key, 0)
        return found


@dataclass
class FacetIndex(Sets):
    token: str | None
    ids: list  # the briefing id at each position, None in the padding between years
    spans: list  # Span per year, in timeline order
    size: int  # bytes in every set
    everything: int
    threats: dict  # category id: the briefings tagged with it
    countries: dict  # country id: the briefings tagged with it
    speakers: dict  # speaker id: their briefings
    kinds: dict  # kind: the briefings of that kind
    judgements: dict  # (threat id, trend): Tally of published judgements ("" when no trend is given)
    judgements_about: dict  # (threat id, trend, country ids as a sorted tuple): the same, by what they are about
    subjects: dict  # threat id: Tally of published figures and judgements about it
    sources: Counter  # source role: how many documents the published briefings have
    lists: dict  # the filter panel's threats, countries and speakers (selectors.filter_options)
    position: dict = field(init=False)

    def __post_init__(self):
        self.position = {pk: position for position, pk in enumerate(self.ids) if pk is not None}

    # --- sets

    def years_held(self):
        """The years with published briefings, newest first."""
        return [span.year for span in self.spans if span.year is not None]

    def filter_options(self):
        """What the filter panel lists (selectors.filter_options), kept with the index: no query."""
        return {**self.lists, "years": self.years_held()}

    def years(self, year_from, year_to):
        """The dated briefings from `year_from` to `year_to` (either may be None)."""
        found = 0
        for span in self.spans:
            if span.year is not None and (year_from is None or span.year >= year_from) \
                    and (year_to is None or span.year <= year_to):
                found |= ((1 << span.size) - 1) << span.first
        return found

    def ranking(self, scores):
        """The published among {briefing id: relevance} as a Ranking."""
        by_score = defaultdict(list)
        for pk, score in scores.items():
            if (position := self.position.get(pk)) is not None:
                by_score[score].append(position)
        tiers = [(score, _bits(positions, self.size)) for score, positions in sorted(by_score.items(), reverse=True)]
        everything = 0
        for _score, bits in tiers:
            everything |= bits
        return Ranking(tiers, everything)

    def per_year(self, bits):
        """{year: how many of `bits` it holds}, for every year of the index."""
        data = bits.to_bytes(self.size, "little")
        return {span.year: int.from_bytes(data[span.bytes], "little").bit_count() for span in self.spans}

    def ids_at(self, bits, offset, limit):
        """The ids of the briefings of `bits` from the `offset`-th to `offset + limit`, in timeline order."""
        data = bits.to_bytes(self.size, "little")
        found = []
        for span in self.spans:
            part = int.from_bytes(data[span.bytes], "little")
            n = part.bit_count()
            if offset >= n:
                offset -= n
                continue
            found += _positions(part, span.bytes.start << 3, limit=offset + limit - len(found))[offset:]
            offset = 0
            if len(found) == limit:
                break
        return [self.ids[position] for position in found]

    def select(self, filters, ranking=None, *, categories):
        """The briefings matching `filters` (a forms.Filters), as a Selection. `ranking`: the
        Ranking of the briefings matching its `q`."""
        parts = {}
        if filters.threats:
            parts["threat"] = self.any_of("threats", expand_threats(filters.threats, categories))
        if filters.countries:
            parts["country"] = self.any_of("countries", [country.pk for country in filters.countries])
        if filters.speaker is not None:
            parts["speaker"] = self.speakers.get(filters.speaker.pk, 0)
        if filters.kind:
            parts["kind"] = self.kinds.get(filters.kind, 0)
        if filters.year_from is not None or filters.year_to is not None:
            parts["years"] = self.years(filters.year_from, filters.year_to)
        if filters.q:
            parts["q"] = ranking.bits if ranking else 0
        return Selection(self, parts)


class Selected:
    """The items of an index (facets.FacetIndex, figure_facets.FigureIndex) matching some filters
    (`bits`), and for each facet the items matching every other filter, which its counts are
    taken over (OR within a facet, AND across)."""

    def __init__(self, index, parts):
        self.index = index
        self.parts = parts
        self.bits = self.others(None)

    def others(self, name):
        bits = self.index.everything
        for part_name, part in self.parts.items():
            if part_name != name:
                bits &= part
        return bits

    def count(self):
        return self.bits.bit_count()

    def ids(self, offset, limit):
        """The ids of the selected items from the `offset`-th to `offset + limit`, in index order."""
        return self.index.ids_at(self.bits, offset, limit)

    def counted(self, facet, name):
        """{value: items} of `facet` (an index attribute) over the items matching every filter
        but `name`, values with none left out."""
        among = self.others(name)
        return {key: n for key, bits in getattr(self.index, facet).items() if (n := (among & bits).bit_count())}

    def threat_counts(self, categories):
        """{category id: items} over every filter but the threat's: a parent counts the items
        with it or with any of its children."""
        among = self.others("threat")
        children = defaultdict(list)
        for category in categories:
            if category.parent_id is not None:
                children[category.parent_id].append(category.pk)
        threats = {}
        for category in categories:
            keys = [category.pk] if category.parent_id is not None else [category.pk, *children[category.pk]]
            threats[category.pk] = (among & self.index.any_of("threats", keys)).bit_count()
        return threats


class Selection(Selected):
    """The briefings matching some filters."""

    def year_counts(self):
        """[(year, briefings)] in timeline order, years with none left out."""
        return [(year, n) for year, n in self.index.per_year(self.bits).items() if n]

    def ranked_ids(self, ranking, offset, limit):
        """The selected briefings of `ranking` from the `offset`-th to `offset + limit`, most
        relevant first, then in timeline order."""
        found = []
        for _score, tier in ranking.tiers:
            part = self.bits & tier
            n = part.bit_count()
            if offset >= n:
                offset -= n
                continue
            found += self.index.ids_at(part, offset, limit - len(found))
            offset = 0
            if len(found) == limit:
                break
        return found

    def facet_counts(self, categories):
        """How many briefings each option of each facet would show if chosen."""
        return FacetCounts(threats=self.threat_counts(categories), countries=self.counted("countries", "country"),
                           speakers=self.counted("speakers", "speaker"), kinds=self.counted("kinds", "kind"))

    def judgement_counts(self, threat_ids=None, country_ids=None):
        """{(threat id, year): Counter of trends ("" for none)} of the published judgements of
        the selected dated briefings, limited to judgements on `threat_ids` and about any of
        `country_ids` when given."""
        cells = defaultdict(Counter)
        if country_ids:
            tallies = [((threat_id, trend), tally) for (threat_id, trend, countries), tally
                       in self.index.judgements_about.items() if country_ids.intersection(countries)]
        else:
            tallies = self.index.judgements.items()
        # The selection's part of each dated year that has any, read once; each judgement's
        # layers are counted on them year by year (Tally.by_year).
        data = self.bits.to_bytes(self.index.size, "little")
        selected = {span.year: part for span in self.index.spans
                    if span.year is not None and (part := int.from_bytes(data[span.bytes], "little"))}
        for (threat_id, trend), tally in tallies:
            if threat_ids and threat_id not in threat_ids:
                continue
            for layer in tally.by_year(self.index):
                for year, judged in layer:
                    if (part := selected.get(year)) and (n := (part & judged).bit_count()):
                        cells[(threat_id, year)][trend] += n
        return cells

    def judged_ids(self, threat_id, year):
        """The selected briefings of `year` with a judgement on `threat_id`."""
        index = self.index
        present = 0
        for (judged, _trend), tally in index.judgements.items():
            if judged == threat_id:
                present |= tally.present(self.bits)
        span = next(span for span in index.spans if span.year == year)
        part = int.from_bytes(present.to_bytes(index.size, "little")[span.bytes], "little")
        return [index.ids[position] for position in _positions(part, span.bytes.start << 3)]

    def subject_weights(self, years):
        """{year: {threat id: published figures and judgements about it}} for `years`, over the
        selected briefings of each whole year."""
        wanted = [span for span in self.index.spans if span.year in years]
        weights = defaultdict(dict)
        for threat_id, tally in self.index.subjects.items():
            for span in wanted:
                in_year = ((1 << span.size) - 1) << span.first
                if n := tally.count(self.bits & in_year):
                    weights[span.year][threat_id] = n
        return weights


@dataclass
class FacetCounts:
    threats: dict
    countries: dict
    speakers: dict
    kinds: dict


def coverage(index):
    """What the record holds, whatever the filters: how many briefings, which years, which are
    missing between the first and the last, and where the texts come from."""
    roles = dict(Source.Role.choices)
    years = sorted(span.year for span in index.spans if span.year is not None)
    held = set(years)
    missing = [year for year in range(years[0], years[-1] + 1) if year not in held] if years else []
    return Coverage(
        briefings=index.everything.bit_count(),
        years=years,
        missing=missing,
        undated=sum(span.size for span in index.spans if span.year is None),
        sources=[(roles.get(role, role), n) for role, n in sorted(index.sources.items(), key=lambda r: (-r[1], r[0]))],
    )


def change_over_time(selection, categories, *, threat_ids=(), country_ids=()):
    """The published judgements of the selected briefings as rows of categories by columns of
    years: (years ascending, [(category, [MatrixCell per year])]).

    A cell lists its judgements when it has at most CELL_JUDGEMENTS; a crowded one shows how
    many there are and how many say rising, steady or falling, so the matrix stays the same size
    however many briefings a year has. The counts come from the index; one query fetches the
    judgements of the uncrowded cells (of the few briefings the index says hold them). Rows are
    limited to `threat_ids` (chosen threats with their children) and, when `country_ids` are
    given, to judgements about those countries. `categories` is the full category list."""
    country_ids = set(country_ids)
    by_cell = {}
    for key, trends in selection.judgement_counts(set(threat_ids), country_ids).items():
        by_cell[key] = MatrixCell(sum(trends.values()), {trend: trends[trend] for trend in TRENDS}, [])
    few = {key for key, cell in by_cell.items() if not cell.crowded}
    holders = {pk for threat_id, year in few for pk in selection.judged_ids(threat_id, year)}
    # With no uncrowded cell the query still runs (pk=None matches nothing), so the number of
    # queries is the same whatever the data.
    listed = Assessment.objects.published().filter(Q(speech_id__in=holders) if holders else Q(pk=None))
    if country_ids:
        listed = listed.filter(
            Exists(Assessment.countries.through.objects.filter(assessment=OuterRef("pk"), country__in=country_ids))
        )
    for row in listed.order_by("speech__date", "id").values_list("pk", "threat_id", "speech__date", "trend", "summary",
                                                                  "speech__slug"):
        judgement = Judgement(row[0], row[1], row[2].year, *row[3:])
        key = (judgement.threat_id, judgement.year)
        if key in few:
            by_cell[key].assessments.append(judgement)

    years = sorted({year for _threat, year in by_cell})
    by_id = {category.pk: category for category in categories}
    # A child's row sits under its parent's, so the parent gets a row even without judgements.
    shown = {threat_id for threat_id, _year in by_cell}
    shown |= {by_id[threat_id].parent_id for threat_id in shown if by_id[threat_id].parent_id}
    ordered = sorted((by_id[pk] for pk in shown), key=lambda c: (c.position, c.name))
    empty = MatrixCell(0, {}, [])
    rows = [(category, [by_cell.get((category.pk, year), empty) for year in years]) for category in ordered]
    return years, rows


# ------------------------------------------------------------- building and keeping


def build(token=None):
    """The index of the published briefings, in ten queries: the briefings, their threats,
    their countries, the published judgements and their countries, the published figures per
    briefing and threat, the source documents, and the filter panel's three option lists."""
    order = [F("date").desc(nulls_last=True), "title", "id"]
    rows = list(Speech.objects.published().order_by(*order).annotate(year=Year("date"))
                .values_list("id", "year", "kind", "speaker_id"))
    ids, starts, position = [], [], {}  # starts: (year, its first position)
    for pk, year, _kind, _speaker in rows:
        if not starts or starts[-1][0] != year:
            ids += [None] * (-len(ids) % 8)  # each year starts on a byte
            starts.append((year, len(ids)))
        position[pk] = len(ids)
        ids.append(pk)
    ends = [first for _year, first in starts[1:]] + [len(ids)] if starts else []
    spans = [Span(year, first, len([pk for pk in ids[first:end] if pk is not None]))
             for (year, first), end in zip(starts, ends, strict=True)]
    size = (len(ids) + 7) >> 3

    def sets(pairs):
        grouped = defaultdict(list)
        for pk, key in pairs:
            if pk in position:
                grouped[key].append(position[pk])
        return {key: _bits(positions, size) for key, positions in grouped.items()}

    published = Status.PUBLISHED
    threats = sets(Speech.threats.through.objects.values_list("speech_id", "threatcategory_id").iterator())
    countries = sets(Speech.countries.through.objects.values_list("speech_id", "country_id").iterator())
    speakers = sets((pk, speaker) for pk, _date, _kind, speaker in rows)
    kinds = sets((pk, kind) for pk, _date, kind, _speaker in rows)

    about = defaultdict(list)
    for assessment_id, country_id in Assessment.countries.through.objects.filter(
        assessment__status=published
    ).values_list("assessment_id", "country_id").order_by("country_id").iterator():
        about[assessment_id].append(country_id)
    judged, judged_about = defaultdict(Counter), defaultdict(Counter)
    subjects = defaultdict(Counter)
    for pk, speech_id, threat_id, trend in Assessment.objects.filter(status=published).values_list(
        "id", "speech_id", "threat_id", "trend"
    ).iterator():
        if speech_id in position:
            judged[(threat_id, trend)][position[speech_id]] += 1
            if pk in about:
                judged_about[(threat_id, trend, tuple(about[pk]))][position[speech_id]] += 1
            subjects[threat_id][position[speech_id]] += 1
    for speech_id, threat_id, n in Statistic.objects.filter(status=published, threat__isnull=False).values_list(
        "speech_id", "threat_id"
    ).annotate(n=Count("id")).order_by().iterator():
        if speech_id in position:
            subjects[threat_id][position[speech_id]] += n
    subjects.pop(None, None)
    sources = Counter(dict(Source.objects.filter(speech__status=published).values_list("role")
                           .annotate(n=Count("id")).order_by()))
    return FacetIndex(
        token=token, ids=ids, spans=spans, size=size, everything=_bits(position.values(), size),
        threats=threats, countries=countries, speakers=speakers, kinds=kinds,
        judgements={key: Tally.of(counts, size) for key, counts in judged.items()},
        judgements_about={key: Tally.of(counts, size) for key, counts in judged_about.items()},
        subjects={key: Tally.of(counts, size) for key, counts in subjects.items()},
        sources=sources, lists={name: value for name, value in filter_options(years=()).items() if name != "years"},
    )


SHARED_FOR = 60 * 60  # seconds an index stays in the shared cache (a newer token retires it sooner)


class Kept:
    """An index (`build(token)`) for content version `token`: the one this process keeps if it
    is for that version; else the one another process built and left in the shared cache
    (Django's cache, which every worker shares, under `name:token`); else built here and left
    there for the others. Once, however many threads and processes ask at the same time: the
    others wait for it (pagecache.built_once). With no token, built for the caller alone."""

    def __init__(self, name, build, kind):
        # The shared cache outlives a release: an index pickled by code with other fields
        # would load without them. The key names the fields of the index's class.
        self.name = f"{name}:{hashlib.md5(' '.join(kind.__dataclass_fields__).encode()).hexdigest()[:8]}"
        self.build = build
        self.kept = None
        self.building = threading.Lock()

    def __call__(self, token):
        if token is None:
            return self.build()
        kept = self.kept
        if kept is not None and kept.token == token:
            return kept
        with self.building:
            if self.kept is None or self.kept.token != token:
                key = f"{self.name}:{token}"

                def build():
                    index = self.build(token)
                    cache.set(key, index, SHARED_FOR)
                    return index

                self.kept = pagecache.built_once(key, lambda: cache.get(key), build)
            return self.kept


current = Kept("facet-index", build, FacetIndex)


def search_ranking(request, index, q):
    """The Ranking of the briefings matching `q` (None without one), found once per search and
    content version (pagecache.reuse) for every page, fragment and API answer of it."""
    if not q:
        return None
    return pagecache.reuse(request, ["ranking", q], lambda: index.ranking(matching_speech_scores(q)))
