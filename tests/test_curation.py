"""The curated fixture is built from the documents and every quote stands in them."""

import hashlib
import json
import re
import textwrap

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from briefings.curation import CurationError, build_fixture
from briefings.models import Assessment, Source, Statistic, normalise_whitespace, quote_in_text

CURATION = settings.FIXTURES_DIR / "curation.toml"


def test_committed_fixture_is_what_the_curation_builds():
    """fixtures/briefings.json must be rebuilt (make fixtures) whenever curation.toml changes."""
    committed = json.loads((settings.FIXTURES_DIR / "briefings.json").read_text(encoding="utf-8"))
    assert build_fixture(CURATION, settings.DOCUMENTS_DIR) == committed


def test_documents_are_the_recorded_copies_of_the_seeds():
    """SOURCES.md records each document's SHA-256, taken from its seed file: the copies here
    must still be those bytes. Nothing outside the repository is read, so a fresh clone passes."""
    table = (settings.DOCUMENTS_DIR / "SOURCES.md").read_text(encoding="utf-8")
    rows = [[cell.strip() for cell in line.split("|")[1:4]] for line in table.splitlines()
            if line.startswith("| ") and ".txt" in line]
    assert len(rows) == 5
    assert {ours for ours, _seed, _sum in rows} == {path.name for path in settings.DOCUMENTS_DIR.glob("*.txt")}
    for ours, _seed, recorded in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", recorded), ours
        assert hashlib.sha256((settings.DOCUMENTS_DIR / ours).read_bytes()).hexdigest() == recorded, ours


@pytest.mark.django_db
def test_every_curated_quote_is_in_its_source_text_and_its_document(seeded):
    quoted = list(Statistic.objects.select_related("source")) + list(Assessment.objects.select_related("source"))
    assert len(quoted) > 40
    for item in quoted:
        assert quote_in_text(item.quote, item.source.text), item
        document = (settings.DOCUMENTS_DIR / item.source.document).read_text(encoding="utf-8")
        assert normalise_whitespace(item.source.text) in normalise_whitespace(document)
        assert item.source.speech_id == item.speech_id, item


@pytest.mark.django_db
def test_recruitment_material_and_page_furniture_are_cut_from_source_texts(seeded):
    texts = " ".join(Source.objects.values_list("text", flat=True))
    for furniture in ["Administrative Assistants", "Graduate Development Programme", "Related News & Speeches",
                      "Your web browser is out of date", "Current national threat level", "Copyright IBTimes"]:
        assert furniture not in texts


def test_fuzzy_figures_keep_their_wording_and_qualifier():
    fixture = build_fixture(CURATION, settings.DOCUMENTS_DIR)
    by_text = {e["fields"]["value_text"]: e["fields"] for e in fixture if e["model"] == "briefings.statistic"}
    assert by_text["over 10,000"]["qualifier"] == "over"
    assert by_text["over 10,000"]["value"] == "10000"
    assert by_text["one in five"]["value"] == "20" and by_text["one in five"]["unit"] == "percent"
    assert by_text["nearly half"]["qualifier"] == "nearly"
    assert by_text["more than a third"]["qualifier"] == "more-than"
    assert by_text["thousands"]["value"] is None


def test_periods_of_the_late_stage_plot_series_are_kept_as_stated():
    fixture = build_fixture(CURATION, settings.DOCUMENTS_DIR)
    periods = {
        e["fields"]["value"]: e["fields"]["period"]
        for e in fixture
        if e["model"] == "briefings.statistic" and e["fields"]["measure"] == "late-stage attack plots disrupted"
    }
    assert periods == {"20": "over the past four years", "29": "over the last four years", "43": "Since March 2017"}


