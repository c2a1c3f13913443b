import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from briefings.backups import EXCLUDED, BackupRefused, verify_backup, write_backup

__all__ = ["EXCLUDED", "Command"]


class Command(BaseCommand):
    help = (
        "Write every table worth keeping (briefings, their history, users and groups, the admin log) "
        "to one XML file, read from one consistent snapshot, under a temporary name renamed only once "
        "complete. With --verify, load it into a scratch database and compare every table's rows. "
        "Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o",
            help="File to write, ending .xml, or .xml.gz, .xml.bz2, .xml.xz to compress. "
            "Default: backups/threat-briefings-<UTC time>.xml.gz",
        )
        parser.add_argument("--verify", action="store_true",
                            help="Load the written file into a scratch database and compare its rows with the database's.")

    def handle(self, *args, output, verify, verbosity, **options):
        if not output:
            folder = settings.BASE_DIR / "backups"
            folder.mkdir(exist_ok=True)
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = str(folder / f"threat-briefings-{stamp}.xml.gz")
        try:
            counts, cleaned = write_backup(output)
            if verify:
                verify_backup(output, counts)
        except BackupRefused as refusal:
            raise CommandError(str(refusal)) from None
        if cleaned:
            self.stderr.write(self.style.WARNING(
                f"{len(cleaned)} stored text(s) held control characters XML cannot hold; written cleaned: "
                + ", ".join(cleaned[:10]) + (" …" if len(cleaned) > 10 else "")
            ))
        if verbosity:
            checked = " and verified: every table loads back with the same rows" if verify else ""
            self.stdout.write(self.style.SUCCESS(f"Backed up {sum(counts.values())} rows to {output}{checked}."))
