"""`manage.py seed` loads the curated briefings and is idempotent."""

import datetime

import pytest
from django.core import serializers
from django.core.management import call_command

from briefings.models import Assessment, Country, Source, Speaker, Speech, Statistic, ThreatCategory

MODELS = (Speaker, ThreatCategory, Country, Speech, Source, Statistic, Assessment)


def snapshot():
    return {model.__name__: serializers.serialize("json", model.objects.order_by("pk")) for model in MODELS}


@pytest.mark.django_db
def test_seeding_twice_leaves_exactly_the_same_rows(seeded):
    before = snapshot()
    call_command("seed", verbosity=0)
    assert snapshot() == before


@pytest.mark.django_db
def test_seed_restores_a_curated_value_changed_in_the_database(seeded):
    Statistic.objects.filter(value_text="43").update(value=44)
    call_command("seed", verbosity=0)
    assert Statistic.objects.get(value_text="43").value == 43


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
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("seed", fixture=tmp_path / "missing.json", verbosity=0)
    assert Speech.objects.count() == 0
