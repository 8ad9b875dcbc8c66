"""Keeping the index: one petition at a time inside the writing transaction, or all of them.

`index_petition` is what the `petition_text_changed` receiver calls, so a document is written in
the same transaction as the text it describes and rolls back with it. Every index key is
computed here in Python (search/text.py), so the database only stores rows: one upsert for the
document (with its grams on PostgreSQL), one or two FTS5 statements on SQLite, one insert of the
MinHash bands and one of the shingle codes (search/similarity.py; on PostgreSQL a registration
writes the three in one statement) — whatever the length of the text.
"""

from __future__ import annotations

from django.db import connection, transaction

from xinfang.core.inserts import copy_rows
from xinfang.search.models import MatterBand, MatterShingles, SearchDocument
from xinfang.search.similarity import SHINGLES_UPSERT, matter_rows, store_bands_many
from xinfang.search.text import (
    document_grams,
    fold,
    fts_keys,
    petition_bodies,
    registered_body,
    written_bodies,
)

# The document's received_at is its petition's (a correction may change it): written by every
# statement that writes the document, for the newest-first page (query.newest_keys).
_UPSERT = (
    "INSERT INTO search_searchdocument (petition_id, body, received_at{grams}) VALUES {values} "
    "ON CONFLICT (petition_id) DO UPDATE SET body = excluded.body, received_at = excluded.received_at{set_grams}"
)

# PostgreSQL: a document registered in this transaction given its number (on_numbered): an
# UPDATE of the row just inserted, no conflict to look for.
_RENUMBER = "UPDATE search_searchdocument SET body = %s, grams = %s::text[] WHERE petition_id = %s"

# PostgreSQL: the units holding a live (not withdrawn) assignment of the petition `%s`, in
# order: the document's `units`, beside its grams under the same GIN index, so that a handling
# officer's search probes the index for their units' documents only (query._candidates). Read
# from the assignment rows by the statement that writes the document, so it is always as the
# writing transaction left them. One live assignment per unit (unique_live_assignment): no
# DISTINCT needed.
_LIVE_UNITS = (
    "ARRAY(SELECT a.unit_id FROM petitions_assignment a "
    "WHERE a.petition_id = {petition} AND a.status <> 'withdrawn' ORDER BY a.unit_id)"
)
# Rewrites the units of documents whose units changed (an assignment action): rows already
# right are not written, so no new row version (and no GIN entries) for them.
_REFRESH_UNITS = (
    "UPDATE search_searchdocument SET units = {live} "
    "WHERE petition_id IN ({marks}) AND units IS DISTINCT FROM {live}"
)


def _upsert_documents(cursor, rows: list[tuple[int, str, object]], *, fresh: bool = False) -> None:
    """One statement for the batch: insert, or replace the document of a petition already
    indexed (PostgreSQL and SQLite both know ON CONFLICT … DO UPDATE)."""
    cursor.execute(*_upsert_sql(rows, fresh=fresh))


def _upsert_sql(rows: list[tuple[int, str, object]], *, fresh: bool = False) -> tuple[str, list]:
    """`rows`: (petition id, folded body, received_at). PostgreSQL: also the document's live
    units, read from the assignments in the same statement (none for a petition created in this
    transaction, `fresh`: no assignment can name it yet)."""
    if connection.vendor == "postgresql":
        units = "'{}'::bigint[]" if fresh else _LIVE_UNITS.format(petition="%s")
        sql = _UPSERT.format(
            grams=", grams, units",
            values=", ".join([f"(%s, %s, %s, %s::text[], {units})"] * len(rows)),
            set_grams=", grams = excluded.grams, units = excluded.units",
        )
        # The grams as one array literal (grams_literal), not a list psycopg adapts gram by gram:
        # that cost about 1.5 ms of CPU per document written (profiled on registration).
        params = [
            v
            for pk, body, received in rows
            for v in (
                (pk, body, received, grams_literal(body))
                if fresh
                else (pk, body, received, grams_literal(body), pk)
            )
        ]
    else:
        sql = _UPSERT.format(grams="", values=", ".join(["(%s, %s, %s)"] * len(rows)), set_grams="")
        # As the ORM writes a DateTimeField (SQLite: UTC text), so that the keys compare alike.
        adapt = connection.ops.adapt_datetimefield_value
        params = [v for pk, body, received in rows for v in (pk, body, adapt(received))]
    return sql, params


