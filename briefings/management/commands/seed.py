from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from briefings.models import (
    CURATED_HISTORY,
    Assessment,
    Country,
    Source,
    Speaker,
    Speech,
    Statistic,
    ThreatCategory,
)

CURATED_HISTORY_REASON = "Loaded from the curated fixture (manage.py seed)"


class Command(BaseCommand):
    help = (
        "Load the curated briefings (fixtures/briefings.json) in one transaction. Rows are matched "
        "by slug or id, so running it again leaves exactly the same rows. Statistics and judgements "
        "whose history does not yet show their curated values get a history entry saying so."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=settings.FIXTURES_DIR / "briefings.json")

    def handle(self, *args, fixture, verbosity, **options):
        with transaction.atomic():
            # History sees the fixture as one entry per changed row (below), not as raw writes.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", str(fixture), verbosity=0)
            recorded = record_curated_history(Statistic, CURATED_HISTORY)
            recorded += record_curated_history(Assessment, CURATED_HISTORY)
        if verbosity:
            counts = ", ".join(
                f"{model.objects.count()} {model._meta.verbose_name_plural}"
                for model in (Speaker, Speech, Source, ThreatCategory, Country, Statistic, Assessment)
            )
            self.stdout.write(self.style.SUCCESS(f"Seeded: {counts}. History entries added: {recorded}."))


def _tracked(record, fields):
    return [getattr(record, name) for name in fields]


def record_curated_history(model, recorder):
    """Fixture loads are raw saves, which history does not see. Add an entry for each row whose
    latest history entry is missing or shows other values, so the admin's history starts from
    (or returns to) the curated values."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("updated_at", "version")]
    latest = {entry.id: entry for entry in model.history.order_by("history_date", "history_id")}
    stale = [
        row for row in model.objects.all()
        if row.pk not in latest or _tracked(latest[row.pk], fields) != _tracked(row, fields)
    ]
    for row in stale:
        row._change_reason = CURATED_HISTORY_REASON
        recorder.create_historical_record(row, "~" if row.pk in latest else "+")
    return len(stale)
