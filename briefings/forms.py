"""The public filter parameters: parsed by a form into one `Filters` value.

The URL is the contract. `FilterForm` bounds the query first (unknown and empty parameters
dropped, repeated values de-duplicated, at most MAX_VALUES per repeatable parameter, the
first value of a single-valued one, each bound saying so in `form.notices`), then validates
it: an invalid value is left out with a message. `form.filters()` is the result, a `Filters`
value that every public page, export and the feed use: its typed values, its canonical
query string, `without()` one value, and facets as rows of (value, label, count, selected).
Adding a filter is one entry in PARAMETERS, one field and one attribute.
"""

import dataclasses
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import Truncator

from .models import Attribution, Country, Speaker, Speech, Statistic, ThreatCategory
from .text import has_control_characters

MAX_QUERY_LENGTH = 200
MAX_VALUES = 20  # values of one repeatable parameter that are read; the rest are dropped, with a notice
FIRST_YEAR, LAST_YEAR = 1900, 2100

# The filter parameters in their canonical order: public name, then the `Filters` attribute
# and the label a chip shows.
PARAMETERS = {
    "threat": ("threats", "Threat"),
    "country": ("countries", "Country"),
    "speaker": ("speaker", "Speaker"),
    "kind": ("kind", "Kind"),
    "from": ("year_from", "From"),
    "to": ("year_to", "To"),
    "q": ("q", "Search"),
    "whose": ("whose", "Whose words"),
    "measure": ("measure", "Measure"),
}
REPEATABLE = ("threat", "country", "whose")

# Control characters (other than tab and line breaks) mean nothing in a search and cannot be
# written into XML 1.0, so the Atom feed, whose title repeats the search, would fail on them.
def no_control_characters(value):
    if has_control_characters(value):
        raise ValidationError("Control characters are not allowed.", code="control_characters")


@dataclass(frozen=True)
class Chip:
    """One active filter value, with the address of the same filters without it."""

    name: str  # the parameter
    label: str  # the parameter in words
    value: str  # the value in words
    remove_url: str


@dataclass(frozen=True)
class FacetRow:
    """One option of a facet: its value, label and count, and whether it is chosen."""

    value: str
    label: str
    count: int
    selected: bool
    item: object = None  # the category, country or speaker, for templates that need more


@dataclass(frozen=True)
class FacetGroup:
    """One facet of the shared filter panel (templates/briefings/_filter_panel.html): its
    parameter, legend and rows, with the form's errors for it. `any_label` makes it a choice of
    one (radio buttons, led by that "any" option); otherwise its rows are checkboxes."""

    name: str
    legend: str
    rows: list
    errors: list = ()
    any_label: str = ""
    hint: str = ""
    two_columns: bool = False

    @property
    def none_selected(self):
        return not any(row.selected for row in self.rows)


