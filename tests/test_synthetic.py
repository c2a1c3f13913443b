"""`manage.py generate_synthetic`: a realistic corpus for benchmarks, only ever in a benchmark database."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from briefings.models import (
    Assessment,
    Source,
    SourceParagraph,
    Speech,
    Statistic,
    Status,
    quote_in_text,
)
from briefings.search import index_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_name(monkeypatch):
    """Make the guard see a benchmark database's name (the open test connection is unchanged)."""
    monkeypatch.setitem(connection.settings_dict, "NAME", "threat_briefings_bench")


def test_refuses_a_database_whose_name_does_not_say_bench(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "threat_briefings")
    with pytest.raises(CommandError, match="Refusing to add synthetic briefings to the database 'threat_briefings'"):
        call_command("generate_synthetic", briefings=3, verbosity=0)
    assert not Speech.objects.exists()


def test_adds_briefings_with_statistics_and_assessments_quoted_from_their_text(bench_name):
    call_command("generate_synthetic", briefings=12, verbosity=0)
    synthetic = Speech.objects.filter(slug__startswith="synthetic-")
    assert synthetic.count() == 12
    assert Speech.objects.filter(slug="annual-threat-update-2024").exists(), "the curated seed is loaded first"
    for speech in synthetic.prefetch_related("sources", "statistics", "assessments", "threats"):
        [source] = speech.sources.all()
        assert source.text.count("\n\n") >= 5, "several paragraphs"
        assert len(speech.statistics.all()) == 10 and len(speech.assessments.all()) == 3
        assert speech.threats.all()
        for item in [*speech.statistics.all(), *speech.assessments.all()]:
            assert item.status == Status.PUBLISHED
            assert quote_in_text(item.quote, source.text), item.quote
        assert speech.date is None or 1990 <= speech.date.year <= 2026


def test_search_paragraphs_are_what_index_source_would_store(bench_name):
    call_command("generate_synthetic", briefings=3, verbosity=0)
    for source in Source.objects.filter(slug__startswith="synthetic-"):
        built = list(SourceParagraph.objects.filter(source=source).values_list("number", "text"))
        index_source(source)
        assert list(SourceParagraph.objects.filter(source=source).values_list("number", "text")) == built
        assert len(built) == 8


def test_running_again_adds_more_and_dry_run_adds_nothing(bench_name):
    call_command("generate_synthetic", briefings=4, verbosity=0)
    call_command("generate_synthetic", briefings=4, verbosity=0)
    assert Speech.objects.filter(slug__startswith="synthetic-").count() == 8
    statistics, assessments = Statistic.objects.count(), Assessment.objects.count()
    call_command("generate_synthetic", briefings=4, dry_run=True, verbosity=0)
    assert Speech.objects.filter(slug__startswith="synthetic-").count() == 8
    assert (Statistic.objects.count(), Assessment.objects.count()) == (statistics, assessments)
