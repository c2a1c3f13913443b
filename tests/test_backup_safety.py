"""Backups that can be trusted, on SQLite and PostgreSQL: taken while imports run they restore
every time; killed half-way they leave nothing under the final name; history of deleted rows and
stored control characters never break them; a bad file is refused before anything is touched.

Figures: run with `-s` to see how many backups taken during imports were restored.
"""

import datetime
import gzip
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from briefings import importing
from briefings.backups import BackupRefused, database_rows, database_url, read_backup, verify_backup, write_backup
from briefings.models import Speaker, Speech, Statistic

from .test_backup import curated, snapshot

__all__ = ["curated"]  # the fixture, shared with test_backup

pytestmark = pytest.mark.django_db(transaction=True)


def restore(path, **options):
    call_command("restore", str(path), interactive=False, verbosity=0, **options)


# Bad files are refused before the database is touched ------------------------------------------


def truncated(path, tmp_path):
    whole = path.read_bytes()
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    return cut


def empty(path, tmp_path):
    nothing = tmp_path / "empty.xml.gz"
    nothing.write_bytes(b"")
    return nothing


def corrupt(path, tmp_path):
    text = gzip.decompress(path.read_bytes()).decode()
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace("</object>", "</objekt>", 1))
    return broken


def no_rows(path, tmp_path):
    hollow = tmp_path / "hollow.xml"
    hollow.write_text('<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0"></django-objects>\n')
    return hollow


@pytest.mark.parametrize(("spoil", "reason"), [
    (empty, "holds no rows"), (truncated, "is not a complete backup"), (corrupt, "is not a complete backup"),
    (no_rows, "holds no rows"),
])
def test_a_bad_file_is_refused_in_one_line_and_the_database_is_unchanged(curated, tmp_path, spoil, reason):
    backup = tmp_path / "good.xml.gz"
    call_command("backup", output=str(backup), verbosity=0)
    before = snapshot()
    with pytest.raises(CommandError) as refusal:
        restore(spoil(backup, tmp_path), force=True)
    assert reason in str(refusal.value) and "\n" not in str(refusal.value)
    assert snapshot() == before


