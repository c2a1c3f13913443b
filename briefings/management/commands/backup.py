import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

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


class Command(BaseCommand):
    help = (
        "Write every table worth keeping (briefings, their history, users and groups, the admin log) "
        "to one XML file, with natural keys so it loads into any database of this schema: SQLite or "
        "PostgreSQL. XML because Django's JSON cuts times to milliseconds and this keeps them exact. "
        "Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o",
            help="File to write, ending .xml, or .xml.gz, .xml.bz2, .xml.xz to compress. "
            "Default: backups/threat-briefings-<UTC time>.xml.gz",
        )

    def handle(self, *args, output, verbosity, **options):
        if not output:
            folder = settings.BASE_DIR / "backups"
            folder.mkdir(exist_ok=True)
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = str(folder / f"threat-briefings-{stamp}.xml.gz")
        if not output.endswith(tuple(f".xml{compression}" for compression in ("", ".gz", ".bz2", ".xz"))):
            raise CommandError(
                "The backup file's name must end .xml (optionally .gz, .bz2 or .xz): loaddata reads the format from it."
            )
        call_command(
            "dumpdata",
            format="xml",
            natural_foreign=True,
            natural_primary=True,
            exclude=EXCLUDED,
            output=output,
            verbosity=0,
        )
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Backed up to {output}"))
