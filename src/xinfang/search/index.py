"""Keeping the index: one petition at a time inside the writing transaction, or all of them.

`index_petition` is what the `petition_text_changed` receiver calls, so a document is written in
the same transaction as the text it describes and rolls back with it.
"""

from __future__ import annotations

from django.db import connection, transaction

from xinfang.search.models import MatterBand, SearchDocument
from xinfang.search.similarity import store_bands, store_bands_many
from xinfang.search.text import document_grams, fold, petition_bodies, token


def _write_sqlite_keys(rows: list[tuple[int, str]]) -> None:
    """Replace the FTS5 rows of these petitions (rowid = petition id). Always deletes first,
    even for a new petition: FTS5 is not emptied by a test database flush, and a stale row
    under the same rowid would make the insert fail."""
    with connection.cursor() as cursor:
        cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(pk,) for pk, _body in rows])
        cursor.executemany(
            "INSERT INTO search_fts (rowid, keys) VALUES (%s, %s)",
            [(pk, " ".join(sorted(token(g) for g in document_grams(body)))) for pk, body in rows],
        )


def store(rows: list[tuple[int, str]], *, fresh: bool = False) -> None:
    """Write (petition id, folded body) pairs: the table both databases read, plus SQLite's
    FTS5 keys (PostgreSQL's GIN index follows the table by itself). `fresh`: the petitions
    were created in this transaction, so there is nothing to replace."""
    if not rows:
        return
    ids = [pk for pk, _body in rows]
    if not fresh:
        SearchDocument.objects.filter(petition_id__in=ids).delete()
    SearchDocument.objects.bulk_create(SearchDocument(petition_id=pk, body=body) for pk, body in rows)
    if connection.vendor == "sqlite":
        _write_sqlite_keys(rows)


def index_petition(petition, *, fresh: bool = False) -> None:
    store(list(petition_bodies([petition], registration_only=fresh).items()), fresh=fresh)


# Reasons after which the matter's own text (title, problem, requests) may be new; the other
# reasons add findings, replies and the like, which the similarity of matters does not read.
MATTER_REASONS = {"registered", "corrected"}


def on_text_changed(sender, *, petition, reason: str = "", **kwargs) -> None:
    """Receiver of petitions.hooks.petition_text_changed (connected in SearchConfig.ready)."""
    fresh = reason == "registered"
    index_petition(petition, fresh=fresh)
    if reason in MATTER_REASONS or not reason:
        store_bands(petition, fresh=fresh)


def rebuild(*, batch_size: int = 500, progress=None) -> int:
    """Index every petition again (after an upgrade, a bulk load or a restore). Returns the count."""
    from xinfang.petitions.models import Petition

    with transaction.atomic():
        SearchDocument.objects.all().delete()
        MatterBand.objects.all().delete()
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM search_fts")
    done = 0
    ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        chunk = list(Petition.objects.filter(pk__in=ids[start : start + batch_size]))
        with transaction.atomic():
            store(list(petition_bodies(chunk).items()))
            store_bands_many(chunk)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    return done


def on_numbered(sender, *, petition, provisional: str, **kwargs) -> None:
    """Receiver of petitions.hooks.petition_numbered: registration indexed the petition under its
    provisional number before taking the real one (so indexing never runs under the number's
    lock); swap the number in the document, one statement on PostgreSQL (the GIN column follows).
    The provisional number is unique and never a word of any text, so only it is replaced."""
    from django.db.models import Value
    from django.db.models.functions import Replace

    old, new = fold(provisional), fold(petition.number)
    SearchDocument.objects.filter(petition_id=petition.pk).update(
        body=Replace("body", Value(old), Value(new))
    )
    if connection.vendor == "sqlite":
        # The FTS5 keys are derived in Python; SQLite's whole transaction holds the write lock
        # anyway, so reading the body back here costs no one else anything.
        body = SearchDocument.objects.filter(petition_id=petition.pk).values_list("body", flat=True).first()
        if body is not None:
            _write_sqlite_keys([(petition.pk, body)])