def _write_sqlite_keys(cursor, rows: list[tuple[int, str, object]], *, fresh: bool) -> None:
    """The FTS5 rows of these petitions (rowid = petition id). The table is contentless
    (migration 0003): a row is removed by handing FTS5 the keys it was given, which are those of
    the document as stored before this write (read first, in the same transaction)."""
    if not fresh:
        ids = [pk for pk, _body, _received in rows]
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT petition_id, body FROM search_searchdocument WHERE petition_id IN ({marks})",  # noqa: S608 (placeholders only)
            ids,
        )
        old = cursor.fetchall()
        if old:
            cursor.executemany(
                "INSERT INTO search_fts (search_fts, rowid, keys) VALUES ('delete', %s, %s)",
                [(pk, fts_keys(body)) for pk, body in old],
            )
    cursor.executemany(
        "INSERT INTO search_fts (rowid, keys) VALUES (%s, %s)",
        [(pk, fts_keys(body)) for pk, body, _received in rows],
    )


def store(rows: list[tuple[int, str, object]], *, fresh: bool = False) -> None:
    """Write (petition id, folded body, received_at) rows: the table both databases read, with
    its grams on PostgreSQL (under the GIN index) or SQLite's FTS5 keys. `fresh`: the petitions
    were created in this transaction, so there is nothing to replace."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _write_sqlite_keys(cursor, rows, fresh=fresh)  # before the documents change
        _upsert_documents(cursor, rows, fresh=fresh)


def refresh_units(petition_ids) -> None:
    """The documents' live units after assignments were added or withdrawn (the receiver of
    petitions.hooks.petition_units_changed): one UPDATE in the action's transaction, which
    writes only the documents whose units differ. SQLite keeps no units (docs/search.md)."""
    ids = sorted(set(petition_ids))
    if not ids or connection.vendor != "postgresql":
        return
    live = _LIVE_UNITS.format(petition="search_searchdocument.petition_id")
    sql = _REFRESH_UNITS.format(live=live, marks=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)


def on_units_changed(sender, *, petition_ids, **kwargs) -> None:
    """Receiver of petitions.hooks.petition_units_changed (connected in SearchConfig.ready)."""
    refresh_units(petition_ids)


def index_petition(petition, *, fresh: bool = False) -> None:
    store(_rows(petition, fresh=fresh), fresh=fresh)


def _rows(petition, *, fresh: bool) -> list[tuple[int, str, object]]:
    # A petition being registered carries the rows just written (registered_body): no read.
    body = registered_body(petition) if fresh else None
    if body is None:
        body = petition_bodies([petition], registration_only=fresh)[petition.pk]
    # Kept for on_numbered, which swaps the real number in without reading the document back.
    petition._search_body = body
    return [(petition.pk, body, petition.received_at)]


def _prepare_numbering(petition) -> None:
    """The grams of a document being registered that do not touch its provisional number, kept
    for on_numbered, which then only adds the grams around the real number: the whole set would
    otherwise be computed and sorted again while the year's number is locked. A gram of the
    numbered text lies either inside a piece between the provisional's places or across the
    number (with at most two neighbouring characters on each side: a digit trigram)."""
    body = petition._search_body
    if body is None:
        return
    provisional = fold(petition.number)
    pieces = body.split(provisional)
    outside = set().union(*(document_grams(piece) for piece in pieces))
    petition._search_numbering = (body, provisional, pieces, outside, sorted(outside))


def _numbered_grams_literal(prepared, number: str, body: str) -> str:
    """grams_literal(body) of the numbered `body` from what _prepare_numbering kept."""
    _old, _provisional, pieces, outside, ordered = prepared
    # Two numbers less than two characters apart: a trigram may span both; never in practice.
    if any(len(piece) < 2 for piece in pieces[1:-1]):
        return grams_literal(body)
    across = set()
    for left, right in zip(pieces, pieces[1:], strict=False):
        across |= document_grams(left[-2:] + number + right[:2])
    # A sorted list and a few grams appended: one merge for sort(), not a full sort.
    return _literal(sorted(ordered + [g for g in across if g not in outside]), body)


def _index_registered(petition) -> None:
    """PostgreSQL, a petition being registered: its document, its MinHash bands and its shingle
    codes in ONE statement (the document's upsert and the codes' insert as WITH items of the
    bands' INSERT); nothing to replace."""
    sql, params = _upsert_sql(_rows(petition, fresh=True), fresh=True)
    _prepare_numbering(petition)
    bands, codes = matter_rows([petition])
    sql = f'WITH "document" AS ({sql}), "shingles" AS ({SHINGLES_UPSERT.format(values="(%s, %s)")}) '
    params = [*params, *codes[0]]
    if bands:
        sql += f"INSERT INTO {MatterBand._meta.db_table} (petition_id, band, key) VALUES " + ", ".join(  # noqa: S608 (our table, placeholders)
            ["(%s, %s, %s)"] * len(bands)
        )
        params = [*params, *(v for row in bands for v in row)]
    else:  # a matter without a letter or digit: no band, the two WITH items still run
        sql += "SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Reasons after which the matter's own text (title, problem, requests) may be new; the other
# reasons add findings, replies and the like, which the similarity of matters does not read.
MATTER_REASONS = {"registered", "corrected"}


def on_text_changed(sender, *, petition, reason: str = "", **kwargs) -> None:
    """Receiver of petitions.hooks.petition_text_changed (connected in SearchConfig.ready)."""
    fresh = reason == "registered"
    if fresh and connection.vendor == "postgresql":
        _index_registered(petition)
        return
    index_petition(petition, fresh=fresh)
    if reason in MATTER_REASONS or not reason:
        store_bands_many([petition], fresh=fresh)


BULK_CHUNK = 2000

# The documents' GIN index (migration 0005): the grams and the live units, so that one probe
# can ask for both (query._candidates).
GIN_INDEX = "CREATE INDEX search_document_grams ON search_searchdocument USING gin (grams, units)"


def grams_literal(body: str) -> str:
    """A document's grams as the text of a PostgreSQL array (`{"a","ab",…}`), sorted as the
    upsert sorts them: the server parses it into the same text[]. Built by one join instead
    of psycopg's array dumper, which adapted each gram on its own (about a third of the
    import's indexing CPU, profiled at 10⁴ rows). Every element is quoted, so commas, braces,
    spaces and NULL-like words are plain text; a backslash or a double quote is escaped."""
    return _literal(sorted(document_grams(body)), body)


def _literal(grams: list[str], body: str) -> str:
    if "\\" in body or '"' in body:
        grams = [g.replace("\\", "\\\\").replace('"', '\\"') for g in grams]
    return '{"' + '","'.join(grams) + '"}' if grams else "{}"


def live_units(petition_ids) -> dict[int, list[int]]:
    """The units holding a live assignment of each of these petitions, in order (the
    documents' `units`, workflow_models.live_unit_ids): one query for the batch. (The units a
    document is refreshed with, _LIVE_UNITS, are the same rule in SQL.)"""
    from xinfang.petitions.workflow_models import Assignment, live_unit_ids

    held: dict[int, list] = {}
    rows = Assignment.objects.filter(petition_id__in=list(petition_ids)).values_list(
        "petition_id", "unit_id", "status", named=True
    )
    for assignment in rows:
        held.setdefault(assignment.petition_id, []).append(assignment)
    units = {pk: live_unit_ids(assignments) for pk, assignments in held.items()}
    return {pk: found for pk, found in units.items() if found}


def units_literal(units: list[int]) -> str:
    """A document's units as the text of a PostgreSQL array (`{3,7}`), for COPY."""
    return "{" + ",".join(str(int(u)) for u in units) + "}"


def _copy_new(chunk, bodies: dict[int, str] | None = None, units: dict[int, list[int]] | None = None) -> None:
    """PostgreSQL: the documents (with their grams and live units), MatterBands and shingles of
    petitions not indexed yet, by COPY (the ledger import's new petitions, whose assignments
    are written before them, and every petition in `rebuild`). `bodies`: the documents
    already built (petition_bodies otherwise); `units`: each petition's live units, in order,
    as the writer holds them (live_units otherwise)."""
    if bodies is None:
        bodies = petition_bodies(chunk)
    if units is None:
        units = live_units(p.pk for p in chunk)
    received = {p.pk: p.received_at for p in chunk}
    copy_rows(
        connection,
        SearchDocument._meta.db_table,
        ["petition_id", "body", "received_at", "grams", "units"],
        (
            (pk, body, received[pk], grams_literal(body), units_literal(units.get(pk, [])))
            for pk, body in bodies.items()
        ),
    )
    bands, codes = matter_rows(chunk)
    copy_rows(connection, MatterBand._meta.db_table, ["petition_id", "band", "key"], bands)
    copy_rows(connection, MatterShingles._meta.db_table, ["petition_id", "codes"], codes)


def on_created_in_bulk(sender, *, petitions, records=None, units=None, **kwargs) -> None:
    """Receiver of petitions.hooks.petitions_created_in_bulk: the documents and bands of many new
    petitions, a few statements per chunk (what `rebuild` writes for them, nothing to replace).
    With `records` (the sender's rows with text, per petition) the documents are built from
    them instead of read back: the read was a statement with a placeholder per petition and
    kind of record, bound on the client, for rows the sender had just written. With `units`
    (each petition's live units, as live_units orders them) the documents' units are not read
    back either: that read, 2,000 ids bound on the client per chunk, grew to about a tenth of
    the ledger import's CPU at 10⁵ rows (profiled)."""
    for start in range(0, len(petitions), BULK_CHUNK):
        chunk = petitions[start : start + BULK_CHUNK]
        bodies = written_bodies(chunk, records) if records is not None else petition_bodies(chunk)
        if connection.vendor == "postgresql":
            # COPY, as `rebuild` writes them: a multi-row INSERT of documents with their gram
            # arrays is bound on the client, scanning and quoting megabytes of statement text
            # per chunk (most of this hook's time, profiled at 10⁴ rows).
            chunk_units = None if units is None else {p.pk: units.get(p.pk, []) for p in chunk}
            _copy_new(chunk, bodies, chunk_units)
            continue
        received = {p.pk: p.received_at for p in chunk}
        store([(pk, body, received[pk]) for pk, body in bodies.items()], fresh=True)
        store_bands_many(chunk, fresh=True)


# The columns the index reads (petition_bodies, matter_rows, the documents' received_at):
# sealed data is never loaded.
INDEXED_FIELDS = (
    "received_at",
    "number",
    "title",
    "content",
    "requests",
    "superior_reference",
    "outcome",
    "archive_number",
    "void_reason",
)


def petitions_after(last: int, batch_size: int) -> list:
    """The next `batch_size` petitions after id `last`, in id order, with the columns the index
    reads (keyset: no OFFSET, no id list)."""
    from xinfang.petitions.models import Petition

    return list(Petition.objects.filter(pk__gt=last).order_by("pk").only(*INDEXED_FIELDS)[:batch_size])


def _batches(batch_size: int):
    """Petitions in id order, `batch_size` at a time."""
    last = 0
    while chunk := petitions_after(last, batch_size):
        last = chunk[-1].pk
        yield chunk


def empty_for_copy(cursor) -> None:
    """PostgreSQL: empty the index's tables and drop their search indexes before every row is
    copied (copy_batch), to be built once afterwards (build_indexes)."""
    # Deferred foreign-key checks of this transaction must run before a TRUNCATE may.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("TRUNCATE search_searchdocument, search_matterband, search_mattershingles")
    cursor.execute("DROP INDEX IF EXISTS search_document_grams")
    cursor.execute("DROP INDEX IF EXISTS matter_band_key")


def copy_batch(chunk) -> None:
    """PostgreSQL: the documents, bands and shingles of petitions not indexed yet (read by
    petitions_after), as `rebuild` writes them."""
    _copy_new(chunk)


def build_indexes(cursor) -> None:
    """PostgreSQL: the search indexes dropped by empty_for_copy, built once from every row."""
    # More memory for the sorts of the index builds (the caller resets it, or its transaction ends).
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cursor.execute(GIN_INDEX)
    cursor.execute("CREATE INDEX matter_band_key ON search_matterband (band, key, petition_id)")
    cursor.execute("ANALYZE search_searchdocument")
    cursor.execute("ANALYZE search_matterband")
    cursor.execute("ANALYZE search_mattershingles")


def _rebuild_postgresql(batch_size: int, progress) -> int:
    """Empty both tables, drop their search indexes, COPY every row, build the indexes once:
    far cheaper than keeping a GIN index up to date row by row. One transaction, so a failure
    leaves the old index as it was (readers wait on the table lock meanwhile)."""
    done = 0
    with transaction.atomic(), connection.cursor() as cursor:
        empty_for_copy(cursor)
        for chunk in _batches(batch_size):
            copy_batch(chunk)
            done += len(chunk)
            if progress:
                progress(done, None)
        build_indexes(cursor)
    return done


def _rebuild_sqlite(batch_size: int, progress) -> int:
    done = 0
    with transaction.atomic():
        SearchDocument.objects.all().delete()
        MatterBand.objects.all().delete()
        MatterShingles.objects.all().delete()
        with connection.cursor() as cursor:
            # A contentless FTS5 table is emptied with its own 'delete-all' command.
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
            for chunk in _batches(batch_size):
                adapt = connection.ops.adapt_datetimefield_value
                received = {p.pk: adapt(p.received_at) for p in chunk}
                rows = [(pk, b, received[pk]) for pk, b in petition_bodies(chunk).items()]
                cursor.executemany(
                    "INSERT INTO search_fts (rowid, keys) VALUES (%s, %s)",
                    [(pk, fts_keys(b)) for pk, b, _received in rows],
                )
                cursor.executemany(
                    "INSERT INTO search_searchdocument (petition_id, body, received_at) VALUES (%s, %s, %s)",
                    rows,
                )
                bands, codes = matter_rows(chunk)
                cursor.executemany(
                    "INSERT INTO search_matterband (petition_id, band, key) VALUES (%s, %s, %s)", bands
                )
                cursor.executemany(
                    "INSERT INTO search_mattershingles (petition_id, codes) VALUES (%s, %s)", codes
                )
                done += len(chunk)
                if progress:
                    progress(done, None)
    return done


def rebuild(*, batch_size: int = 2000, progress=None) -> int:
    """Index every petition again (after an upgrade, a bulk load or a restore), in one
    transaction. Returns the count. `progress(done, None)` is called after each batch."""
    if connection.vendor == "postgresql":
        return _rebuild_postgresql(batch_size, progress)
    return _rebuild_sqlite(batch_size, progress)


def on_numbered(sender, *, petition, provisional: str, **kwargs) -> None:
    """Receiver of petitions.hooks.petition_numbered: registration indexed the petition under its
    provisional number before taking the real one (so indexing never runs under the number's
    lock); swap the number into the document kept in memory by `index_petition` and write it
    again: one upsert on PostgreSQL, whose grams are written by the application and so must be
    computed from the new body. The provisional number is unique and never a word of any text,
    so only it is replaced."""
    body = getattr(petition, "_search_body", None)
    if body is None:  # indexed by someone else, or not in this transaction: index it anew
        index_petition(petition)
        return None
    number = fold(petition.number)
    old, body = body, body.replace(fold(provisional), number)
    petition._search_body = body
    if connection.vendor == "postgresql":
        # Returned, not run: registration sends it with its event, one round trip fewer in the
        # number's lock (petitions/hooks.py).
        prepared = getattr(petition, "_search_numbering", None)
        if prepared is None or prepared[0] is not old or prepared[1] != fold(provisional):
            return _upsert_sql([(petition.pk, body, petition.received_at)])
        # Only the grams around the number are new (_prepare_numbering); the petition was
        # created in this transaction, so no assignment names it yet (no units to read).
        return _RENUMBER, [body, _numbered_grams_literal(prepared, number, body), petition.pk]
    store([(petition.pk, body, petition.received_at)])
    return None
