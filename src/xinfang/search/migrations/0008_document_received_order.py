"""Each document carries its petition's received_at, under a btree index (received_at,
petition_id): the list's own order.

A searched list with more than SEARCH_RANK_LIMIT matches is shown newest first. Its page was a
walk of the petitions' received-order index, each petition's document probed by key and tested
by LIKE: for a term in about 1 % of the petitions, 2,300 probes for 26 rows at 10⁶ (45 ms). With
the order beside the text, the page walks the documents themselves in that order, testing each
body where it lies, and only the matches are checked against the read policy (docs/search.md).

The column is filled here from the petitions, with the GIN index dropped first and built once
after (cheaper than adding every document's grams to it again row by row, as each updated row
would); from then on every statement that writes a document writes the time (search/index.py).
At 10⁶ petitions this takes minutes, as `rebuild_search_index` does, during which registrations
wait. SQLite gets the same column and index (its FTS5 table is unchanged).
"""

from django.db import migrations, models

FILL = (
    "UPDATE search_searchdocument SET received_at = ("
    "SELECT p.received_at FROM petitions_petition p WHERE p.id = search_searchdocument.petition_id)"
)
RECEIVED_INDEX = "CREATE INDEX search_document_received ON search_searchdocument (received_at, petition_id)"

POSTGRESQL = (
    "ALTER TABLE search_searchdocument ADD COLUMN received_at timestamp with time zone",
    "DROP INDEX IF EXISTS search_document_grams",
    "UPDATE search_searchdocument d SET received_at = p.received_at FROM petitions_petition p "
    "WHERE p.id = d.petition_id",
    "ALTER TABLE search_searchdocument ALTER COLUMN received_at SET NOT NULL",
    "SET LOCAL maintenance_work_mem = '256MB'",
    RECEIVED_INDEX,
    "CREATE INDEX search_document_grams ON search_searchdocument USING gin (grams, units)",
    "ANALYZE search_searchdocument",
)

SQLITE = (
    # A column added NOT NULL needs a default in SQLite; every document gets its time next.
    "ALTER TABLE search_searchdocument ADD COLUMN received_at datetime NOT NULL DEFAULT '1970-01-01 00:00:00'",
    FILL,
    RECEIVED_INDEX,
)

BACKWARD = (
    "DROP INDEX IF EXISTS search_document_received",
    "ALTER TABLE search_searchdocument DROP COLUMN received_at",
)


def forward(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0015_open_status_and_office_clocks"),
        ("search", "0007_band_rows_without_database_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AddField(
                    model_name="searchdocument",
                    name="received_at",
                    field=models.DateTimeField(),
                    preserve_default=False,
                ),
                migrations.AddIndex(
                    model_name="searchdocument",
                    index=models.Index(fields=["received_at", "petition"], name="search_document_received"),
                ),
            ],
        ),
    ]