@dataclass(frozen=True)
class Filters:
    """The valid filters of a request, typed. `path` is the page their URLs point to.

    Briefing-level: `threats` and `countries` (several mean OR; a parent threat includes its
    children), `speaker`, `kind`, `year_from`, `year_to`, `q`. The statistics views read
    `threats` and `countries` at the figure's level, and also take `whose` (attributions)
    and `measure`."""

    threats: tuple = ()
    countries: tuple = ()
    speaker: Speaker | None = None
    kind: str = ""
    year_from: int | None = None
    year_to: int | None = None
    q: str = ""
    whose: tuple = ()
    measure: str = ""
    path: str = ""

    # --- values

    def values(self, name):
        """The parameter's values as they stand in the URL (slugs, years as digits)."""
        value = getattr(self, PARAMETERS[name][0])
        if value is None or value == "":
            return []
        items = value if isinstance(value, tuple) else (value,)
        return [item.slug if hasattr(item, "slug") else str(item) for item in items]

    def _label(self, name, value):
        attribute = getattr(self, PARAMETERS[name][0])
        for item in attribute if isinstance(attribute, tuple) else (attribute,):
            if hasattr(item, "slug") and item.slug == value:
                return item.name
        if name == "kind":
            return Speech.Kind(value).label
        if name == "whose":
            return Attribution(value).label
        return value

    def __bool__(self):
        return any(self.values(name) for name in PARAMETERS)

    @property
    def selected(self):
        """{parameter: set of values} for repeatable ones, {parameter: value or ""} otherwise."""
        return {name: set(self.values(name)) if name in REPEATABLE else next(iter(self.values(name)), "")
                for name in PARAMETERS}

    def briefing_filters(self):
        """Keyword arguments for `selectors.filter_speeches`."""
        return {"threats": list(self.threats), "countries": list(self.countries), "speaker": self.speaker,
                "kind": self.kind, "year_from": self.year_from, "year_to": self.year_to, "q": self.q}

    # --- addresses

    def query(self, **extra):
        """The canonical query: every filter value in a fixed order, then `extra` (e.g. page)
        where not None."""
        query = QueryDict(mutable=True)
        for name in PARAMETERS:
            if values := self.values(name):
                query.setlist(name, values)
        for name, value in extra.items():
            if value is not None:
                query[name] = str(value)
        return query

    def querystring(self, **extra):
        """"?…" for the canonical query, or "" when there is nothing to say."""
        encoded = self.query(**extra).urlencode()
        return f"?{encoded}" if encoded else ""

    def url(self, path=None, **extra):
        return (path or self.path or reverse("briefings:timeline")) + self.querystring(**extra)

    def without(self, name, value=None):
        """These filters without one value of a parameter (or the whole parameter)."""
        attribute = PARAMETERS[name][0]
        current = getattr(self, attribute)
        if value is not None and isinstance(current, tuple):
            kept = tuple(item for item in current if (item.slug if hasattr(item, "slug") else item) != value)
            return dataclasses.replace(self, **{attribute: kept})
        return dataclasses.replace(self, **{attribute: _DEFAULTS[attribute]})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    # --- what the page shows

    @property
    def chips(self):
        """One chip per active value, each linking to these filters without it."""
        return [
            Chip(name, label, self._label(name, value), self.without(name, value).url())
            for name, (_attribute, label) in PARAMETERS.items()
            for value in self.values(name)
        ]

    def chip_for(self, name):
        """One chip for a whole parameter (all its values), linking to these filters without it."""
        words = " or ".join(self._label(name, value) for value in self.values(name))
        return Chip(name, PARAMETERS[name][1], words, self.without(name).url())

    @property
    def active(self):
        return [name for name in PARAMETERS if self.values(name)]

    def facet(self, name, options, counts):
        """Rows of (value, label, count, selected) for a parameter's options:
        model instances (counts keyed by pk) or (value, label) choices (counts keyed by value)."""
        chosen = set(self.values(name))
        rows = []
        for option in options:
            if isinstance(option, tuple):
                value, label, key, item = option[0], option[1], option[0], None
            else:
                value, label, key, item = option.slug, option.name, option.pk, option
            rows.append(FacetRow(value, label, counts.get(key, 0), value in chosen, item))
        return rows

    def describe(self):
        """The active filters in words, e.g. "Terrorism, Iran or China, Ken McCallum, 2018–2023"."""
        if self.year_from and self.year_to:
            years = f"{self.year_from}–{self.year_to}"
        elif self.year_from:
            years = f"from {self.year_from}"
        elif self.year_to:
            years = f"to {self.year_to}"
        else:
            years = ""
        parts = [
            " or ".join(category.name for category in self.threats),
            " or ".join(country.name for country in self.countries),
            self.speaker.name if self.speaker else "",
            Speech.Kind(self.kind).label if self.kind else "",
            years,
            f"“{self.q}”" if self.q else "",
            " or ".join(Attribution(value).label for value in self.whose),
            self.measure,
        ]
        return ", ".join(part for part in parts if part)


_DEFAULTS = {field.name: field.default for field in dataclasses.fields(Filters)}


class SlugMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset, noun, **kwargs):
        super().__init__(
            queryset,
            to_field_name="slug",
            required=False,
            error_messages={
                "invalid_choice": f"There is no {noun} “%(value)s”.",
                "invalid_pk_value": f"“%(pk)s” is not a {noun}.",
            },
            **kwargs,
        )


def bound_query(query, names):
    """The query as the form reads it, and notices of what was dropped: only `names`, no empty
    values, each value once, at most MAX_VALUES of a repeatable parameter and the first value
    of any other. A URL of thousands of values then costs what an ordinary one does."""
    bounded, notices = QueryDict(mutable=True), []
    for name in names:
        values = list(dict.fromkeys(value for value in query.getlist(name) if value.strip()))
        limit = MAX_VALUES if name in REPEATABLE else 1
        if len(values) > limit:
            if limit == 1:
                first = Truncator(values[0]).chars(40)
                notices.append(f"“{name}” takes one value; {len(values)} were given, so only the first (“{first}”) "
                               "is used.")
            else:
                notices.append(f"At most {limit} values of “{name}” are read; {len(values)} were given, so only the "
                               f"first {limit} are used.")
        if values:
            bounded.setlist(name, values[:limit])
    return bounded, notices


