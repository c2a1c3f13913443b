"""The figure index: the published figures' facets as bitsets, kept per content version, for the
statistics explorer and /api/statistics.json, as facets.py keeps the briefings' for the timeline.

The explorer counts figures, not briefings: how many each threat, country and attribution
would show, how many each measure has and in how many briefings, and how many match in all.
Counted in SQL those were aggregates over every figure (at 10,000 briefings, 100,000 figures,
they were two-thirds of a cold explorer page; at 100,000 briefings, ten times that). Here bit i
is the figure at position i in the explorer's own order (newest briefing first, undated last,
then by briefing and in curation order), and each facet value is the set of figures that have
it: the figure's own threat, countries, attribution and measure, and its briefing's speaker,
kind and year. Filtering is ANDs and ORs, counting is `int.bit_count()`, and the page of the
table is read off the selected bits.

A briefing's figures are neighbours, so "in how many briefings" is one addition: within each
briefing's run of positions, adding a run of ones below its last position carries into that
position exactly when a selected figure lies below it (`FigureIndex.briefings`).

Built in two queries, kept per process and shared between processes like the facet index
(facets.Kept): rebuilt once after each change, in the background by the process that made it
(the explorer is among the pages pagecache.warm_pages rebuilds).
"""

from array import array
from collections import defaultdict
from dataclasses import dataclass

from django.db import connections
from django.db.models import F

from . import pagecache
from .facets import Kept, Selected, Sets, _bits, _positions
from .models import Statistic
from .selectors import Year, expand_threats, matching_speech_scores

CHUNK = 4096  # bytes of a set read at a time when looking for a page's positions
CHUNK_ROWS = 10_000  # rows read at a time when building


@dataclass
class FigureIndex(Sets):
    token: str | None
    ids: array  # the figure id at each position
    size: int  # bytes in every set
    everything: int
    threats: dict  # threat id (None for none): the figures about it
    countries: dict  # country id: the figures about it
    whose: dict  # attribution: the figures of those words
    measures: dict  # measure, as written: its figures
    speakers: dict  # speaker id: the figures of their briefings
    kinds: dict  # kind: the figures of briefings of that kind
    years: dict  # year (None: undated): the figures of that year's briefings
    runs: dict  # briefing id: (its first position, one past its last)
    lasts: int  # the last position of each briefing's run
    below_last: int  # every other position

    def of_briefings(self, ids):
        """The figures of the given briefings."""
        runs = [self.runs[pk] for pk in ids if pk in self.runs]
        return _bits((position for first, end in runs for position in range(first, end)), self.size)

    def briefings(self, bits):
        """In how many briefings the figures of `bits` are."""
        carried = ((bits & self.below_last) + self.below_last) | bits
        return (carried & self.lasts).bit_count()

    def ids_at(self, bits, offset, limit):
        """The ids of the figures of `bits` from the `offset`-th to `offset + limit`, in order."""
        data = bits.to_bytes(self.size, "little")
        found = []
        for start in range(0, self.size, CHUNK):
            part = int.from_bytes(data[start:start + CHUNK], "little")
            n = part.bit_count()
            if offset >= n:
                offset -= n
                continue
            found += _positions(part, start << 3, limit=offset + limit - len(found))[offset:]
            offset = 0
            if len(found) == limit:
                break
        return [self.ids[position] for position in found]

    def select(self, filters, matched_ids=None, *, categories):
        """The figures matching `filters` (a forms.Filters) at the figure's level, as
        selectors.filter_statistics defines it; `matched_ids`: the briefings matching its `q`."""
        parts = {}
        if filters.threats:
            parts["threat"] = self.any_of("threats", expand_threats(filters.threats, categories))
        if filters.countries:
            parts["country"] = self.any_of("countries", [country.pk for country in filters.countries])
        if filters.whose:
            parts["whose"] = self.any_of("whose", filters.whose)
        if filters.measure:
            parts["measure"] = self.measures.get(filters.measure, 0)
        if filters.speaker is not None:
            parts["speaker"] = self.speakers.get(filters.speaker.pk, 0)
        if filters.kind:
            parts["kind"] = self.kinds.get(filters.kind, 0)
        if filters.year_from is not None or filters.year_to is not None:
            parts["years"] = self.any_of("years", [
                year for year in self.years if year is not None
                and (filters.year_from is None or year >= filters.year_from)
                and (filters.year_to is None or year <= filters.year_to)
            ])
        if filters.q:
            parts["q"] = self.of_briefings(matched_ids or ())
        return FigureSelection(self, parts)


@dataclass
class FigureCounts:
    """How many figures each option of the statistics facets would show (each applying the
    other active filters), and `total`, how many match every filter."""

    threats: dict
    countries: dict
    whose: dict
    measures: list  # [(measure, figures)] in alphabetical order
    total: int


def _alphabetical(measure):
    """"MI5 staff" among the m's, not before every lower-case measure."""
    return measure.casefold(), measure


