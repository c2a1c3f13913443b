"""A curator's journey: import a document by upload, review its drafts in place (accept, edit,
reject, with the version check), publish the briefing (asked first while drafts are pending)
and see it public. Run on SQLite and on PostgreSQL like the rest of the suite."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from briefings.models import Speech, Statistic, Status

pytestmark = pytest.mark.django_db

DOCUMENT = (
    "Skip to main content\nThe current national threat level is SUBSTANTIAL\n\n"
    "Since the spring we have disrupted 9 late-stage attack plots.\n\n"
    "We opened 400 new investigations into Russian state threats, and 12 officers joined the team.\n\n"
    "© Crown copyright 2025\n"
)


@pytest.fixture
def curator_client(client, seeded):
    call_command("create_curator_group", verbosity=0)
    user = User.objects.create_user("cora", is_staff=True)
    user.groups.add(Group.objects.get(name="curator"))
    client.force_login(user)
    return client


def imported(client):
    response = client.post("/admin/briefings/speech/import/", {
        "speaker": "ken-mccallum", "date": "2025-12-01", "title": "Winter threat update", "kind": "speech",
        "document": SimpleUploadedFile("winter.txt", DOCUMENT.encode()),
    })
    speech = Speech.objects.get(title="Winter threat update")
    assert response["Location"] == f"/briefings/{speech.slug}/review/"
    return speech


def answer(client, draft, action, version=None, htmx=True, **fields):
    data = {f"d{draft.pk}-{name}": value for name, value in {
        "measure": draft.measure, "value_text": draft.value_text, "value": draft.value, "unit": draft.unit,
        "threat": draft.threat_id or "", "version": draft.version if version is None else version, **fields}.items()}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/briefings/{draft.speech.slug}/review/{draft.pk}/", {**data, "action": action}, headers=headers)


def test_a_curator_imports_reviews_publishes_and_the_briefing_is_public(curator_client, client):
    speech = imported(curator_client)
    assert speech.status == Status.DRAFT
    page = curator_client.get(f"/briefings/{speech.slug}/review/").content.decode()
    assert "<strong>3</strong> drafts left to review" in page
    assert "¶2</span> Since the spring we have disrupted 9 late-stage attack plots" in page  # each draft inside its paragraph
    assert "threat level" not in page  # page furniture is not a paragraph with drafts
    plots, investigations, officers = (speech.statistics.get(value=v) for v in (9, 400, 12))

    accepted = answer(curator_client, plots, "accept")
    fragment = accepted.content.decode()
    assert "Accepted" in fragment and 'hx-swap-oob="true"' in fragment and "<strong>2</strong> drafts left" in fragment
    assert "HX-Request" in accepted["Vary"]
    assert Statistic.objects.get(pk=plots.pk).status == Status.PUBLISHED

    edited = answer(curator_client, investigations, "save", measure="state threat investigations opened")
    assert "Saved; still a draft." in edited.content.decode()
    investigations.refresh_from_db()
    assert (investigations.measure, investigations.status, investigations.version) == (
        "state threat investigations opened", Status.DRAFT, 2)

    stale = answer(curator_client, investigations, "save", version=1, measure="something else")
    assert "saved this statistic after you opened it" in stale.content.decode()
    assert Statistic.objects.get(pk=investigations.pk).measure == "state threat investigations opened"

    rejected = answer(curator_client, officers, "reject", htmx=False)
    assert rejected["Location"] == f"/briefings/{speech.slug}/review/"
    assert not Statistic.objects.filter(pk=officers.pk).exists()

    # One draft is still pending: publishing asks first.
    asked = curator_client.post(f"/briefings/{speech.slug}/review/publish/")
    assert "1 draft still pending" in asked.content.decode()
    assert Speech.objects.get(pk=speech.pk).status == Status.DRAFT
    done = curator_client.post(f"/briefings/{speech.slug}/review/publish/", {"confirmed": "yes"})
    assert done["Location"] == speech.get_absolute_url()

    curator_client.logout()
    public = curator_client.get(speech.get_absolute_url()).content.decode()
    assert "Draft — not public" not in public and "late-stage attack plots" in public
    assert "state threat investigations opened" not in public  # still a draft
    assert "Winter threat update" in curator_client.get("/").content.decode()


def test_the_review_page_is_for_staff_with_the_right_to_change_statistics(client, seeded):
    speech = Speech.objects.first()
    assert client.get(f"/briefings/{speech.slug}/review/")["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("viewer", is_staff=True))
    assert client.get(f"/briefings/{speech.slug}/review/").status_code == 403


def test_the_review_page_costs_a_fixed_number_of_queries(curator_client, django_assert_num_queries):
    """Nine, whatever the number of drafts: session and user (2), the briefing, the curator's
    permissions (2: the user's and the group's), the drafts with their sources and threats, the
    threat options once for every form, and the count left (2: statistics and assessments)."""
    speech = imported(curator_client)
    with django_assert_num_queries(9):
        curator_client.get(f"/briefings/{speech.slug}/review/")
    Statistic.objects.create(speech=speech, source=speech.sources.get(), measure="more", value=1, value_text="1",
                             quote="We opened 400 new investigations", status=Status.DRAFT)
    with django_assert_num_queries(9):
        curator_client.get(f"/briefings/{speech.slug}/review/")
