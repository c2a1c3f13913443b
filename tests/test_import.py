"""`manage.py import_document` and the admin's upload: drafts for each figure, republications
attached to their briefing, idempotence, and bad input refused with nothing written."""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from briefings import importing
from briefings.models import Source, SourceParagraph, Speech, Statistic, Status, quote_in_text

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "import_sample.txt"
ARGS = {"speaker": "ken-mccallum", "date": "2025-10-16", "title": "Test threat update", "kind": "annual-threat-update"}


def import_file(path, **changes):
    options = {**ARGS, **changes}
    call_command("import_document", str(path), verbosity=0, **options)


def snapshot():
    """Every row the import could touch, including history."""
    models = [Speech, Source, SourceParagraph, Statistic, Statistic.history.model, Speech.countries.through,
              Speech.threats.through, Statistic.countries.through]
    return {model.__name__: serializers.serialize("json", model.objects.order_by("pk")) for model in models}


def test_a_new_document_becomes_a_briefing_with_a_draft_for_each_figure(seeded):
    import_file(SAMPLE)
    speech = Speech.objects.get(title="Test threat update")
    assert speech.date == datetime.date(2025, 10, 16) and speech.speaker.slug == "ken-mccallum"
    assert "importing import_sample.txt" in speech.date_basis
    drafts = {(s.value_text, s.value, s.qualifier, s.unit) for s in speech.statistics.all()}
    assert drafts == {
        ("12", Decimal("12"), "exact", "plots"),
        ("Around one in five", Decimal("20"), "around", "percent"),
        ("more than a third", Decimal("33.33"), "more-than", "percent"),
        ("Over 2,500", Decimal("2500"), "over", "people"),
    }  # "2023" is a year, and "none" is not a figure
    source = speech.sources.get()
    for draft in speech.statistics.all():
        assert draft.status == Status.DRAFT and quote_in_text(draft.quote, source.text)
    assert speech.statistics.get(value=12).measure == "late-stage attack plots disrupted"  # the curated series
    assert sorted(speech.countries.values_list("slug", flat=True)) == ["iran", "russia"]
    assert sorted(speech.threats.values_list("slug", flat=True)) == [
        "extreme-right-wing-terrorism", "state-threats", "terrorism"]
    assert speech.statistics.get(value=20).threat.slug == "extreme-right-wing-terrorism"
    assert list(speech.statistics.get(value=Decimal("33.33")).countries.values_list("slug", flat=True)) == ["iran", "russia"]


def test_imported_drafts_stay_off_every_public_page_until_published(client, seeded):
    import_file(SAMPLE)
    speech = Speech.objects.get(title="Test threat update")
    draft = speech.statistics.get(value=2500)

    def public_ids():
        exported = {row["id"] for row in client.get("/api/statistics.json").json()["results"]}
        rows = csv.DictReader(io.StringIO(b"".join(client.get("/statistics.csv").streaming_content).decode()))
        assert exported == {int(row["id"]) for row in rows}
        page = client.get(speech.get_absolute_url()).content.decode()
        explorer = client.get("/statistics/").content.decode()
        return exported, f'id="stat-{draft.pk}"' in page, f'href="/statistics/{draft.pk}/"' in explorer

    assert public_ids() == (set(Statistic.objects.published().values_list("pk", flat=True)), False, False)
    assert draft.pk not in public_ids()[0]
    draft.status = Status.PUBLISHED
    draft.save()
    assert draft.pk not in public_ids()[0]  # the briefing itself is still a draft
    speech.status = Status.PUBLISHED
    speech.save()
    exported, on_page, in_explorer = public_ids()
    assert draft.pk in exported and on_page and in_explorer


def test_the_imported_text_is_searchable(client, seeded):
    import_file(SAMPLE)
    assert SourceParagraph.objects.filter(source__speech__title="Test threat update").count() == 5
    assert "Test threat update" not in client.get("/?q=office").content.decode()  # a draft until published
    speech = Speech.objects.get(title="Test threat update")
    speech.status = Status.PUBLISHED
    speech.save()
    body = client.get("/?q=office").content.decode()
    assert "Test threat update" in body


def test_importing_the_same_document_twice_changes_nothing_the_second_time(seeded, capsys):
    import_file(SAMPLE)
    before = snapshot()
    call_command("import_document", str(SAMPLE), **ARGS)
    assert snapshot() == before
    assert "Nothing changed" in capsys.readouterr().out


