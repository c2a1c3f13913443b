from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.test.utils import override_settings

from briefings.management.confirm import confirm_or_stop
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
        "Load the curated briefings (fixtures/briefings.json) in one transaction. Fills an empty database "
        "and adds the fixture's rows that are missing (matched by slug or id); it never changes a row that "
        "exists, so curators' edits survive (`make run` runs it). --reset loads every fixture row over the "
        "database's, undoing edits to them, after asking (or with --yes). Statistics and judgements whose "
        "history does not yet show their curated values get a history entry saying so."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=settings.FIXTURES_DIR / "briefings.json")
        parser.add_argument("--reset", action="store_true",
                            help="Overwrite existing rows with the fixture's values (curators' edits to them are lost).")
        parser.add_argument("--yes", action="store_true", help="With --reset: do not ask first.")

    def handle(self, *args, fixture, reset, yes, verbosity, **options):
        if reset and not yes:
            confirm_or_stop(
                "This sets every curated row back to the fixture's values; curators' edits to them are lost.",
                flag="--yes",
            )
        with transaction.atomic():
            # History sees the fixture as one entry per changed row (below), not as raw writes.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                if reset:
                    call_command("loaddata", str(fixture), verbosity=0)
                    added = kept = 0
                else:
                    added, kept = add_missing_rows(fixture)
            recorded = record_curated_history(Statistic, CURATED_HISTORY)
            recorded += record_curated_history(Assessment, CURATED_HISTORY)
        if verbosity:
            counts = ", ".join(
                f"{model.objects.count()} {model._meta.verbose_name_plural}"
                for model in (Speaker, Speech, Source, ThreatCategory, Country, Statistic, Assessment)
            )
            what = "Reset to the fixture" if reset else f"Added {added} missing rows, left {kept} existing rows as they are"
            self.stdout.write(self.style.SUCCESS(f"{what}. Now: {counts}. History entries added: {recorded}."))


def add_missing_rows(fixture):
    """Save each fixture row that has no row yet (by natural key, or by id where it has none) and
    leave every existing row untouched. A fixture row that would clash with a curator's row (the
    same briefing, measure and value under another id, say) is not added. Returns (added, kept)."""
    added, kept, models = 0, 0, set()
    try:
        with open(fixture, encoding="utf-8") as stream:
            # One at a time, as loaddata does: each row's references resolve against the rows before it.
            for item in serializers.deserialize("json", stream):
                model = type(item.object)
                if item.object.pk is not None and model._base_manager.filter(pk=item.object.pk).exists():
                    kept += 1
                    continue
                try:
                    with transaction.atomic():
                        item.save()
                except IntegrityError:
                    kept += 1
                    continue
                added += 1
                models.add(model)
    except (OSError, serializers.base.DeserializationError) as error:
        raise CommandError(f"Cannot read the fixture {fixture}: {error}") from None
    # Rows saved with their own ids leave PostgreSQL's sequences behind; move them past the ids.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)
    return added, kept


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