class FigureSelection(Selected):
    """The figures matching some filters."""

    def counts(self, categories):
        """FigureCounts. A parent threat counts its own figures and its children's."""
        measures = self.counted("measures", "measure")
        return FigureCounts(
            threats=self.threat_counts(categories), countries=self.counted("countries", "country"),
            whose=self.counted("whose", "whose"),
            measures=[(measure, measures[measure]) for measure in sorted(measures, key=_alphabetical)],
            total=self.count(),
        )

    def series(self):
        """[(measure, figures, briefings)] of the selected figures, for the measures found in two
        or more briefings, in alphabetical order."""
        found = []
        for measure, bits in self.index.measures.items():
            chosen = self.bits & bits
            if chosen.bit_count() >= 2 and (briefings := self.index.briefings(chosen)) >= 2:
                found.append((measure, chosen.bit_count(), briefings))
        return sorted(found, key=lambda row: _alphabetical(row[0]))


# ------------------------------------------------------------- building and keeping


class _Coded:
    """A column read a chunk at a time: each distinct value gets a code, and each position the
    code of its value (`keys[code]` is the value)."""

    def __init__(self):
        self.code = {}
        self.codes = array("H")

    def extend(self, values):
        for value in set(values).difference(self.code):
            self.code[value] = len(self.code)
        self.codes.extend(map(self.code.__getitem__, values))

    def sets(self, size, key=lambda value: value):
        """{key(value): the set of positions holding it}. Up to 256 distinct values in C: the codes
        as bytes, reversed and translated to "1" where a value stands and "0" elsewhere, are read
        as a binary number."""
        if len(self.code) > 256:
            grouped = defaultdict(list)
            for position, code in enumerate(self.codes):
                grouped[code].append(position)
            return {key(value): _bits(grouped[code], size) for value, code in self.code.items()}
        codes = array("B", self.codes).tobytes()[::-1]
        return {key(value): int(codes.translate(bytes(49 if byte == code else 48 for byte in range(256))), 2)
                for value, code in self.code.items()}


def build(token=None):
    """The index of the published figures of published briefings, in two queries: the figures
    in the explorer's order with their briefing's facets, read in chunks into compact arrays
    (a million figures at 100,000 briefings), and their countries."""
    figures = (
        Statistic.objects.published()
        .order_by(*NEWEST_FIRST)
        .annotate(year=Year("speech__date"))
        .values_list("id", "speech_id", "threat_id", "attribution", "measure", "speech__speaker_id",
                     "speech__kind", "year")
    )
    ids, speeches, columns = array("q"), array("q"), [_Coded() for _ in range(6)]
    sql, params = figures.query.sql_with_params()
    with connections[figures.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            pks, speech_ids, *values = zip(*chunk, strict=True)
            ids.extend(pks)
            speeches.extend(speech_ids)
            for column, column_values in zip(columns, values, strict=True):
                column.extend(column_values)
    size = (len(ids) + 7) >> 3

    runs, lasts, previous = {}, [], None
    for index, speech_id in enumerate(speeches):
        if speech_id != previous:
            if lasts:
                lasts[-1] = index - 1
                runs[previous] = (runs[previous], index)
            runs[speech_id], previous = index, speech_id
            lasts.append(index)
    if lasts:
        lasts[-1] = len(ids) - 1
        runs[previous] = (runs[previous], len(ids))
    del speeches

    position = dict(zip(ids, range(len(ids)), strict=True))
    countries = defaultdict(list)
    for statistic_id, country_id in Statistic.countries.through.objects.values_list(
        "statistic_id", "country_id"
    ).iterator(chunk_size=CHUNK_ROWS):
        if (found := position.get(statistic_id)) is not None:
            countries[country_id].append(found)
    del position
    everything = (1 << len(ids)) - 1
    last_bits = _bits(lasts, size)
    threats, whose, measures, speakers, kinds, years = columns
    return FigureIndex(
        token=token, ids=ids, size=size, everything=everything,
        threats=threats.sets(size), countries={key: _bits(found, size) for key, found in countries.items()},
        whose=whose.sets(size), measures=measures.sets(size), speakers=speakers.sets(size),
        kinds=kinds.sets(size), years=years.sets(size, key=lambda year: None if year is None else int(year)),
        runs=runs, lasts=last_bits, below_last=everything & ~last_bits,
    )


# The explorer's default order, which the index's positions follow: newest briefing first,
# undated last, a briefing's figures together, in curation order.
NEWEST_FIRST = (F("speech__date").desc(nulls_last=True), "speech_id", "id")

current = Kept("figure-index", build, FigureIndex)


def selected(request, filters, categories):
    """The figures matching `filters`, from the index kept for the content version `request`
    was read at; a search's briefings are found once per search and version
    (selectors.matching_speech_scores), for every page and fragment of it."""
    matched = pagecache.reuse(
        request, ["matched", filters.q], lambda: set(matching_speech_scores(filters.q))
    ) if filters.q else None
    return current(getattr(request, "page_cache_token", None)).select(filters, matched, categories=categories)
