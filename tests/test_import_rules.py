"""Where an imported text goes (a new draft briefing, or a report attached to a held one), how
its input is checked (one form for the command and the admin), and how any size is handled."""

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from briefings import importing
from briefings.models import Source, Speech, Statistic, Status

pytestmark = pytest.mark.django_db

REPORT = (
    "Security chief warns of rising threat\n\n"
    "The head of MI5 said on Tuesday that the service had disrupted 9 late-stage attack plots since the spring.\n\n"
    "He told reporters that 400 new investigations were opened into Russian state threats.\n"
)
HELD_DATE = datetime.date(2024, 10, 8)  # annual-threat-update-2024 in the seed


def run(tmp_path, content, capsys=None, **options):
    path = tmp_path / "report.txt"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    args = {"speaker": "ken-mccallum", "date": "2024-10-10", "title": "MI5 chief warns", "kind": "article",
            "publisher": "Example Times", **options}
    call_command("import_document", str(path), **args)
    return capsys.readouterr().out if capsys else None


def test_a_report_of_a_held_briefing_is_attached_as_a_news_report_and_says_why(seeded, tmp_path, capsys):
    held = Speech.objects.get(date=HELD_DATE)
    before = Speech.objects.count()
    out = run(tmp_path, REPORT, capsys)
    assert Speech.objects.count() == before
    source = Source.objects.get(publisher="Example Times")
    assert source.speech == held and source.role == Source.Role.NEWS_REPORT
    assert "as a news report" in out and "2 day(s) from this text's date" in out and "--new" in out
    assert "Closest held text:" in out and "% of five-word phrases shared" in out
    drafts = source.statistics.all()
    assert {(d.value, d.attribution, d.status) for d in drafts} == {
        (9, "paraphrase", Status.DRAFT), (400, "paraphrase", Status.DRAFT)}
    assert held.status == Status.PUBLISHED  # attaching does not unpublish the briefing


def test_new_forces_a_new_draft_briefing_and_still_prints_the_similarity(seeded, tmp_path, capsys):
    out = run(tmp_path, REPORT, capsys, new=True)
    speech = Speech.objects.get(title="MI5 chief warns")
    assert speech.status == Status.DRAFT and speech.sources.get().role == Source.Role.PRIMARY
    assert "as asked (--new)" in out and "Closest held text:" in out


def test_a_text_far_from_any_held_date_becomes_a_new_briefing(seeded, tmp_path, capsys):
    out = run(tmp_path, REPORT, capsys, date="2024-12-01")
    assert Speech.objects.get(title="MI5 chief warns").status == Status.DRAFT
    assert "no briefing of Ken McCallum is dated within 7 days" in out and "Closest held text:" in out


@pytest.mark.parametrize("role", ["translation", "republication", "news-report"])
def test_attach_to_attaches_with_the_chosen_role(seeded, tmp_path, role):
    run(tmp_path, REPORT, attach_to="annual-threat-update-2021", role=role, date="2021-07-20")
    source = Source.objects.get(publisher="Example Times")
    assert source.speech.slug == "annual-threat-update-2021" and source.role == role
    expected = "paraphrase" if role == "news-report" else "speaker"
    assert set(source.statistics.values_list("attribution", flat=True)) == {expected}


def test_a_report_attached_by_date_must_name_its_publisher(seeded, tmp_path):
    before = Source.objects.count()
    with pytest.raises(CommandError, match="Name the report's publisher"):
        run(tmp_path, REPORT, kind="speech", publisher="")
    assert Source.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "javascript:alert(1)"}, "not an http:// or https:// address"),
        ({"url": "ftp://example.org/x"}, "not an http:// or https:// address"),
        ({"date": "2999-01-01"}, "is in the future"),
        ({"kind": "article", "publisher": ""}, "Name the publisher of this report"),
        ({"attach_to": "no-such-briefing"}, "No briefing has the slug"),
        ({"attach_to": "annual-threat-update-2021", "new": True}, "Choose one"),
        ({"role": "translation"}, "A role is for a text attached"),
    ],
)
def test_bad_options_are_refused_with_nothing_written(seeded, tmp_path, changes, message):
    before = (Speech.objects.count(), Source.objects.count(), Statistic.objects.count())
    with pytest.raises(CommandError, match=message):
        run(tmp_path, REPORT, **{"new": True, **changes})
    assert (Speech.objects.count(), Source.objects.count(), Statistic.objects.count()) == before


