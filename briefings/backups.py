"""Backups that can be trusted: written from one snapshot, never left half-written under the
final name, proved by loading them into a scratch database; and a restore that reads and checks
the whole file before it touches the database.

The file is Django's XML serialisation (times kept to the microsecond; JSON cuts them to
milliseconds), compressed by its name's ending. Rows keep their ids, so history rows, which
point at rows by id, stay right even for rows deleted since; other references use natural keys
(slugs, usernames, content types), so a backup from SQLite loads into PostgreSQL and back.
"""

import bz2
import copy
import gzip
import json
import lzma
import os
import subprocess
import sys
import tempfile
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers import xml_serializer
from django.db import connection, transaction
from simple_history.models import HistoricalChanges

from .text import clean_control_characters, has_control_characters

# Not backed up: rows every database rebuilds for itself (content types and permissions, on
# migrate and flush; search paragraphs, whenever a source is saved, loads included) and
# rows that should not outlive a restore (sessions, login lockouts and their logs, and the
# page cache's content token: a restore must make a new one, not bring back an old one).
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "briefings.sourceparagraph",
    "briefings.contentversion",
]
OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, "": open}
FORMATS = ("xml", "json")


class BackupRefused(Exception):
    """A backup that cannot be written, verified or restored; the message is one line for a person."""


def backed_up_models():
    """Every model worth keeping, in an order where each row's natural-key references come first."""
    chosen = [
        model for model in apps.get_models()
        if model._meta.app_label not in EXCLUDED and model._meta.label_lower not in EXCLUDED
        and not model._meta.proxy and model._meta.managed
    ]
    by_app = {}
    for model in chosen:
        by_app.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    return serializers.sort_dependencies(by_app.items(), allow_cycles=True)


def split_name(path):
    """(format, compression) from a name such as backup.xml.gz; BackupRefused when it is neither."""
    name = Path(path).name
    compression = next((ending for ending in OPENERS if ending and name.endswith(ending)), "")
    fmt = name.removesuffix(compression).rpartition(".")[2]
    if fmt not in FORMATS:
        raise BackupRefused(f"{name}: the name must end .xml or .json, optionally followed by .gz, .bz2 or .xz.")
    return fmt, compression


class Serializer(xml_serializer.Serializer):
    """Django's XML, except that history rows refer to rows by id (the row may have been deleted,
    so it has no natural key left to give), and text that XML cannot hold is written cleaned
    (see text.py) instead of failing the whole backup; `cleaned` names each such field."""

    def serialize(self, queryset, **options):
        self.cleaned, self.natural = [], options.get("use_natural_foreign_keys", False)
        return super().serialize(queryset, **options)

    def start_object(self, obj):
        self.use_natural_foreign_keys = self.natural and not isinstance(obj, HistoricalChanges)
        super().start_object(obj)

    def handle_field(self, obj, field):
        value = getattr(obj, field.attname)
        if isinstance(value, str) and has_control_characters(value):
            self.cleaned.append(f"{obj._meta.label}#{obj.pk}.{field.name}")
            obj = copy.copy(obj)
            setattr(obj, field.attname, clean_control_characters(value))
        super().handle_field(obj, field)


def write_backup(output):
    """Write every backed-up row, read from one snapshot, to `output`: first under a temporary
    name in the same folder, renamed only once complete, so the name never holds half a backup.
    Returns (rows per model label, fields written cleaned)."""
    output = Path(output)
    fmt, compression = split_name(output)
    if fmt != "xml":
        raise BackupRefused(f"{output.name}: backups are written as XML; end the name .xml (or .xml.gz, …).")
    partial = output.with_name(f".partial-{os.getpid()}-{output.name}")
    counts = Counter()

    def rows():
        for model in backed_up_models():
            for row in model._base_manager.order_by("pk").iterator(chunk_size=2000):
                counts[model._meta.label] += 1
                yield row

    try:
        with snapshot(), OPENERS[compression](partial, "wt", encoding="utf-8") as stream:
            serializer = Serializer()
            serializer.serialize(rows(), stream=stream, use_natural_foreign_keys=True, indent=1)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return counts, serializer.cleaned


@contextmanager
def snapshot():
    """One transaction that sees the database as it was when it began, whatever commits meanwhile:
    REPEATABLE READ on PostgreSQL; on SQLite the transaction holds the write lock (writers wait)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def read_backup(path):
    """Read and check the whole file without writing anything: rows per model label. Raises
    BackupRefused with a one-line reason for a missing, empty, truncated or corrupt file, or one
    that holds no rows."""
    path = Path(path)
    fmt, compression = split_name(path)
    try:
        with OPENERS[compression](path, "rt", encoding="utf-8") as stream:
            counts = Counter(
                item.object._meta.label
                for item in serializers.deserialize(fmt, stream, handle_forward_references=True)
            )
    except FileNotFoundError:
        raise BackupRefused(f"{path}: no such file.") from None
    except Exception as error:  # noqa: BLE001 - whatever fails to read, the file is refused, the database untouched
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise BackupRefused(f"{path.name} is not a complete backup ({type(error).__name__}: {reason}).") from None
    if not counts:
        raise BackupRefused(f"{path.name} holds no rows; a backup always has some. Nothing was restored.")
    return counts


def database_rows():
    """Rows per model label of everything a backup holds, in the database as it is now."""
    return Counter({
        model._meta.label: count for model in backed_up_models() if (count := model._base_manager.count())
    })


# Run in a process of its own against the scratch database, so nothing the load does (search
# paragraphs, page-cache tokens, history) can reach this one.
_LOAD_AND_COUNT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
from briefings.backups import database_rows
call_command("migrate", interactive=False, verbosity=0)
call_command("restore", sys.argv[1], interactive=False, verbosity=0)
print(json.dumps(database_rows()))
"""


def verify_backup(path, expected):
    """Load the file into a new scratch database with `manage.py restore` and compare its rows per
    model with `expected`. Returns the scratch counts; raises BackupRefused naming each model that differs."""
    with scratch_database() as url:
        result = subprocess.run(
            [sys.executable, "-c", _LOAD_AND_COUNT, str(Path(path).resolve())], cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "briefings.settings"},
            capture_output=True, text=True,
        )
    if result.returncode:
        why = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupRefused(f"The backup did not load into a scratch database: {why}")
    loaded = Counter(json.loads(result.stdout.strip().splitlines()[-1]))
    differences = [
        f"{label}: {expected.get(label, 0)} written, {loaded.get(label, 0)} loaded"
        for label in sorted(set(expected) | set(loaded)) if expected.get(label, 0) != loaded.get(label, 0)
    ]
    if differences:
        raise BackupRefused("The backup does not load back whole: " + "; ".join(differences))
    return loaded


@contextmanager
def scratch_database():
    """The URL of a new, empty database of the same kind as this one, dropped afterwards."""
    default = connection.settings_dict
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="backup-verify-") as folder:
            yield database_url({**default, "NAME": str(Path(folder) / "verify.sqlite3")})
        return
    name = f"{default['NAME']}_verify_{os.getpid()}"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url({**default, "NAME": name})
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def database_url(settings_dict):
    """The DATABASE_URL that names this database, for a command run in a process of its own."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    credentials = urllib.parse.quote(settings_dict["USER"] or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(settings_dict["PASSWORD"], safe="")
    host, port = settings_dict["HOST"] or "localhost", settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"
