import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from briefings.curation import CurationError, build_fixture


class Command(BaseCommand):
    help = (
        "Build fixtures/briefings.json from fixtures/curation.toml and the documents in "
        "fixtures/documents/, checking every quote against its document."
    )

    def add_arguments(self, parser):
        parser.add_argument("--curation", default=settings.FIXTURES_DIR / "curation.toml")
        parser.add_argument("--documents", default=settings.DOCUMENTS_DIR)
        parser.add_argument("--output", default=settings.FIXTURES_DIR / "briefings.json")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the curation file without writing the fixture."
        )

    def handle(self, *args, curation, documents, output, dry_run, verbosity, **options):
        try:
            fixture = build_fixture(curation, documents)
        except CurationError as error:
            raise CommandError(
                f"{len(error.problems)} problem(s) in {curation}:\n" + "\n".join(f"  - {p}" for p in error.problems)
            ) from error
        counts = {}
        for entry in fixture:
            counts[entry["model"]] = counts.get(entry["model"], 0) + 1
        summary = ", ".join(f"{n} {model.split('.')[1]}" for model, n in counts.items())
        if dry_run:
            self.stdout.write(f"Curation is valid ({summary}); nothing written (--dry-run).")
            return
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(fixture, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Wrote {output}: {summary}."))
