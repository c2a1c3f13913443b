from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from briefings.importing import ATTACH_ROLES, ImportForm, ImportRefused, import_document, size_limit_message
from briefings.models import Speech


class Command(BaseCommand):
    help = (
        "Add a plain-text (UTF-8) transcript or report: a new draft briefing with a draft statistic for every "
        "figure found, or, for a report or copy of a briefing already held, another source of that briefing "
        "(--attach-to to choose it; a text of the same speaker dated within a few days of a held briefing is "
        "attached to it as a news report unless --new). The same text twice changes nothing. The input is "
        "checked as the admin's upload checks it; on any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The text file to import.")
        parser.add_argument("--speaker", required=True, help="Slug of the speaker, e.g. ken-mccallum.")
        parser.add_argument("--date", required=True, help="Date of the briefing, YYYY-MM-DD.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(Speech.Kind.values)}.")
        parser.add_argument("--publisher", default="", help="Who published this copy (required for a report).")
        parser.add_argument("--url", default="", help="Where it was published: http:// or https:// only.")
        parser.add_argument("--language", default="en", help="BCP 47 code of the text, e.g. en or de.")
        parser.add_argument("--allow-future", action="store_true", help="Accept a date after today.")
        parser.add_argument("--attach-to", default="", metavar="SLUG", help="Attach the text to this briefing.")
        parser.add_argument("--role", default="", choices=["", *(value for value, _label in ATTACH_ROLES)],
                            help="What the attached text is; news-report by default.")
        parser.add_argument("--new", action="store_true", help="A new briefing, even if one is dated near it.")

    def handle(self, *args, path, verbosity, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {path}." if not file.exists() else f"{path} is not a file.")
        size = file.stat().st_size
        if size > settings.IMPORT_MAX_BYTES:  # refused before a byte of it is read
            raise CommandError(f"Nothing imported: {size_limit_message(size)}")
        names = ["speaker", "date", "title", "kind", "publisher", "url", "language", "allow_future", "attach_to",
                 "role", "new"]
        form = ImportForm({name: options[name] for name in names},
                          {"document": SimpleUploadedFile(file.name, file.read_bytes())})
        if not form.is_valid():
            reasons = " ".join(f"{message}" if field == "__all__" else f"--{field.replace('_', '-')}: {message}"
                               for field, messages in form.errors.items() for message in messages)
            raise CommandError(f"Nothing imported: {reasons}")
        try:
            result = import_document(form.import_request(file.name))
        except ImportRefused as refusal:
            raise CommandError(f"Nothing imported: {refusal}") from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
        if verbosity > 1 or verbosity == 1 and len(result.drafts) <= 50:
            for draft in result.drafts:
                self.stdout.write(f"  draft #{draft.pk}: {draft.value_text} | {draft.measure} | unit {draft.unit or '-'}")
