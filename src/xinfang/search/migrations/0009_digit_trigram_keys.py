"""Every document's index keys again, now with the trigrams of its runs of ASCII digits.

A term holding three or more digits in a row (part of a petition number, a date, an amount) is
asked by those digits' trigrams instead of their bigrams (search/text.py `grams`): every digit
pair is in about one document in seven, so `040209` read 412 index pages for 238 candidates by
its bigrams at 10⁵ petitions, and its trigrams hold one. The documents indexed before this
migration have no trigram keys, and the query asks for them, so every document's keys are
computed again by the application (text.py `document_grams`, as registration and
`rebuild_search_index` compute them) from its stored body:

- PostgreSQL: the grams are copied into a temporary table (COPY, 2,000 documents at a time),
  then the documents are written again with them into the emptied table and the GIN index is
  built once after. Not an UPDATE in place: the index built in the updating transaction holds
  the old row versions' keys as well as the new (111 MB instead of 65 at 10⁵), and the table
  keeps the old versions' space until a VACUUM FULL;
- SQLite: the contentless FTS5 table is emptied ('delete-all') and refilled.

Backward takes the trigrams out again (the keys before this migration are exactly those of
fewer than three characters). At 10⁶ petitions this takes as long as `rebuild_search_index`,
which writes the same keys and may be run instead; registrations wait meanwhile
(docs/search.md, Operations).
"""

from django.db import migrations

BATCH = 2000

GIN_INDEX = "CREATE INDEX search_document_grams ON search_searchdocument USING gin (grams, units)"

NEXT_BODIES = (
    "SELECT petition_id, body FROM search_searchdocument WHERE petition_id > %s ORDER BY petition_id LIMIT %s"
)


def _bodies(cursor):
    """(petition id, body) of every document, in id order, BATCH at a time (keyset)."""
    last = 0
    while True:
        cursor.execute(NEXT_BODIES, [last, BATCH])
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(cursor):
    """The documents written again with the grams of `search_new_grams` (petition id, grams):
    the table emptied (a new file, no dead rows), its GIN index dropped and built once after."""
    # A TRUNCATE may not run while this transaction has deferred foreign-key checks pending.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "CREATE TEMPORARY TABLE search_old_documents ON COMMIT DROP AS "
        "SELECT petition_id, body, received_at, units FROM search_searchdocument"
    )
    cursor.execute("TRUNCATE search_searchdocument")
    cursor.execute("DROP INDEX IF EXISTS search_document_grams")
    cursor.execute(
        "INSERT INTO search_searchdocument (petition_id, body, received_at, grams, units) "
        "SELECT o.petition_id, o.body, o.received_at, n.grams, o.units "
        "FROM search_old_documents o JOIN search_new_grams n ON n.petition_id = o.petition_id "
        "ORDER BY o.petition_id"
    )
    cursor.execute("DROP TABLE search_old_documents, search_new_grams")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cursor.execute(GIN_INDEX)
    cursor.execute("SET LOCAL maintenance_work_mem TO DEFAULT")
    cursor.execute("ANALYZE search_searchdocument")


def _forward_postgresql(connection):
    from xinfang.core.inserts import copy_rows
    from xinfang.search.index import grams_literal

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE search_new_grams (petition_id bigint, grams text[]) ON COMMIT DROP"
        )
        for rows in _bodies(cursor):
            copy_rows(
                connection,
                "search_new_grams",
                ["petition_id", "grams"],
                ((pk, grams_literal(body)) for pk, body in rows),
            )
        _rewrite(cursor)


def _backward_postgresql(connection):
    with connection.cursor() as cursor:
        # The keys of fewer than three characters, in their order (the application's sorted
        # order): those written before this migration.
        cursor.execute(
            "CREATE TEMPORARY TABLE search_new_grams ON COMMIT DROP AS SELECT petition_id, "
            "ARRAY(SELECT g FROM unnest(grams) WITH ORDINALITY AS k(g, n) WHERE char_length(g) < 3 ORDER BY n) "
            "AS grams FROM search_searchdocument"
        )
        _rewrite(cursor)


def _refill_sqlite(connection, *, trigrams: bool):
    from xinfang.search.text import document_grams, token

    def keys(body):
        return " ".join(sorted(token(g) for g in document_grams(body) if trigrams or len(g) < 3))

    with connection.cursor() as reader, connection.cursor() as writer:
        # A contentless FTS5 table is emptied with its own command (its rows cannot be read).
        writer.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        for rows in _bodies(reader):
            writer.executemany(
                "INSERT INTO search_fts (rowid, keys) VALUES (%s, %s)",
                [(pk, keys(body)) for pk, body in rows],
            )


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        _forward_postgresql(connection)
    elif connection.vendor == "sqlite":
        _refill_sqlite(connection, trigrams=True)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        _backward_postgresql(connection)
    elif connection.vendor == "sqlite":
        _refill_sqlite(connection, trigrams=False)


class Migration(migrations.Migration):
    dependencies = [("search", "0008_document_received_order")]

    operations = [migrations.RunPython(forward, backward)]
