"""The database rejects rows that cannot be right, whatever wrote them."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from briefings.models import Speech

from .factories import make_category, make_country, make_speaker, make_speech, make_statistic

pytestmark = pytest.mark.django_db


def rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_statistic_value_cannot_be_negative():
    rejected(lambda: make_statistic(value=-1))


def test_statistic_period_cannot_end_before_it_starts():
    rejected(lambda: make_statistic(period_start=datetime.date(2021, 1, 1), period_end=datetime.date(2020, 1, 1)))


def test_statistic_needs_a_quote():
    rejected(lambda: make_statistic(quote=""))


def test_no_second_statistic_with_the_same_speech_measure_and_value():
    first = make_statistic()
    rejected(lambda: make_statistic(speech=first.speech, source=first.source))
    make_statistic(speech=first.speech, source=first.source, value=13)  # another value is fine


def test_slugs_are_unique():
    make_country(slug="iran")
    rejected(lambda: make_country(slug="iran"))
    make_category(slug="cyber")
    rejected(lambda: make_category(slug="cyber"))


def test_one_speech_per_speaker_date_and_title():
    speaker = make_speaker()
    make_speech(speaker=speaker, title="Annual threat update", date=datetime.date(2021, 7, 14))
    rejected(lambda: make_speech(speaker=speaker, title="Annual threat update", date=datetime.date(2021, 7, 14)))


def test_an_inferred_date_needs_its_basis_and_a_date():
    rejected(lambda: make_speech(date_inferred=True, date_basis=""))
    rejected(lambda: make_speech(date=None, date_inferred=True, date_basis="Guessed."))


def test_an_undated_speech_is_kept():
    speech = make_speech(date=None, date_basis="Undated.")
    assert Speech.objects.get(pk=speech.pk).is_undated
