from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from briefings.importing import ImportRefused, import_document
from briefings.models import Speech


class Command(BaseCommand):
    help = (
        "Add a briefing from a plain-text (UTF-8) transcript or report, with draft statistics for every figure "
        "found. A copy of a text already held is attached to its briefing as a republication; importing the "
        "same text twice changes nothing. One transaction: on any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The text file to import.")
        parser.add_argument("--speaker", required=True, help="Slug of the speaker, e.g. ken-mccallum.")
        parser.add_argument("--date", required=True, help="Date of the briefing, YYYY-MM-DD.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(Speech.Kind.values)}.")
        parser.add_argument("--publisher", default="MI5")
        parser.add_argument("--url", default="")
        parser.add_argument("--language", default="en", help="BCP 47 code of the text, e.g. en or de.")

    def handle(self, *args, path, speaker, date, title, kind, publisher, url, language, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {path}." if not file.exists() else f"{path} is not a file.")
        try:
            result = import_document(
                file.read_bytes(), name=file.name, speaker=speaker, date=date, title=title, kind=kind,
                publisher=publisher, url=url, language=language,
            )
        except ImportRefused as refusal:
            raise CommandError(f"Nothing imported: {refusal}") from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
        for draft in result.drafts:
            self.stdout.write(f"  draft #{draft.pk}: {draft.value_text} | {draft.measure} | unit {draft.unit or '-'}")
