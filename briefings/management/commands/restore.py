from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from briefings.backups import BackupRefused, database_rows, read_backup
from briefings.management.confirm import confirm_or_stop


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a file written by `manage.py backup`. The whole file "
        "is read and checked first: an empty, truncated or corrupt file, or one with no rows, is refused "
        "and nothing is touched. Over a database that holds data it needs --force. Then, in one "
        "transaction, every table is emptied (flush) and the file loaded, so a load that fails leaves "
        "the database as it was. Run `manage.py migrate` first on a new database. Search paragraphs are "
        "rebuilt as the sources load."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup written by `manage.py backup`")
        parser.add_argument("--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation before emptying the database.")
        parser.add_argument("--force", action="store_true",
                            help="Replace a database that holds data (without it, only an empty one is restored into).")

    def handle(self, *args, file, interactive, force, verbosity, **options):
        try:
            in_file = read_backup(file)
        except BackupRefused as refusal:
            raise CommandError(str(refusal)) from None
        present = database_rows()
        if present and not force:
            raise CommandError(
                f"The database is not empty ({describe(present)}); restoring replaces all of it. "
                "Pass --force to do that, or restore into a new database."
            )
        if interactive:
            confirm_or_stop(
                f"This deletes everything in the database and loads {describe(in_file)} from {file} instead.",
                flag="--no-input",
            )
        try:
            # The backup holds the history already; recording the load itself would add to it.
            with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("flush", interactive=False, verbosity=0)
                call_command("loaddata", file, verbosity=0)
        except Exception as error:  # noqa: BLE001 - the transaction is rolled back; say why in one line
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise CommandError(f"{file} did not load, so nothing was changed ({type(error).__name__}: {reason}).") from None
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored {describe(in_file)} from {file}."))


def describe(counts):
    total = sum(counts.values())
    biggest = ", ".join(f"{count} {label}" for label, count in counts.most_common(3))
    return f"{total} rows: {biggest}{', …' if len(counts) > 3 else ''}"
