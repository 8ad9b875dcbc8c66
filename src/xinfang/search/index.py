"""Keeping the index: one petition at a time inside the writing transaction, or all of them.

`index_petition` is what the `petition_text_changed` receiver calls, so a document is written in
the same transaction as the text it describes and rolls back with it.
"""

from __future__ import annotations

from django.db import connection, transaction

from xinfang.core.inserts import insert
from xinfang.search.models import MatterBand, SearchDocument
from xinfang.search.similarity import store_bands, store_bands_many
from xinfang.search.text import document_grams, petition_bodies, token


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
    insert(SearchDocument, (SearchDocument(petition_id=pk, body=body) for pk, body in rows))
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


BULK_CHUNK = 2000


def on_created_in_bulk(sender, *, petitions, **kwargs) -> None:
    """Receiver of petitions.hooks.petitions_created_in_bulk: the documents and bands of many new
    petitions, a few statements per chunk (what `rebuild` writes for them, nothing to replace)."""
    for start in range(0, len(petitions), BULK_CHUNK):
        chunk = petitions[start : start + BULK_CHUNK]
        store(list(petition_bodies(chunk).items()), fresh=True)
        store_bands_many(chunk, fresh=True)


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
