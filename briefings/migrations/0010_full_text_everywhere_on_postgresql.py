from django.db import migrations

# PostgreSQL only. Titles and summaries, figures and judgements are searched as the paragraphs
# are (migration 0002): English full text, through a GIN index on the same expression
# (search.contains compiles to it). It replaces the trigram indexes of 0004, whose posting lists
# for common trigrams ("ION", "ING") hold most rows, so every search read them whatever it found:
# at 10,000 briefings 3 to 10 ms a table for a word with no match, where the full-text index
# answers in about 1.
FULL_TEXT_INDEXES = {
    "speech_text_search_idx": ("briefings_speech", ("title", "summary")),
    "statistic_text_search_idx": ("briefings_statistic", ("quote", "measure")),
    "assessment_text_search_idx": ("briefings_assessment", ("quote", "summary")),
}
TRIGRAM_INDEXES = {
    "speech_text_trgm_idx": "briefings_speech USING GIN (UPPER(title) gin_trgm_ops, UPPER(summary) gin_trgm_ops)",
    "statistic_text_trgm_idx": "briefings_statistic USING GIN (UPPER(quote) gin_trgm_ops, UPPER(measure) gin_trgm_ops)",
    "assessment_text_trgm_idx": "briefings_assessment USING GIN (UPPER(quote) gin_trgm_ops, UPPER(summary) gin_trgm_ops)",
}


def full_text(columns):
    joined = " || ' ' || ".join(f'COALESCE("{column}", \'\')' for column in columns)
    return f"to_tsvector('english'::regconfig, {joined})"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in FULL_TEXT_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING GIN ({full_text(columns)})")
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in FULL_TEXT_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cursor.fetchone():
            return
    for name, definition in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0009_explorer_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