def _write(tmp_path, body, document="We disrupted 12 plots in 2020.\nThreats are rising."):
    (tmp_path / "doc.txt").write_text(document, encoding="utf-8")
    curation = tmp_path / "curation.toml"
    head = textwrap.dedent("""
        [[speakers]]
        slug = "dg"
        name = "A Director General"
        role = "Director General"

        [[categories]]
        slug = "terrorism"
        name = "Terrorism"

        [[speeches]]
        slug = "s"
        title = "A speech"
        date = 2020-01-01
        date_basis = "Printed."
        kind = "speech"
        speaker = "dg"
        summary = "Summary."

        [[sources]]
        slug = "src"
        speech = "s"
        publisher = "MI5"
        language = "en"
        role = "primary"
        document = "doc.txt"
    """)
    curation.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return curation


def test_a_quote_matching_across_line_breaks_is_accepted(tmp_path):
    curation = _write(tmp_path, """
        [[statistics]]
        id = 1
        source = "src"
        measure = "plots disrupted"
        value = 12
        value_text = "12"
        quote = "12 plots in   2020. Threats"
    """)
    fixture = build_fixture(curation, tmp_path)
    assert [e["pk"] for e in fixture if e["model"] == "briefings.statistic"] == [1]


def test_a_quote_not_in_the_document_fails_naming_the_entry(tmp_path):
    curation = _write(tmp_path, """
        [[statistics]]
        id = 7
        source = "src"
        measure = "plots disrupted"
        value = 13
        value_text = "13"
        quote = "We disrupted 13 plots"
    """)
    with pytest.raises(CurationError) as error:
        build_fixture(curation, tmp_path)
    assert error.value.problems == [
        "statistics[1] (7): quote not found verbatim in source 'src': 'We disrupted 13 plots'"
    ]


@pytest.mark.parametrize(
    "body, problem",
    [
        ('[[statistics]]\nid = 1\nsource = "nowhere"\nmeasure = "m"\nvalue_text = "12"\nquote = "12 plots"\n',
         "statistics[1] (1): source 'nowhere' does not exist"),
        ('[[statistics]]\nid = 1\nsource = "src"\nmeasure = "m"\nvalue_text = "12"\nquote = "12 plots"\n'
         'threat = "cyber"\n', "statistics[1] (1): category 'cyber' does not exist"),
        ('[[assessments]]\nid = 1\nsource = "src"\nthreat = "terrorism"\nsummary = "s"\nquote = "rising"\n'
         'countries = ["narnia"]\n', "assessments[1] (1): country 'narnia' does not exist"),
        ('[[statistics]]\nid = 1\nsource = "src"\nmeasure = "m"\nvalue = -1\nvalue_text = "12"\nquote = "12 plots"\n',
         "statistics[1] (1): value must not be negative"),
        ('[[statistics]]\nid = 1\nsource = "src"\nmeasure = "m"\nvalue_text = "12"\n',
         "statistics[1] (1): missing required key 'quote'"),
    ],
)
def test_dangling_references_and_bad_values_fail_naming_the_entry(tmp_path, body, problem):
    with pytest.raises(CurationError) as error:
        build_fixture(_write(tmp_path, body), tmp_path)
    assert problem in error.value.problems


def test_build_fixtures_command_reports_problems_and_writes_nothing(tmp_path):
    curation = _write(tmp_path, '[[statistics]]\nid = 1\nsource = "src"\nmeasure = "m"\nvalue_text = "9"\nquote = "9 plots"\n')
    output = tmp_path / "out.json"
    with pytest.raises(CommandError, match="quote not found verbatim"):
        call_command("build_fixtures", curation=curation, documents=tmp_path, output=output)
    assert not output.exists()


@pytest.mark.parametrize("content", ["", "not = [valid", b"\xff\xfe\x00bad"])
def test_build_fixtures_rejects_empty_or_broken_curation_files(tmp_path, content):
    curation = tmp_path / "curation.toml"
    if isinstance(content, bytes):
        curation.write_bytes(content)
    else:
        curation.write_text(content, encoding="utf-8")
    if content == "":
        # An empty file is valid TOML with nothing in it: it builds an empty fixture, not a crash.
        assert build_fixture(curation, tmp_path) == []
    else:
        with pytest.raises(CurationError, match="not valid TOML"):
            build_fixture(curation, tmp_path)
