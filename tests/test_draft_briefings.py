"""A briefing has a status: a draft (a new import) is absent from every public page, API and
export, its address is a 404 for the public, and staff see it as a preview under a banner."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from briefings.models import Speech, Statistic, Status

from .factories import make_assessment, make_category, make_country, make_source, make_speech, make_statistic

pytestmark = pytest.mark.django_db

WORD = "zanzibarite"  # in the draft's text only, so search finds nothing else


@pytest.fixture
def briefings():
    """A published briefing and a draft with the same threat, country and year, each with a
    published figure and judgement."""
    threat, country = make_category(slug="espionage", name="Espionage"), make_country(slug="iran", name="Iran")
    shown = make_speech(title="Published briefing", threats=[threat], countries=[country],
                        date=datetime.date(2024, 5, 1))
    draft = make_speech(title="Draft briefing", threats=[threat], countries=[country], date=datetime.date(2024, 6, 1),
                        speaker=shown.speaker, status=Status.DRAFT)
    for speech, measure in ((shown, "plots disrupted"), (draft, "draft-only measure")):
        source = make_source(speech=speech, text=f"We disrupted 12 plots. Threats are rising. {WORD if speech is draft else ''}")
        make_statistic(speech=speech, source=source, measure=measure, threat=threat, countries=[country])
        make_assessment(speech=speech, source=source, threat=threat)
    return shown, draft


def public_view(client):
    """What the public can see of the two briefings on every public path."""
    page = client.get("/").content.decode()
    search = client.get("/", {"q": WORD}).content.decode()
    api = client.get("/api/briefings.json").json()
    statistics = client.get("/api/statistics.json").json()
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get("/statistics.csv").streaming_content).decode())))
    feed = client.get("/feed/").content.decode()
    explorer = client.get("/statistics/").content.decode()
    return {
        "timeline": "Draft briefing" in page,
        "search": "Draft briefing" in search,
        "api briefings": [item["title"] for item in api["results"]],
        "api statistics": sorted(row["measure"] for row in statistics["results"]),
        "csv": sorted(row["measure"] for row in rows),
        "feed": "Draft briefing" in feed,
        "explorer": "draft-only measure" in explorer,
    }


def test_a_draft_briefing_is_on_no_public_path_until_it_is_published(client, briefings):
    shown, draft = briefings
    assert public_view(client) == {
        "timeline": False, "search": False, "api briefings": ["Published briefing"],
        "api statistics": ["plots disrupted"], "csv": ["plots disrupted"], "feed": False, "explorer": False,
    }
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(shown.get_absolute_url()).status_code == 200

    draft.status = Status.PUBLISHED
    draft.save()
    view = public_view(client)
    assert view["timeline"] and view["search"] and view["feed"] and view["explorer"]
    assert view["api briefings"] == ["Draft briefing", "Published briefing"]
    assert view["api statistics"] == view["csv"] == ["draft-only measure", "plots disrupted"]
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_facet_counts_and_years_count_only_published_briefings(client, briefings):
    from briefings import facets, selectors
    from briefings.forms import Filters

    categories = list(selectors.filter_options()["categories"])
    index = facets.build()
    selection = index.select(Filters(), categories=categories)
    counts = selection.facet_counts(categories)
    shown, draft = briefings
    assert counts.speakers == {shown.speaker_id: 1}
    assert list(counts.countries.values()) == [1]
    assert selectors.filter_options()["years"] == [2024]
    assert selection.year_counts() == [(2024, 1)]
    assert facets.coverage(index).briefings == 1
    years, rows = facets.change_over_time(selection, categories)
    assert [cell.total for _category, cells in rows for cell in cells] == [1]


def test_statistics_of_a_draft_briefing_are_not_published(briefings):
    shown, draft = briefings
    assert set(Statistic.objects.published().values_list("speech__title", flat=True)) == {"Published briefing"}
    assert set(Speech.objects.published().values_list("title", flat=True)) == {"Published briefing"}


def test_staff_see_a_draft_as_a_preview_with_a_banner_and_it_is_never_cached_for_the_public(client, briefings):
    shown, draft = briefings
    staff = User.objects.create_user("editor", is_staff=True)
    client.force_login(staff)
    response = client.get(draft.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200 and "Draft — not public" in page and "We disrupted 12 plots" in page
    assert "no-cache" in response["Cache-Control"]
    assert "Draft — not public" not in client.get(shown.get_absolute_url()).content.decode()
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_public_briefing_page_does_not_link_to_a_draft_neighbour(client, briefings):
    shown, draft = briefings
    assert draft.get_absolute_url() not in client.get(shown.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_briefings_published():
    executor = MigrationExecutor(connection)
    executor.migrate([("briefings", "0005_content_version")])
    old = executor.loader.project_state([("briefings", "0005_content_version")]).apps
    speaker = old.get_model("briefings", "Speaker").objects.create(slug="s", name="S", role="DG")
    old.get_model("briefings", "Speech").objects.create(
        slug="old", title="Old", kind="speech", speaker=speaker, summary="", date_basis="x")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Speech.objects.get(slug="old").status == Status.PUBLISHED
    assert Speech._meta.get_field("status").default == Status.DRAFT


def change_form_data(speech, **changes):
    data = {
        "slug": speech.slug, "title": speech.title, "date": speech.date.isoformat(), "date_basis": speech.date_basis,
        "kind": speech.kind, "speaker": speech.speaker_id, "summary": speech.summary, "status": speech.status,
        "threats": [t.pk for t in speech.threats.all()], "countries": [c.pk for c in speech.countries.all()],
    }
    for prefix in ("sources", "statistics", "assessments"):  # the inlines, left as they are
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data | changes


def test_publishing_a_briefing_with_drafts_pending_asks_first_in_the_change_form(client, briefings):
    shown, draft = briefings
    make_statistic(speech=draft, source=draft.sources.get(), value=3, value_text="3", status=Status.DRAFT)
    client.force_login(User.objects.create_superuser("boss"))
    url = f"/admin/briefings/speech/{draft.pk}/change/"
    response = client.post(url, change_form_data(draft, status="published"))
    assert "still drafts" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    client.post(url, change_form_data(draft, status="published", publish_anyway="on"))
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_the_publish_action_confirms_briefings_with_drafts_pending(client, briefings):
    shown, draft = briefings
    make_statistic(speech=draft, source=draft.sources.get(), value=3, value_text="3", status=Status.DRAFT)
    client.force_login(User.objects.create_superuser("boss"))
    action = {"action": "publish_briefings", "_selected_action": [draft.pk]}
    response = client.post("/admin/briefings/speech/", action)
    assert "1 draft pending" in response.content.decode() and "Yes, publish 1 briefing" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    client.post("/admin/briefings/speech/", action | {"confirmed": "yes"})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
