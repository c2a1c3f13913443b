"""The import benchmark's documents (tests/data/import_bench/, written for it, with the figures a
curator would keep listed in expected.toml) pin the finder's minimum recall and precision, and
where each document goes: a press report of a held speech is attached to it."""

import importlib.util
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from briefings.importing import ImportForm, Vocabulary, import_document, read_document

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "import_bench", Path(__file__).resolve().parent.parent / "benchmarks" / "import_bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_recall_and_precision_on_the_benchmark_documents(seeded):
    results = bench.evaluate(Vocabulary())
    recall, precision = bench.scores(results)
    missed = [(case["file"], figure["near"]) for case, _p, misses, _f in results for figure in misses]
    false = [(case["file"], p.quote) for case, _p, _m, false_alarms in results for p in false_alarms]
    assert recall >= 0.95, missed
    assert precision >= 0.85, false


def test_each_benchmark_document_goes_where_a_curator_would_put_it(seeded):
    for case in bench.cases():
        fields = {key: case.get(key, "") for key in ("speaker", "date", "title", "kind", "publisher", "new")}
        document = SimpleUploadedFile(case["file"], (bench.DOCUMENTS / case["file"]).read_bytes())
        form = ImportForm(fields, {"document": document})
        assert form.is_valid(), form.errors
        result = import_document(form.import_request(case["file"]))
        if case.get("attached_to"):
            assert (result.outcome, result.speech.slug) == ("attached", case["attached_to"])
        else:
            assert result.outcome == "created"


def test_page_furniture_proposes_no_threat_and_no_figure(seeded):
    """The threat-level banner and the hotline line name terrorism; the text itself does not."""
    text = ("Skip to main content\nThe current national threat level is SUBSTANTIAL\n"
            "Call 999 or the Anti-Terrorism Hotline on 0800 789 321.\n\n"
            "We have 40 new analysts working on Chinese espionage this year.\n\n© Crown copyright 2024\n")
    reading = read_document(text, Vocabulary())
    assert [c.slug for c in reading.threats] == ["state-threats", "espionage"]
    assert [(p.figure.value, p.measure) for p in reading.proposals] == [(40, "new analysts")]
    assert reading.proposals[0].threat.slug == "espionage" and [c.slug for c in reading.countries] == ["china"]


@pytest.mark.parametrize(
    ("sentence", "threat", "country"),
    [
        ("About 25% of cases are extreme right-wing, while 75% are Islamist.", "extreme-right-wing-terrorism", None),
        ("Links to Al Qaida appeared in 12 investigations.", "islamist-terrorism", None),
        ("We saw 30 far-right plotters arrested.", "extreme-right-wing-terrorism", None),
        ("Irish republican dissident groups mounted 4 attacks.", "northern-ireland-related-terrorism", None),
        ("The Russians expelled 18 diplomats.", None, "russia"),
        ("We recruited 40 analysts.", None, None),
    ],
)
def test_the_threat_and_country_come_from_the_sentence_nearest_the_figure(seeded, sentence, threat, country):
    """The threat named nearest the first figure, spelling variants included; none when the
    sentence names none (never the first category in list order)."""
    first = read_document(sentence, Vocabulary()).proposals[0]
    assert (first.threat.slug if first.threat else None) == threat
    assert [c.slug for c in first.countries] == ([country] if country else [])
