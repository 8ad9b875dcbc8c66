"""The search index's own table: one folded text document per petition.

On PostgreSQL a GIN index over the document's keys (a column `grams` unknown to Django,
created in the migrations: its character unigrams and bigrams, and since migration 0009 its
trigrams of ASCII digits) and the units holding a live assignment of the petition (`units`,
migration 0005: a handling officer's search probes their units' documents only) narrows
candidates; on SQLite an FTS5 table (`search_fts`, also created in the
migrations) plays that part. Both are rechecked with LIKE on `body`.
See docs/search.md for why.
"""

from django.db import models

from xinfang.petitions.models import Petition


class SearchDocument(models.Model):
    petition = models.OneToOneField(
        Petition, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    body = models.TextField()
    # The petition's received_at, copied by every statement that writes the document (the
    # same transaction as the petition's own write): the newest-first page of a searched list
    # walks the documents in the list's order, testing each body where it lies, instead of
    # walking the petitions and probing each one's document by key (migration 0008).
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "search document"
        indexes = [models.Index(fields=["received_at", "petition"], name="search_document_received")]


class MatterBand(models.Model):
    """One band of a petition's MinHash signature (search/similarity.py): petitions sharing a
    (band, key) pair are candidates for "the same matter"."""

    # No database foreign key (db_constraint=False): sixteen rows a petition, each checked at
    # commit, cost a ledger import of 10⁵ rows 1.6·10⁶ checks (docs/benchmarks.md). The rows
    # are the index's own, written from petitions in hand; Django's delete still removes them.
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    band = models.PositiveSmallIntegerField()
    key = models.BigIntegerField()

    class Meta:
        # The petition in the index too: a look-up's 16 probes then read only the index
        # (an index-only scan), not a heap page per colliding row (similarity.find_similar).
        indexes = [models.Index(fields=["band", "key", "petition"], name="matter_band_key")]


class MatterShingles(models.Model):
    """A petition's distinct character 3-shingles of its matter text, as the sorted packed codes
    search/similarity.py scores with (`stored_codes`: 8 bytes each): written with its MinHash
    bands, so that a similar-petition look-up scores its candidates without reading and
    shingling their text."""

    petition = models.OneToOneField(
        Petition, primary_key=True, on_delete=models.CASCADE, related_name="matter_shingles"
    )
    codes = models.BinaryField()

    class Meta:
        verbose_name = "matter shingles"


class SuggestionModel(models.Model):
    """A trained suggestion model (search/suggest.py): versioned, newest wins.

    The pickled scikit-learn pipelines are written only by `train` from this office's own rows;
    nothing a user sends is ever unpickled.
    """

    version = models.BigAutoField(primary_key=True)
    trained_at = models.DateTimeField()
    examples = models.PositiveIntegerField()
    unit_examples = models.PositiveIntegerField(default=0)
    categories = models.BinaryField()
    units = models.BinaryField(blank=True)
