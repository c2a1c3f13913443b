"""Curators in the admin: validation next to the field, the curator group's boundaries, history
with before and after, and the refusal to save over another curator's change."""

import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.forms import modelform_factory

from briefings.admin import VersionedForm
from briefings.management.commands.create_curator_group import CURATOR_PERMISSIONS
from briefings.models import Assessment, Speech, Statistic, Status

from .factories import make_assessment, make_country, make_source, make_statistic

pytestmark = pytest.mark.django_db

QUOTE_TEXT = "Since 2017 we have disrupted 43 late-stage plots.\nAround one in five investigations are new."


def statistic_form_data(statistic, **changes):
    data = {
        "speech": statistic.speech_id, "source": statistic.source_id, "status": statistic.status,
        "version": statistic.version, "measure": statistic.measure, "value_text": statistic.value_text,
        "value": "" if statistic.value is None else str(statistic.value), "qualifier": statistic.qualifier,
        "unit": statistic.unit, "threat": statistic.threat_id or "", "countries": [c.pk for c in statistic.countries.all()],
        "period": statistic.period, "period_start": "", "period_end": "", "quote": statistic.quote,
        "attribution": statistic.attribution, "note": statistic.note,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_url(item):
    return f"/admin/briefings/{item._meta.model_name}/{item.pk}/change/"


@pytest.fixture
def statistic():
    source = make_source(text=QUOTE_TEXT)
    return make_statistic(source=source, measure="late-stage plots disrupted", value=43, value_text="43",
                          quote="we have disrupted 43 late-stage plots.")


@pytest.fixture
def curator():
    call_command("create_curator_group", verbosity=0)
    user = User.objects.create_user("carol", password="a long curator password", is_staff=True)
    user.groups.add(Group.objects.get(name="curator"))
    return user


@pytest.fixture
def second_curator():
    user = User.objects.create_user("dave", password="another long password", is_staff=True)
    user.groups.add(Group.objects.get(name="curator"))
    return user


def field_errors(response, name):
    return response.context["adminform"].form.errors.get(name, [])


# Validation -----------------------------------------------------------------------------------


def test_a_quote_missing_from_the_source_is_refused_next_to_the_quote_field(client, curator, statistic):
    client.force_login(curator)
    response = client.post(change_url(statistic), statistic_form_data(statistic, quote="we have disrupted 44 plots."))
    assert response.status_code == 200
    [message] = field_errors(response, "quote")
    assert "not in the text" in message and "The first 3 words match" in message
    html = response.content.decode()
    assert re.search(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>This quote is not in the text', html)
    statistic.refresh_from_db()
    assert statistic.quote == "we have disrupted 43 late-stage plots."


def test_a_quote_with_other_line_breaks_and_spaces_is_accepted(client, curator, statistic):
    client.force_login(curator)
    quote = "Since  2017 we have\ndisrupted 43   late-stage plots. Around one"
    response = client.post(change_url(statistic), statistic_form_data(statistic, quote=quote))
    assert response.status_code == 302
    statistic.refresh_from_db()
    assert statistic.quote == quote


def test_the_source_must_belong_to_the_briefing(statistic):
    other_source = make_source(text=QUOTE_TEXT)
    statistic.source = other_source
    with pytest.raises(ValidationError) as error:
        statistic.full_clean()
    assert "source of another briefing" in error.value.message_dict["source"][0]


@pytest.mark.parametrize(
    ("value_text", "value", "unit", "accepted"),
    [
        ("43", 43, "plots", True),
        ("43", 44, "plots", False),
        ("one in five", 20, "percent", True),
        ("one in five", 25, "percent", False),
        ("over 20,000", 20000, "people", True),
        ("More than a dozen", 12, "people", True),
        ("forty-three", 43, "plots", True),
        ("more than a third", "33.33", "percent", True),
        ("thousands", 2000, "people", False),  # no number to check against: needs a note
    ],
)
def test_value_must_agree_with_the_value_as_written(statistic, value_text, value, unit, accepted):
    statistic.value_text, statistic.value, statistic.unit = value_text, value, unit
    if accepted:
        statistic.full_clean()
        return
    with pytest.raises(ValidationError) as error:
        statistic.full_clean()
    assert list(error.value.message_dict) == ["value"]
    assert f"“{value_text}”" in error.value.message_dict["value"][0]


def test_a_note_explains_a_value_that_differs_from_the_text(statistic):
    statistic.value_text, statistic.value = "43", 44
    statistic.note = "The report's table gives 44; the speech rounds down."
    statistic.full_clean()


def test_a_period_that_ends_before_it_starts_is_refused_on_the_end_field(client, curator, statistic):
    client.force_login(curator)
    data = statistic_form_data(statistic, period_start="2024-01-01", period_end="2023-01-01")
    response = client.post(change_url(statistic), data)
    assert field_errors(response, "period_end") == ["The period ends before it starts."]


def test_a_second_statistic_with_the_same_briefing_measure_and_value_is_refused(client, curator, statistic):
    client.force_login(curator)
    data = statistic_form_data(statistic, version=None)
    response = client.post("/admin/briefings/statistic/add/", data)
    [message] = field_errors(response, "measure")
    assert f"statistic #{statistic.pk}" in message
    assert Statistic.objects.count() == 1


def test_an_assessment_quote_must_be_in_its_source():
    assessment = make_assessment(source=make_source(text=QUOTE_TEXT), quote="Around one in five investigations")
    assessment.full_clean()
    assessment.quote = "Around one in six investigations"
    with pytest.raises(ValidationError) as error:
        assessment.full_clean()
    assert "not in the text" in error.value.message_dict["quote"][0]


def test_every_curated_statistic_and_assessment_passes_the_admin_checks(seeded):
    for item in [*Statistic.objects.all(), *Assessment.objects.all()]:
        item.full_clean()


# Curator group and access ---------------------------------------------------------------------


def test_the_curator_group_has_exactly_the_curator_permissions_and_the_command_is_idempotent(curator):
    group = Group.objects.get(name="curator")
    group.permissions.add(Permission.objects.get(codename="delete_speech"))
    call_command("create_curator_group", verbosity=0)
    call_command("create_curator_group", verbosity=0)
    codenames = sorted(group.permissions.values_list("codename", flat=True))
    assert codenames == sorted(CURATOR_PERMISSIONS)
    assert Group.objects.filter(name="curator").count() == 1


def test_the_curator_command_makes_an_existing_user_a_staff_curator():
    user = User.objects.create_user("erin", password="x" * 20)
    call_command("create_curator_group", user="erin", verbosity=0)
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["curator"]


def test_the_curator_command_names_an_unknown_user():
    with pytest.raises(Exception, match="No user called “nobody”"):
        call_command("create_curator_group", user="nobody", verbosity=0)


def test_a_curator_edits_statistics_imports_and_publishes_briefings_but_deletes_nothing(client, curator, statistic):
    client.force_login(curator)
    assert client.get("/admin/briefings/statistic/add/").status_code == 200
    assert client.get("/admin/briefings/assessment/add/").status_code == 200
    assert client.get("/admin/briefings/speaker/add/").status_code == 200
    assert client.get("/admin/briefings/speech/import/").status_code == 200
    speech = statistic.speech
    view = client.get(change_url(speech))
    assert view.status_code == 200 and b'name="_save"' in view.content  # publishing is a change of the briefing
    assert client.post(f"/admin/briefings/speech/{speech.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/briefings/statistic/{statistic.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/briefings/threatcategory/add/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403
    assert Speech.objects.filter(pk=speech.pk, title=speech.title).exists()


@pytest.mark.parametrize("url", ["/admin/", "/admin/briefings/statistic/", "/admin/briefings/speech/import/",
                                 "/admin/briefings/statistic/1/history/"])
def test_anonymous_and_non_staff_users_get_the_login_page(client, url):
    assert client.get(url)["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("visitor", password="x" * 20))
    assert client.get(url)["Location"].startswith("/admin/login/")


# History --------------------------------------------------------------------------------------


def test_a_change_is_recorded_with_who_when_and_before_and_after(client, curator, statistic):
    client.force_login(curator)
    iran = make_country(name="Iran", slug="iran")
    client.post(change_url(statistic), statistic_form_data(statistic, measure="late-stage attack plots disrupted",
                                                           countries=[iran.pk]))
    latest = statistic.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == curator
    previous = statistic.history.filter(version=1).first()
    changes = {change.field: (change.old, change.new) for change in latest.diff_against(previous).changes}
    assert changes["measure"] == ("late-stage plots disrupted", "late-stage attack plots disrupted")
    page = client.get(f"/admin/briefings/statistic/{statistic.pk}/history/").content.decode()
    assert "late-stage plots disrupted" in page and "late-stage attack plots disrupted" in page
    assert "carol" in page


def test_publishing_from_the_list_is_recorded_and_skips_invalid_items(client, curator):
    source = make_source(text=QUOTE_TEXT)
    good = make_statistic(source=source, status=Status.DRAFT, quote="43 late-stage plots", value=43, value_text="43")
    bad = make_statistic(source=source, status=Status.DRAFT, quote="not in the text", measure="other")
    client.force_login(curator)
    response = client.post("/admin/briefings/statistic/", {"action": "publish", "_selected_action": [good.pk, bad.pk]},
                           follow=True)
    good.refresh_from_db(), bad.refresh_from_db()
    assert (good.status, bad.status) == (Status.PUBLISHED, Status.DRAFT)
    assert good.version == 2
    assert good.history.first().history_change_reason == "Published from the list"
    assert f"#{bad.pk}" in response.content.decode()


# No lost edits --------------------------------------------------------------------------------


def test_the_second_of_two_saves_from_the_same_version_is_refused_with_the_other_change(
    client, curator, second_curator, statistic
):
    opened_by_carol = statistic_form_data(statistic)
    opened_by_dave = statistic_form_data(statistic)
    client.force_login(curator)
    assert client.post(change_url(statistic), {**opened_by_carol, "measure": "plots stopped"}).status_code == 302

    client.force_login(second_curator)
    response = client.post(change_url(statistic), {**opened_by_dave, "unit": "plots"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "carol saved this statistic after you opened it" in page
    assert re.search(r"<strong>Measure</strong>: late-stage plots disrupted → plots stopped", page)
    assert 'name="unit" value="plots"' in page  # dave's input is still in the form
    statistic.refresh_from_db()
    assert (statistic.measure, statistic.unit, statistic.version) == ("plots stopped", "", 2)

    # Saving again from the refused form, now at the current version, is a deliberate overwrite.
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    retry = client.post(change_url(statistic), {**opened_by_dave, "unit": "plots", "version": version})
    assert retry.status_code == 302
    statistic.refresh_from_db()
    assert (statistic.measure, statistic.unit, statistic.version) == ("late-stage plots disrupted", "plots", 3)


def test_a_stale_form_is_refused_even_when_built_directly(statistic):
    first = statistic_form_data(statistic)
    Statistic.objects.get(pk=statistic.pk).save()  # someone else saves meanwhile
    form = modelform_factory(Statistic, form=VersionedForm, fields="__all__")(first, instance=statistic)
    assert not form.is_valid()
    assert "after you opened it" in form.non_field_errors()[0]


def test_a_published_change_shows_on_the_public_page_at_once(client, curator, statistic):
    client.force_login(curator)
    page = client.get(statistic.speech.get_absolute_url()).content.decode()
    assert "late-stage plots disrupted" in page
    client.post(change_url(statistic), statistic_form_data(statistic, measure="plots stopped"))
    page = client.get(statistic.speech.get_absolute_url()).content.decode()
    assert "plots stopped" in page and "late-stage plots disrupted" not in page


def test_the_speech_inline_carries_each_statistics_version(client, statistic):
    admin = User.objects.create_superuser("admin", password="x" * 20)
    client.force_login(admin)
    page = client.get(change_url(statistic.speech)).content.decode()
    assert re.search(r'name="statistics-0-version" value="1"', page)
