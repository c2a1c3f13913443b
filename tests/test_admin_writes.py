"""Every admin write path as a curator uses it: the add and change forms, the inline on the briefing
page, the publish actions and the history page. Forms are read from the page and posted back with
the values a browser sends (hidden inputs included), so what the page carries is what is tested."""

import re

import pytest
from django.contrib.auth.models import User

from briefings.models import Assessment, EditConflict, Statistic, Status

from .adminforms import admin_form
from .factories import make_category, make_source, make_statistic
from .test_curators import curator

__all__ = ["curator"]  # the fixture: a member of the curator group, not a superuser

pytestmark = pytest.mark.django_db

TEXT = "Since 2017 we have disrupted 43 late-stage plots.\nAround one in five investigations are new. Threats are rising."


@pytest.fixture
def editor():
    """Someone who may change briefings, so the briefing page's inlines are forms, not a view."""
    return User.objects.create_superuser("eve", password="an editor's long password")


@pytest.fixture
def source():
    return make_source(text=TEXT)


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


# Adding ---------------------------------------------------------------------------------------


def test_a_curator_adds_a_statistic_through_the_add_form(client, curator, source):
    client.force_login(curator)
    data = admin_form(client, "/admin/briefings/statistic/add/", "statistic_form")
    assert data["version"] == ""  # what the browser sends for a new item
    data.update(speech=source.speech_id, source=source.pk, measure="late-stage plots disrupted", value_text="43",
                value="43", quote="we have disrupted 43 late-stage plots.")
    response = client.post("/admin/briefings/statistic/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    statistic = Statistic.objects.get()
    assert (statistic.measure, statistic.value, statistic.version, statistic.status) == (
        "late-stage plots disrupted", 43, 1, Status.DRAFT)
    assert statistic.history.get().history_user == curator


def test_a_curator_adds_an_assessment_through_the_add_form(client, curator, source):
    threat = make_category(name="Terrorism")
    client.force_login(curator)
    data = admin_form(client, "/admin/briefings/assessment/add/", "assessment_form")
    data.update(speech=source.speech_id, source=source.pk, threat=threat.pk, summary="Rising.", trend="rising",
                quote="Threats are rising.")
    response = client.post("/admin/briefings/assessment/add/", data)
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.summary, assessment.trend, assessment.version) == ("Rising.", "rising", 1)
    assert assessment.history.get().history_type == "+"


def test_a_statistic_is_added_through_the_inline_on_the_briefing_page(client, editor, source):
    client.force_login(editor)
    url = f"/admin/briefings/speech/{source.speech_id}/change/"
    data = admin_form(client, url, "speech_form")
    # "Add another statistic" fills in the first blank row (the browser clones the empty template).
    data.update({"statistics-TOTAL_FORMS": "1", "statistics-0-measure": "late-stage plots disrupted",
                 "statistics-0-value": "43", "statistics-0-value_text": "43", "statistics-0-qualifier": "exact",
                 "statistics-0-source": str(source.pk), "statistics-0-status": "draft", "statistics-0-version": "",
                 "statistics-0-quote": "we have disrupted 43 late-stage plots."})
    response = client.post(url, data)
    assert response.status_code == 302
    statistic = Statistic.objects.get()
    assert (statistic.measure, statistic.quote, statistic.version) == (
        "late-stage plots disrupted", "we have disrupted 43 late-stage plots.", 1)


def test_an_inline_row_without_a_quote_is_refused_next_to_it(client, editor, source):
    client.force_login(editor)
    url = f"/admin/briefings/speech/{source.speech_id}/change/"
    data = admin_form(client, url, "speech_form")
    data.update({"assessments-TOTAL_FORMS": "1", "assessments-0-threat": str(make_category().pk),
                 "assessments-0-summary": "Rising.", "assessments-0-source": str(source.pk),
                 "assessments-0-status": "draft", "assessments-0-version": "", "assessments-0-quote": ""})
    response = client.post(url, data)
    assert response.status_code == 200
    [inline] = [formset for formset in response.context["inline_admin_formsets"] if formset.formset.prefix == "assessments"]
    assert inline.formset.forms[0].errors["quote"] == ["This field is required."]
    assert not Assessment.objects.exists()


# Control characters ---------------------------------------------------------------------------


def test_control_characters_are_cleaned_on_the_way_in(client, curator, source):
    client.force_login(curator)
    data = admin_form(client, "/admin/briefings/statistic/add/", "statistic_form")
    data.update(speech=source.speech_id, source=source.pk, measure="plots\x0cdisrupted\x00", value_text="43", value="43",
                quote="we have disrupted 43 late-stage plots.", note="page one\x0cpage two\x07")
    assert client.post("/admin/briefings/statistic/add/", data).status_code == 302
    statistic = Statistic.objects.get()
    assert statistic.measure == "plots\ndisrupted"
    assert statistic.note == "page one\npage two"


# Editing through the inline -------------------------------------------------------------------


