from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a file written by `manage.py backup`: empty every "
        "table (flush), then load the file, in one transaction, so a file that fails to load leaves "
        "the database as it was. Run `manage.py migrate` first on a new database. Search paragraphs "
        "are rebuilt as the sources load."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup written by `manage.py backup`")
        parser.add_argument("--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation before emptying the database.")

    def handle(self, *args, file, interactive, verbosity, **options):
        if interactive:
            answer = input("This deletes everything in the database and loads the backup instead. Type 'yes' to go on: ")
            if answer != "yes":
                self.stdout.write("Restore cancelled.")
                return
        # The backup holds the history already; recording the load itself would add to it.
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", file, verbosity=verbosity)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored from {file}"))
