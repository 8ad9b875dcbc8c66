"""PostgreSQL: each document lists the units holding a live assignment of its petition, under
the same GIN index as its grams.

A handling officer reads only the petitions assigned to their unit (or a unit above it). A
common term (补偿) matched 35,000 documents at 10⁶ petitions, each then checked against the
unit's assignments (209–484 ms). With `units` beside `grams` in one GIN index, the search's
probe asks for both (`grams @> … AND units && …`) and yields the unit's few matches; visible_to
still decides what is shown (docs/search.md).

The column is filled here from the assignments (the index dropped first and built once after,
cheaper than keeping it up to date row by row); from then on every statement that writes a
document writes its units, and the assignment actions rewrite them (search/index.py). At 10⁶
petitions the index build takes minutes, during which registrations wait, as in
`rebuild_search_index`. SQLite is unchanged: its FTS5 table holds the text keys only.
"""

from django.db import migrations

FORWARD = (
    "ALTER TABLE search_searchdocument ADD COLUMN units bigint[] NOT NULL DEFAULT '{}'",
    "DROP INDEX IF EXISTS search_document_grams",
    "UPDATE search_searchdocument d SET units = a.units FROM ("
    "  SELECT petition_id, array_agg(unit_id ORDER BY unit_id) AS units FROM petitions_assignment"
    "  WHERE status <> 'withdrawn' GROUP BY petition_id"
    ") a WHERE d.petition_id = a.petition_id",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX search_document_grams ON search_searchdocument USING gin (grams, units)",
    "ANALYZE search_searchdocument",
)

BACKWARD = (
    "DROP INDEX IF EXISTS search_document_grams",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS units",
    "CREATE INDEX search_document_grams ON search_searchdocument USING gin (grams)",
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0013_assignment_received_at"),
        ("search", "0004_band_index_holds_the_petition"),
    ]

    operations = [migrations.RunPython(forward, backward)]
