"""Cheaper index writes: the application computes every key, the database only stores them.

PostgreSQL: the document's grams become a plain column written by the application.

0001 computed them in the database (a generated column over an SQL function). That function
costs about 1.3 ms per document, which made `rebuild_search_index` take most of an hour at 10⁶
petitions and added that much to every registration; the same set is computed in Python in
tens of microseconds (search/text.py `document_grams`) and written with the body. Existing
values are kept (DROP EXPRESSION leaves them in place).

SQLite: the FTS5 table becomes contentless (content=''): it kept a second copy of every
document's keys, larger than the documents, that no query reads (only rowids are asked for).
It is refilled here from the stored documents.
"""

from django.db import migrations

FORWARD = (
    "ALTER TABLE search_searchdocument ALTER COLUMN grams DROP EXPRESSION; "
    "DROP FUNCTION IF EXISTS xf_search_grams(text)"
)


SQLITE_TABLE = "CREATE VIRTUAL TABLE search_fts USING fts5(keys, content='', detail=none)"


def _refill_sqlite(schema_editor):
    from xinfang.search.text import fts_keys

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT petition_id, body FROM search_searchdocument")
        rows = [(pk, fts_keys(body)) for pk, body in cursor.fetchall()]
        cursor.executemany("INSERT INTO search_fts (rowid, keys) VALUES (%s, %s)", rows)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
        schema_editor.execute(SQLITE_TABLE)
        _refill_sqlite(schema_editor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        initial = import_module("xinfang.search.migrations.0001_initial")
        schema_editor.execute("DROP INDEX IF EXISTS search_document_grams")
        schema_editor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS grams")
        schema_editor.execute(initial.PG_FUNCTION)
        schema_editor.execute(initial.PG_COLUMN)
        schema_editor.execute(initial.PG_INDEX)
    elif schema_editor.connection.vendor == "sqlite":
        from importlib import import_module

        initial = import_module("xinfang.search.migrations.0001_initial")
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
        schema_editor.execute(initial.SQLITE_TABLE)
        _refill_sqlite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_similarity_and_suggestions")]

    operations = [migrations.RunPython(forward, backward)]