def test_a_future_date_is_accepted_when_allowed_and_http_urls_are_kept(seeded, tmp_path):
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    run(tmp_path, REPORT, date=future, allow_future=True, url="http://example.org/report", new=True)
    assert Source.objects.get(publisher="Example Times").url == "http://example.org/report"


def test_control_characters_are_cleaned_from_title_and_text(seeded, tmp_path):
    run(tmp_path, REPORT.replace("Tuesday", "Tues\x0bday\x07"), title="MI5 chief\x1b warns\x07", new=True)
    speech = Speech.objects.get(title="MI5 chief warns")
    text = speech.sources.get().text
    assert "\x07" not in text and "\x0b" not in text and "Tues\nday" in text


def test_mi5_is_the_default_publisher_only_for_mi5s_own_kinds_of_text(seeded, tmp_path):
    run(tmp_path, REPORT, kind="speech", publisher="", new=True)
    assert Speech.objects.get(title="MI5 chief warns").sources.get().publisher == importing.DEFAULT_PUBLISHER


def test_a_file_above_the_limit_is_refused_at_once_with_the_limit(seeded, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(CommandError, match="the limit is 1,000 bytes .*IMPORT_MAX_BYTES"):
        run(tmp_path, "x" * 1001, new=True)


def test_the_admin_upload_refuses_a_file_above_the_limit_next_to_the_file(client, seeded, settings):
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_MAX_BYTES = 100
    client.force_login(User.objects.create_superuser("boss"))
    response = client.post("/admin/briefings/speech/import/", {
        "speaker": "ken-mccallum", "date": "2024-12-01", "title": "Big", "kind": "speech",
        "document": SimpleUploadedFile("big.txt", b"word " * 40)})
    assert "the limit is 100 bytes" in response.context["form"].errors["document"][0]


def test_drafts_per_import_are_capped_and_the_command_says_how_many_were_left_out(seeded, tmp_path, capsys, settings):
    settings.IMPORT_MAX_DRAFTS = 3
    text = "\n\n".join(f"We disrupted {n} plots aimed at {n} towns, and {n + 1000} officers worked on it." for n in range(11, 15))
    out = run(tmp_path, text, capsys, new=True)
    assert Speech.objects.get(title="MI5 chief warns").statistics.count() == 3
    assert "more figure(s) left out: at most 3 drafts per import" in out


def test_the_text_is_read_outside_the_write_transaction(seeded, tmp_path, monkeypatch):
    """The slow part (reading every sentence) runs before the transaction opens, so writers and
    readers of the database are held up only by the short write."""
    read = importing.figures.find_figures
    depth = len(transaction.get_connection().savepoint_ids)  # the test's own transaction
    depths = []

    def watching(sentence):
        depths.append(len(transaction.get_connection().savepoint_ids))
        return read(sentence)

    monkeypatch.setattr(importing.figures, "find_figures", watching)
    run(tmp_path, REPORT, new=True)
    assert depths and set(depths) == {depth}
    assert Speech.objects.filter(title="MI5 chief warns").exists()


def test_the_writes_of_an_import_do_not_grow_with_its_figures(seeded, tmp_path):
    """Drafts and their countries are written in bulk, so ten times the text costs the same
    number of queries (the paragraphs search indexes are written in bulk too)."""
    def queries(copies, title):
        # Each size in its own words, so the larger is not taken for a copy of the smaller.
        letters = ["".join(chr(97 + int(d)) for d in str(n)) for n in range(copies)]
        text = "\n\n".join(f"{title} desk {letters[n]} opened {400 + n} investigations into Russian threats and "
                           f"disrupted {9 + n} plots." for n in range(copies))
        with CaptureQueriesContext(connection) as captured:
            run(tmp_path, text, new=True, title=title)
        return len(captured), Speech.objects.get(title=title).statistics.count()

    small, large = queries(2, "Small"), queries(20, "Large")
    assert (small[1], large[1]) == (4, 40)
    assert small[0] == large[0]


def test_the_sample_document_is_unchanged_by_a_second_import(seeded, tmp_path, capsys):
    sample = (Path(__file__).parent / "data" / "import_sample.txt").read_text()
    run(tmp_path, sample, new=True)
    out = run(tmp_path, sample, capsys, new=True)
    assert "Nothing changed" in out and "Closest held text:" in out and "100.0%" in out
