"""The one filter value (forms.Filters) and the bounds on what a request may ask for."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from briefings.forms import MAX_VALUES, StatisticFilterForm, TimelineFilterForm

pytestmark = pytest.mark.django_db

HOSTILE_THREATS = "&".join(f"threat={i}" for i in range(371))


def filters_for(query, form_class=TimelineFilterForm):
    return form_class(QueryDict(query)).filters()


class TestFiltersValue:
    def test_typed_values_and_the_canonical_query(self, seeded):
        filters = filters_for("q=+plots+&to=2021&country=iran&threat=cyber&country=china&speaker=ken-mccallum&from=2020")
        assert [c.slug for c in filters.threats] == ["cyber"]
        assert [c.slug for c in filters.countries] == ["china", "iran"]
        assert filters.speaker.slug == "ken-mccallum"
        assert (filters.year_from, filters.year_to, filters.q) == (2020, 2021, "plots")
        # A fixed order whatever the URL's: threat, country, speaker, kind, from, to, q.
        assert filters.querystring() == (
            "?threat=cyber&country=china&country=iran&speaker=ken-mccallum&from=2020&to=2021&q=plots"
        )
        assert filters.url(page=2).startswith("/?threat=cyber&") and filters.url(page=2).endswith("&q=plots&page=2")

    def test_without_one_value_or_a_whole_parameter(self, seeded):
        filters = filters_for("country=iran&country=china&kind=interview")
        assert filters.without("country", "iran").querystring() == "?country=china&kind=interview"
        assert filters.without("country").querystring() == "?kind=interview"
        assert filters.without("kind").without("country").url() == "/"
        assert not filters.without("kind").without("country")

    def test_chips_name_each_value_and_link_to_the_rest(self, seeded):
        chips = filters_for("kind=interview&country=iran").chips
        assert [(chip.label, chip.value, chip.remove_url) for chip in chips] == [
            ("Country", "Iran", "/?kind=interview"),
            ("Kind", "Interview", "/?country=iran"),
        ]

    def test_facet_rows_count_and_mark_the_chosen_values(self, seeded):
        from briefings.models import Country

        filters = filters_for("country=iran&kind=interview")
        countries = list(Country.objects.filter(slug__in=["iran", "china"]).order_by("name"))
        rows = filters.facet("country", countries, {countries[0].pk: 4})
        assert [(r.value, r.label, r.count, r.selected) for r in rows] == [
            ("china", "China", 4, False),
            ("iran", "Iran", 0, True),
        ]
        kinds = filters.facet("kind", [("interview", "Interview"), ("speech", "Speech")], {"speech": 3})
        assert [(r.value, r.selected, r.count) for r in kinds] == [
            ("interview", True, 0),
            ("speech", False, 3),
        ]

    def test_whose_is_a_statistics_filter(self, seeded):
        filters = filters_for("whose=background&whose=speaker", StatisticFilterForm)
        assert filters.whose == ("speaker", "background")  # in the choices' order, so the URL is canonical
        assert filters.url() == "/statistics/?whose=speaker&whose=background"
        assert "The reporter's background" in filters.describe()


class TestBoundedInput:
    def test_repeated_values_are_deduplicated_and_capped(self, db):
        form = TimelineFilterForm(QueryDict("country=a&country=a&country=b&" + HOSTILE_THREATS))
        assert form.data.getlist("country") == ["a", "b"]
        assert form.data.getlist("threat") == [str(i) for i in range(MAX_VALUES)]
        assert form.notices == [f"At most {MAX_VALUES} values of “threat” are read; 371 were given, so only the "
                                f"first {MAX_VALUES} are used."]

    def test_a_single_valued_parameter_takes_its_first_value_with_a_message(self, client, seeded):
        html = client.get("/?kind=interview&kind=speech&kind=interview").content.decode()
        assert "“kind” takes one value; 2 were given, so only the first (“interview”) is used." in html
        assert "Kind: <strong>Interview</strong>" in html and "Kind: <strong>Speech</strong>" not in html

    @pytest.mark.parametrize(
        "hostile, ordinary",
        [
            (f"/?{HOSTILE_THREATS}&q=zzz", "/?threat=0&q=zzz"),
            ("/?" + "&".join(["q=zzz"] * 682), "/?q=zzz"),
            (f"/statistics/?{HOSTILE_THREATS}&q=zzz", "/statistics/?threat=0&q=zzz"),
            (f"/api/briefings.json?{HOSTILE_THREATS.replace('threat=', 'country=')}", "/api/briefings.json?country=0"),
        ],
    )
    def test_a_hostile_url_costs_what_an_ordinary_one_does(self, client, seeded, hostile, ordinary):
        """Size and queries, measured, not time (these machines are noisy): before the bounds the
        first answered 2.1 MB, the second 4.7 MB, with a chip and links for every value."""
        sizes, queries = [], []
        for url in (hostile, ordinary):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            sizes.append(len(response.content))
            queries.append(len(captured))
        assert queries[0] == queries[1]
        assert sizes[0] < sizes[1] * 1.1 + 2000  # the notice and the echoed first values, no more

    def test_the_remove_filter_suggestion_costs_one_query_per_parameter(self, client, seeded):
        """Removing one of several values of a parameter never brings more back (they mean OR),
        so the suggestion counts once per parameter, however many values each has."""
        few = "/?country=somalia&speaker=andrew-parker"
        many = "/?" + "&".join(f"country={slug}" for slug in ["somalia", "afghanistan"]) + "&speaker=andrew-parker"
        counted = []
        for url in (few, many):
            with CaptureQueriesContext(connection) as captured:
                html = client.get(url).content.decode()
            assert "Remove that filter" in html
            counted.append(len(captured))
        assert counted[0] == counted[1]