def test_a_republication_is_attached_to_its_briefing_not_duplicated(seeded, tmp_path, capsys):
    primary = Source.objects.get(slug="annual-threat-update-2021-mi5")
    # Another site's copy: its own introduction, and lines broken differently.
    copy = "Reproduced with thanks from MI5's website.\n\n" + " ".join(primary.text.split()).replace(". ", ".\n")
    path = tmp_path / "republished.txt"
    path.write_text(copy, encoding="utf-8")
    speeches_before = Speech.objects.count()
    call_command("import_document", str(path), speaker="ken-mccallum", date="2021-07-20", title="Threat update",
                 kind="speech", publisher="Example News", language="en")
    assert Speech.objects.count() == speeches_before
    attached = Source.objects.get(publisher="Example News")
    assert attached.speech == primary.speech and attached.role == Source.Role.REPUBLICATION
    # Its figures are drafts of the briefing, the speaker's own words, none repeating a held figure.
    held = set(primary.statistics.values_list("measure", "value"))
    for draft in attached.statistics.all():
        assert draft.status == Status.DRAFT and draft.attribution == "speaker" and draft.speech == primary.speech
        assert (draft.measure, draft.value) not in held
    output = capsys.readouterr().out
    assert "as a republication" in output and f"Closest held text: “{primary.slug}”" in output
    share = float(output.split("Closest held text:")[1].split("”, ")[1].split("%")[0])
    assert 95 < share <= 100


def write(tmp_path, content):
    path = tmp_path / "doc.txt"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "changes", "message"),
    [
        (b"", {}, "The file is empty"),
        (b"  \n\n \t", {}, "The file is empty"),
        (b"We disrupted 12 plots \xff\xfe in 2024.", {}, "not UTF-8 text: byte 22"),
        (b"We disrupted 12 plots.", {"speaker": "nobody"}, "No speaker has the slug “nobody”"),
        (b"We disrupted 12 plots.", {"date": "2025-02-30"}, "“2025-02-30” is not a real date"),
        (b"We disrupted 12 plots.", {"date": "16/10/2025"}, "not a date in the form YYYY-MM-DD"),
        (b"We disrupted 12 plots.", {"kind": "podcast"}, "“podcast” is not a kind of briefing"),
        (b"We disrupted 12 plots.", {"title": "  "}, "The title is empty"),
        (b"We disrupted 12 plots.", {"language": "English!"}, "not a language code"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(seeded, tmp_path, content, changes, message):
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        import_file(write(tmp_path, content), **changes)
    assert snapshot() == before


def test_a_missing_file_is_named(seeded, tmp_path):
    with pytest.raises(CommandError, match="No file at .*missing.txt"):
        import_file(tmp_path / "missing.txt")


def test_a_failure_half_way_leaves_nothing_behind(seeded, monkeypatch):
    before = snapshot()

    def broken(sentence):
        raise RuntimeError("the figure reader broke")

    monkeypatch.setattr(importing.figures, "find_figures", broken)
    with pytest.raises(RuntimeError):
        import_file(SAMPLE)
    assert snapshot() == before


# The admin upload ------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, seeded):
    client.force_login(User.objects.create_superuser("editor", password="x" * 20))
    return client


def upload(client, content, **changes):
    speaker = importing.Speaker.objects.get(slug="ken-mccallum")
    data = {"speaker": speaker.slug, "date": "2025-10-16", "title": "Test threat update",
            "kind": "annual-threat-update", "publisher": "MI5", "url": "", "language": "en",
            "document": SimpleUploadedFile("upload.txt", content, content_type="text/plain"), **changes}
    return client.post("/admin/briefings/speech/import/", data)


def test_staff_can_import_by_upload_with_the_same_rules(staff_client):
    response = upload(staff_client, SAMPLE.read_bytes())
    speech = Speech.objects.get(title="Test threat update")
    assert response.status_code == 302 and response["Location"] == f"/briefings/{speech.slug}/review/"
    assert speech.statistics.filter(status=Status.DRAFT).count() == 4
    again = upload(staff_client, SAMPLE.read_bytes())
    assert again.status_code == 302 and Speech.objects.filter(title="Test threat update").count() == 1


def test_a_bad_upload_shows_the_reason_next_to_the_file_and_writes_nothing(staff_client):
    before = snapshot()
    response = upload(staff_client, b"\xff\xfe\x00bad")
    assert response.status_code == 200
    assert "not UTF-8 text" in response.context["form"].errors["document"][0]
    assert "Nothing was imported" in response.content.decode()
    assert snapshot() == before


def test_the_speech_list_offers_the_import_to_staff(staff_client):
    assert "Import a document" in staff_client.get("/admin/briefings/speech/").content.decode()