def test_an_inline_save_from_an_old_version_is_refused_and_keeps_the_other_change(client, editor, curator, source):
    statistic = make_statistic(source=source, measure="plots disrupted", value=43, value_text="43",
                               quote="we have disrupted 43 late-stage plots.")
    client.force_login(editor)
    url = f"/admin/briefings/speech/{source.speech_id}/change/"
    opened = admin_form(client, url, "speech_form")
    assert opened["statistics-0-version"] == "1"

    client.force_login(curator)  # meanwhile, in the statistic's own form
    other = admin_form(client, f"/admin/briefings/statistic/{statistic.pk}/change/", "statistic_form")
    assert client.post(f"/admin/briefings/statistic/{statistic.pk}/change/", {**other, "unit": "plots"}).status_code == 302

    client.force_login(editor)
    response = client.post(url, {**opened, "statistics-0-measure": "plots stopped"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "carol saved this statistic after you opened it" in page
    assert re.search(r"<strong>Unit</strong>: \(empty\) → plots", page)
    statistic.refresh_from_db()
    assert (statistic.measure, statistic.unit, statistic.version) == ("plots disrupted", "plots", 2)


def test_an_unchanged_inline_row_is_not_saved_again(client, editor, source):
    statistic = make_statistic(source=source, measure="plots disrupted", value=43, value_text="43",
                               quote="we have disrupted 43 late-stage plots.")
    client.force_login(editor)
    url = f"/admin/briefings/speech/{source.speech_id}/change/"
    data = admin_form(client, url, "speech_form")
    assert client.post(url, {**data, "title": "Renamed"}).status_code == 302
    statistic.refresh_from_db()
    assert statistic.version == 1 and statistic.history.count() == 1
    assert statistic.speech.title == "Renamed"


# Publishing from the list ---------------------------------------------------------------------


def test_the_list_carries_the_version_each_row_was_shown_at(client, curator, source):
    statistic = make_statistic(source=source, status=Status.DRAFT)
    client.force_login(curator)
    data = admin_form(client, "/admin/briefings/statistic/", "changelist-form")
    assert data[f"seen-version-{statistic.pk}"] == "1"


@pytest.mark.parametrize(("action", "status"), [("publish", Status.DRAFT), ("unpublish", Status.PUBLISHED)])
def test_an_action_skips_and_names_a_row_changed_since_the_list_was_shown(client, curator, source, action, status):
    kept = make_statistic(source=source, status=status, measure="plots disrupted", value=43, value_text="43",
                          quote="we have disrupted 43 late-stage plots.")
    changed = make_statistic(source=source, status=status, measure="investigations new", value=20,
                             value_text="one in five", quote="Around one in five investigations are new.")
    client.force_login(curator)
    listed = admin_form(client, "/admin/briefings/statistic/", "changelist-form")

    edited = Statistic.objects.get(pk=changed.pk)  # another curator saves meanwhile
    edited.unit = "percent"
    edited.save()

    response = client.post("/admin/briefings/statistic/", {
        **listed, "action": action, "_selected_action": [str(kept.pk), str(changed.pk)],
    }, follow=True)
    kept.refresh_from_db(), changed.refresh_from_db()
    assert kept.status != status and kept.version == 2
    assert (changed.status, changed.unit, changed.version) == (status, "percent", 2)
    [skipped] = [message for message in messages_on(response) if message.startswith("Skipped")]
    assert f"#{changed.pk}" in skipped and f"#{kept.pk}" not in skipped


def test_an_action_changes_only_the_status_of_the_row_as_it_is_now(client, curator, source):
    """Rows not shown on the page (select all across pages) carry no version: each is still locked
    and read again, so the action writes its status onto the current row, never an old copy."""
    statistic = make_statistic(source=source, status=Status.DRAFT, measure="plots disrupted", value=43,
                               value_text="43", quote="we have disrupted 43 late-stage plots.")
    edited = Statistic.objects.get(pk=statistic.pk)
    edited.unit = "plots"
    edited.save()
    client.force_login(curator)
    client.post("/admin/briefings/statistic/", {"action": "publish", "_selected_action": [statistic.pk]})
    statistic.refresh_from_db()
    assert (statistic.status, statistic.unit, statistic.version) == (Status.PUBLISHED, "plots", 3)


# History --------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["curator", "editor"])
def test_reverting_from_the_history_page_is_refused(client, request, source, user):
    statistic = make_statistic(source=source, measure="plots disrupted", value=43, value_text="43",
                               quote="we have disrupted 43 late-stage plots.")
    first = statistic.history.get()
    edited = Statistic.objects.get(pk=statistic.pk)
    edited.measure = "plots stopped"
    edited.save()
    client.force_login(request.getfixturevalue(user))
    url = f"/admin/briefings/statistic/{statistic.pk}/history/{first.history_id}/"
    assert client.get(url).status_code == 200
    old = admin_form(client, url, "statistic_form")
    response = client.post(url, old)
    assert response.status_code == 405
    statistic.refresh_from_db()
    assert (statistic.measure, statistic.version) == ("plots stopped", 2)


def test_statistics_and_assessments_share_one_history_recorder(source):
    statistic = make_statistic(source=source)
    assert type(statistic).history.model.__name__ == "HistoricalStatistic"
    assert Assessment.history.model.__name__ == "HistoricalAssessment"
    assert statistic.history.get().countries.count() == 0  # the m2m history is inherited too


def test_any_save_from_a_stale_copy_is_refused_by_the_model(source):
    """The one write path: a copy read before someone else's save cannot be saved over it,
    whichever code holds it, and the failed save leaves the copy as it was."""
    statistic = make_statistic(source=source)
    stale = Statistic.objects.get(pk=statistic.pk)
    statistic.unit = "plots"
    statistic.save()
    stale.measure = "something else"
    with pytest.raises(EditConflict):
        stale.save()
    assert stale.version == 1
    statistic.refresh_from_db()
    assert (statistic.measure, statistic.unit, statistic.version) == ("plots disrupted", "plots", 2)
