"""What the importer's figure finder takes for a figure, and what it must not (issue 12's list)."""

from decimal import Decimal

import pytest

from briefings.figures import find_figures, read_value


@pytest.mark.parametrize(
    "sentence",
    [
        "On 16 Nov the service met again.",  # a date
        "The page was captured at 13:20:04 on 16-9-10.",  # a time and a date
        "If you see something, call 999 or the hotline on 0800 789 321.",  # phone numbers
        "12. We have seen a change.",  # a paragraph number
        "1.2 The review team met weekly.",  # a numbered section
        "Paragraph 14 of the terms of reference sets out the scope.",
        "The photo is dg_speech_07_0.jpg on the page.",  # a file name
        "This player works best in IE 11 or later.",  # a browser version
        "Some of them are under 18 and others are older.",  # an age
        "Children as young as 13 have been referred.",
        "In my 30 years in MI5 I have not seen this.",  # a career
        "The Service's 114-year history shows it.",  # an institution's history
        "Our Five Eyes partners help every day.",  # a name holding a number
        "I want to say two things at the start.",  # the speech's own structure
        "I will cover three key themes today.",
        "Over the last 12 months the work changed.",  # a bare period
        "Given half a chance, they would act.",  # an idiom
        "In all three cases the outcome was the same.",  # counting back
    ],
)
def test_numbers_that_are_not_figures(sentence):
    assert find_figures(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "value_text", "value", "unit"),
    [
        ("We expelled more than a hundred officers.", "more than a hundred", Decimal(100), "officers"),
        ("Investigations have risen threefold since 2021.", "threefold", Decimal(3), "times"),
        ("Iranian-backed plots have doubled.", "doubled", Decimal(2), "times"),
        ("We arrested a dozen suspects.", "a dozen", Decimal(12), "suspects"),
        ("Half a dozen more were stopped.", "Half a dozen", Decimal(6), "more"),
        ("A fifth of them are teenagers.", "A fifth", Decimal(20), "percent"),
        ("The agencies get an extra £3 billion.", "£3 billion", Decimal(3_000_000_000), "pounds"),
        ("About £250m goes to MI5.", "About £250m", Decimal(250_000_000), "pounds"),
        ("Half a million pounds was set aside.", "Half a million", Decimal(500_000), "pounds"),
        ("Twelve Russian spies were expelled.", "Twelve", Decimal(12), "spies"),
    ],
)
def test_figures_missed_before_are_read(sentence, value_text, value, unit):
    (figure,) = find_figures(sentence)
    assert (figure.value_text, figure.value, figure.unit) == (value_text, value, unit)
    assert read_value(figure.value_text) == value  # the admin's check agrees with the finder