def test_restore_from_the_command_line_prints_no_traceback(curated, tmp_path):
    """As a person runs it: the shell shows the one-line reason, and the exit status says it failed."""
    spoilt = tmp_path / "spoilt.xml.gz"
    spoilt.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "restore", "--no-input", "--force", str(spoilt)],
        env={**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: spoilt.xml.gz is not a complete backup")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_restoring_over_data_needs_force(curated, tmp_path):
    backup = tmp_path / "backup.xml.gz"
    call_command("backup", output=str(backup), verbosity=0)
    Speech.objects.filter(slug="being-mi5-video").update(title="Changed after the backup")
    with pytest.raises(CommandError, match="Pass --force"):
        restore(backup)
    assert Speech.objects.get(slug="being-mi5-video").title == "Changed after the backup"
    restore(backup, force=True)
    assert Speech.objects.get(slug="being-mi5-video").title == "Being MI5 (video)"


def test_without_a_terminal_restore_names_the_flag_instead_of_failing(curated, tmp_path, monkeypatch):
    backup = tmp_path / "backup.xml.gz"
    call_command("backup", output=str(backup), verbosity=0)
    monkeypatch.setattr("sys.stdin", StringIO(""))
    before = snapshot()
    with pytest.raises(CommandError, match="No terminal to ask on: pass --no-input"):
        call_command("restore", str(backup), force=True, verbosity=0)
    assert snapshot() == before


# What is stored never breaks a backup ----------------------------------------------------------


def test_the_history_of_a_deleted_briefing_is_backed_up_and_restored(curated, tmp_path):
    speech = Speech.objects.get(slug="being-mi5-video")
    speech_id = speech.pk
    gone = set(speech.statistics.values_list("pk", flat=True))
    assert gone
    # As in the admin: its figures and judgements first (their sources are protected), then the briefing.
    speech.statistics.all().delete()
    speech.assessments.all().delete()
    speech.delete()
    before = snapshot()
    backup = tmp_path / "after-delete.xml.gz"
    call_command("backup", output=str(backup), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    restore(backup)
    assert snapshot() == before
    history = Statistic.history.filter(id__in=gone)
    assert set(history.values_list("id", flat=True)) == gone
    assert set(history.values_list("speech_id", flat=True)) == {speech_id}  # still says which briefing it was


def test_stored_control_characters_are_written_cleaned_not_fatal(curated, tmp_path):
    """Rows written before text was cleaned on the way in (or by raw SQL) still back up."""
    statistic = Statistic.objects.first()
    Statistic.objects.filter(pk=statistic.pk).update(note="page one\x0cpage two\x07")
    backup, errors = tmp_path / "backup.xml.gz", StringIO()
    call_command("backup", output=str(backup), verbosity=0, stderr=errors)
    assert f"briefings.Statistic#{statistic.pk}.note" in errors.getvalue()
    restore(backup, force=True)
    statistic.refresh_from_db()
    assert statistic.note == "page one\npage two"


# Verified, complete or absent ------------------------------------------------------------------


def test_verify_loads_the_backup_into_a_scratch_database_and_compares_every_table(curated, tmp_path):
    backup = tmp_path / "verified.xml.gz"
    out = StringIO()
    call_command("backup", output=str(backup), verify=True, stdout=out)
    assert "verified" in out.getvalue()
    written = read_backup(backup)
    assert written == database_rows()
    with pytest.raises(BackupRefused, match=r"auth.User: 2 written, 1 loaded"):
        verify_backup(backup, written + Counter({"auth.User": 1}))


def test_a_backup_killed_half_way_leaves_no_file_under_its_name(curated, tmp_path):
    Speaker.objects.bulk_create(Speaker(slug=f"speaker-{n}", name=f"Speaker {n}", role="Test") for n in range(30000))
    final = tmp_path / "killed.xml.gz"
    process = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "backup", "--output", str(final)],
        env={**os.environ, "DATABASE_URL": database_url(connection.settings_dict)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".partial-*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the backup ended before it could be killed; give it more rows"
    time.sleep(0.2)  # well into writing
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not final.exists()


BACKUPS_DURING_IMPORTS = 8
WORDS = "plots states cyber threat agents espionage terrorism investigations disruption warning".split()


def import_in_a_loop(stop, imported, failures):
    try:
        speaker = Speaker.objects.get(slug="ken-mccallum")
        for n in itertools.count():
            if stop.wait(0.05):  # a breath between imports, so that they cannot starve the backups
                return
            words = " ".join(WORDS[(n * 7 + i) % len(WORDS)] + str(n * 100 + i) for i in range(60))
            text = f"Briefing {n}. We disrupted {n + 3} plots in {2000 + n % 20}. {words}.".encode()
            importing.import_document(importing.ImportRequest(
                text=text.decode(), name=f"loop-{n}.txt", speaker=speaker, date=datetime.date(2024, 1, 1),
                title=f"Loop briefing {n}", kind="speech", new=True,
            ))
            imported.append(n)
    except Exception as error:  # noqa: BLE001 - reported by the test
        failures.append(error)
    finally:
        connection.close()


def test_backups_taken_while_imports_run_restore_every_time(curated, tmp_path):
    stop, imported, failures = threading.Event(), [], []
    importer = threading.Thread(target=import_in_a_loop, args=(stop, imported, failures))
    importer.start()
    backups = []
    try:
        while len(backups) < BACKUPS_DURING_IMPORTS:
            # Each backup starts while an import is under way or just done, never before the first.
            seen = len(imported)
            deadline = time.monotonic() + 60
            while len(imported) == seen and importer.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
            path = tmp_path / f"during-{len(backups)}.xml.gz"
            counts, _cleaned = write_backup(path)
            backups.append((path, counts))
    finally:
        stop.set()
        importer.join()
    assert not failures, failures
    assert len(imported) >= BACKUPS_DURING_IMPORTS, "the imports should have run alongside the backups"
    restored = 0
    for path, counts in backups:
        restore(path, force=True)
        assert database_rows() == counts
        restored += 1
    print(f"\nbackups taken during {len(imported)} imports on {connection.vendor}: "
          f"{restored} of {len(backups)} restored whole")
    assert restored == BACKUPS_DURING_IMPORTS
