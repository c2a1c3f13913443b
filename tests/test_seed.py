"""`manage.py seed` loads the curated briefings and is idempotent."""

import datetime
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from briefings.models import Assessment, Country, Source, Speaker, Speech, Statistic, ThreatCategory

from .adminforms import admin_form
from .factories import make_statistic

MODELS = (Speaker, ThreatCategory, Country, Speech, Source, Statistic, Assessment)


def snapshot():
    return {model.__name__: serializers.serialize("json", model.objects.order_by("pk")) for model in MODELS}


@pytest.mark.django_db
def test_seeding_twice_leaves_exactly_the_same_rows(seeded):
    before = snapshot()
    call_command("seed", verbosity=0)
    assert snapshot() == before


@pytest.mark.django_db
def test_seed_keeps_a_curators_edit_made_in_the_admin(seeded, admin_client):
    """`make run` runs seed on every start: an edit made in the admin must survive it."""
    statistic = Statistic.objects.get(value_text="43")
    url = f"/admin/briefings/statistic/{statistic.pk}/change/"
    data = {**admin_form(admin_client, url, "statistic_form"), "unit": "late-stage plots (edited)"}
    assert admin_client.post(url, data).status_code == 302
    call_command("seed", verbosity=0)
    statistic.refresh_from_db()
    assert (statistic.unit, statistic.version) == ("late-stage plots (edited)", 2)
    assert statistic.history.first().history_user.username == "admin"


@pytest.mark.django_db
def test_seed_adds_missing_fixture_rows_and_leaves_the_others(seeded):
    Statistic.objects.filter(value_text="43").delete()
    Speech.objects.filter(slug="being-mi5-video").update(title="Being MI5 (renamed)")
    out = StringIO()
    call_command("seed", stdout=out)
    assert Statistic.objects.get(value_text="43").value == 43
    assert Speech.objects.get(slug="being-mi5-video").title == "Being MI5 (renamed)"
    assert "Added 1 missing rows" in out.getvalue()
    newest = make_statistic(speech=Speech.objects.first())  # ids continue after the fixture's
    assert newest.pk > max(Statistic.objects.exclude(pk=newest.pk).values_list("pk", flat=True))


@pytest.mark.django_db
def test_seed_reset_sets_curated_rows_back_to_the_fixture(seeded):
    Statistic.objects.filter(value_text="43").update(value=44)
    call_command("seed", reset=True, yes=True, verbosity=0)
    assert Statistic.objects.get(value_text="43").value == 43


@pytest.mark.django_db
def test_seed_reset_without_a_terminal_names_the_flag_and_changes_nothing(seeded, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO(""))
    Statistic.objects.filter(value_text="43").update(value=44)
    with pytest.raises(CommandError, match="pass --yes"):
        call_command("seed", reset=True, verbosity=0)
    assert Statistic.objects.get(value_text="43").value == 44


@pytest.mark.django_db
def test_the_2021_update_is_one_speech_with_two_sources(seeded):
    speeches = Speech.objects.filter(date=datetime.date(2021, 7, 14))
    assert speeches.count() == 1
    roles = sorted(speeches.get().sources.values_list("role", "language"))
    assert roles == [("primary", "en"), ("republication", "de")]


@pytest.mark.django_db
def test_every_briefing_is_dated_inferred_or_undated_with_a_basis(seeded):
    speeches = {s.slug: s for s in Speech.objects.all()}
    assert len(speeches) == 5
    for speech in speeches.values():
        assert speech.date_basis, speech
    assert speeches["annual-threat-update-2024"].date_inferred
    assert speeches["bbc-radio-interview-2021-09"].date == datetime.date(2021, 9, 10)
    assert speeches["bbc-radio-interview-2021-09"].date_inferred
    assert not speeches["parker-speech-2017-10-17"].date_inferred
    assert speeches["being-mi5-video"].date is None and not speeches["being-mi5-video"].date_inferred


@pytest.mark.django_db
def test_news_report_figures_say_whose_words_they_are(seeded):
    background = Statistic.objects.filter(attribution="background").values_list("value_text", flat=True)
    assert sorted(background) == ["23", "52", "700"]
    report_2024 = Statistic.objects.filter(speech__slug="annual-threat-update-2024")
    assert set(report_2024.values_list("attribution", flat=True)) == {"paraphrase"}


@pytest.mark.django_db
def test_seed_with_a_missing_fixture_fails_cleanly_and_changes_nothing(tmp_path):
    with pytest.raises(CommandError):
        call_command("seed", fixture=tmp_path / "missing.json", verbosity=0)
    assert Speech.objects.count() == 0
