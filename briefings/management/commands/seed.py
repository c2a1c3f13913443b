from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from briefings.models import Assessment, Country, Source, Speaker, Speech, Statistic, ThreatCategory


class Command(BaseCommand):
    help = (
        "Load the curated briefings (fixtures/briefings.json) in one transaction. Rows are matched "
        "by slug or id, so running it again leaves exactly the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=settings.FIXTURES_DIR / "briefings.json")

    def handle(self, *args, fixture, verbosity, **options):
        with transaction.atomic():
            call_command("loaddata", str(fixture), verbosity=0)
        if verbosity:
            counts = ", ".join(
                f"{model.objects.count()} {model._meta.verbose_name_plural}"
                for model in (Speaker, Speech, Source, ThreatCategory, Country, Statistic, Assessment)
            )
            self.stdout.write(self.style.SUCCESS(f"Seeded: {counts}."))