class TimelineFilterForm(forms.Form):
    """Parses the timeline's query string. The URL is the contract: these names are the
    public parameters (`threat` and `country` repeat; several values mean OR). `page` is not a
    filter: it picks a page of the timeline, the explorer or the JSON API.

    Error messages say what is wrong; the page that shows them says what it did about it
    (the timeline and explorer ignore the filter, the exports answer 400)."""

    page_url_name = "briefings:timeline"

    threat = SlugMultipleChoiceField(ThreatCategory.objects.all(), "threat category")
    country = SlugMultipleChoiceField(Country.objects.all(), "country")
    speaker = forms.ModelChoiceField(
        Speaker.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no such speaker."},
    )
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *Speech.Kind.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of briefing."},
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        validators=[no_control_characters],
        error_messages={
            "max_length": "Search text can be at most %(limit_value)d characters (this has %(show_value)d)."
        },
    )

    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        error_messages={
            "invalid": "Enter a page number such as 2.",
            "min_value": "Pages are numbered from 1.",
            "max_value": "There is no such page.",
        },
    )

    def __init__(self, query=None, **kwargs):
        # `from` is a Python keyword, so the year fields are added by name.
        names = [*self.base_fields, "from", "to"]
        query = query if query is not None else QueryDict()
        self.tidy_query = QueryDict(mutable=True)  # the known, non-empty parameters as given
        for key in names:
            if values := [value for value in query.getlist(key) if value.strip()]:
                self.tidy_query.setlist(key, values)
        bounded, self.notices = bound_query(query, names)
        super().__init__(bounded, **kwargs)
        for name, label in (("from", "From year"), ("to", "To year")):
            self.fields[name] = forms.IntegerField(
                label=label,
                required=False,
                min_value=FIRST_YEAR,
                max_value=LAST_YEAR,
                error_messages={
                    "invalid": "Enter a year such as 2021.",
                    "min_value": f"Enter a year from {FIRST_YEAR}.",
                    "max_value": f"Enter a year up to {LAST_YEAR}.",
                },
            )

    def facet_group(self, name, legend, rows, **options):
        """A `FacetGroup` of this form's parameter `name`, carrying its errors."""
        return FacetGroup(name, legend, rows, errors=self.errors.get(name, []), **options)

    def needs_tidying(self, query):
        """True when `query` carries empty or unknown parameters, which a redirect drops."""
        return len(self.tidy_query.urlencode()) < len(query.urlencode())

    def clean(self):
        cleaned = super().clean()
        year_from, year_to = cleaned.get("from"), cleaned.get("to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error("to", f"“To” ({year_to}) is before “from” ({year_from}).")
            cleaned.pop("from", None)
        return cleaned

    def filters(self):
        """The valid filters as a `Filters` value; invalid ones are left out (and their errors
        shown next to them)."""
        self.is_valid()
        data = self.cleaned_data
        return Filters(
            threats=tuple(data.get("threat") or ()),
            countries=tuple(data.get("country") or ()),
            speaker=data.get("speaker"),
            kind=data.get("kind") or "",
            year_from=data.get("from"),
            year_to=data.get("to"),
            q=data.get("q") or "",
            whose=tuple(value for value in Attribution.values if value in (data.get("whose") or ())),
            measure=data.get("measure") or "",
            path=reverse(self.page_url_name),
        )


class TimelineForm(TimelineFilterForm):
    """The timeline's own parameters: the filters, `page` and the order of search results."""

    # Search results come most relevant first (selectors.RELEVANCE); "date" lists them by year, as
    # the timeline does without a search. Not a filter: like `page`, it only orders what matches.
    sort = forms.ChoiceField(
        choices=[("", "Most relevant first"), ("date", "By year, newest first")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a sort order: use “date”, or leave it out for relevance."},
    )


class StatisticFilterForm(TimelineFilterForm):
    """The timeline's filters plus what only the statistics views take: an exact `measure`
    and `whose` words a figure is (repeatable)."""

    page_url_name = "briefings:statistics"

    measure = forms.CharField(
        required=False, max_length=Statistic._meta.get_field("measure").max_length, validators=[no_control_characters]
    )
    whose = forms.MultipleChoiceField(
        choices=Attribution.choices,
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not one of: " + ", ".join(Attribution.values) + "."},
    )


class ExplorerForm(StatisticFilterForm):
    """The statistics explorer's parameters: the filters and a sort order."""

    SORTS = {
        "newest": "Newest briefing first",
        "oldest": "Oldest briefing first",
        "largest": "Largest value first",
        "smallest": "Smallest value first",
    }
    sort = forms.ChoiceField(
        choices=list(SORTS.items()),
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a sort order."},
    )
