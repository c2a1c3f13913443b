from django import forms
from django.core.validators import RegexValidator

from .models import Country, Speaker, Speech, Statistic, ThreatCategory

MAX_QUERY_LENGTH = 200
FIRST_YEAR, LAST_YEAR = 1900, 2100

# Control characters (other than tab and line breaks) mean nothing in a search and cannot be
# written into XML 1.0, so the Atom feed, whose title repeats the search, would fail on them.
no_control_characters = RegexValidator(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]", inverse_match=True, code="control_characters",
    message="Control characters are not allowed, so this filter was ignored.",
)


class SlugMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset, noun, **kwargs):
        super().__init__(
            queryset,
            to_field_name="slug",
            required=False,
            error_messages={
                "invalid_choice": f"There is no {noun} “%(value)s”, so this filter was ignored.",
                "invalid_pk_value": f"“%(pk)s” is not a {noun}, so this filter was ignored.",
            },
            **kwargs,
        )


class TimelineFilterForm(forms.Form):
    """Parses the timeline's query string. The URL is the contract: these names are the
    public parameters (`threat` and `country` repeat; several values mean OR). `page` is not a
    filter: it picks a page of the timeline, the explorer or the JSON API."""

    threat = SlugMultipleChoiceField(ThreatCategory.objects.all(), "threat category")
    country = SlugMultipleChoiceField(Country.objects.all(), "country")
    speaker = forms.ModelChoiceField(
        Speaker.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no such speaker, so this filter was ignored."},
    )
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *Speech.Kind.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of briefing, so this filter was ignored."},
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        validators=[no_control_characters],
        error_messages={
            "max_length": "Search text can be at most %(limit_value)d characters (this has %(show_value)d), "
            "so the search was ignored."
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword, so the year fields are added by name.
        for name, label in (("from", "From year"), ("to", "To year")):
            self.fields[name] = forms.IntegerField(
                label=label,
                required=False,
                min_value=FIRST_YEAR,
                max_value=LAST_YEAR,
                error_messages={
                    "invalid": "Enter a year such as 2021; this filter was ignored.",
                    "min_value": f"Enter a year from {FIRST_YEAR}; this filter was ignored.",
                    "max_value": f"Enter a year up to {LAST_YEAR}; this filter was ignored.",
                },
            )

    def clean(self):
        cleaned = super().clean()
        year_from, year_to = cleaned.get("from"), cleaned.get("to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error("to", f"“To” ({year_to}) is before “from” ({year_from}), so the year range was ignored.")
            cleaned.pop("from", None)
        return cleaned

    def filters(self):
        """The valid filters as keyword arguments for `selectors.filter_speeches`; invalid
        ones are left out (and their errors shown next to them)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "threats": list(data.get("threat") or []),
            "countries": list(data.get("country") or []),
            "speaker": data.get("speaker"),
            "kind": data.get("kind") or "",
            "year_from": data.get("from"),
            "year_to": data.get("to"),
            "q": data.get("q") or "",
        }


class StatisticFilterForm(TimelineFilterForm):
    """The timeline's filters plus an exact `measure`, which only the statistics views take."""

    measure = forms.CharField(
        required=False, max_length=Statistic._meta.get_field("measure").max_length, validators=[no_control_characters]
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
        error_messages={"invalid_choice": "“%(value)s” is not a sort order; showing newest first."},
    )
