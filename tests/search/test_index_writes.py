"""The index's write path: MinHash computed many texts at once equals datasketch's own, the
SQLite keys follow a correction (nothing stale stays a candidate), a registration's index
writes are a fixed, small number of statements, and a rebuild gives the very rows the
registrations wrote."""

import unicodedata
from types import SimpleNamespace

import numpy as np
import pytest
from datasketch import MinHash
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import registration_data
from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search import index, similarity
from xinfang.search.models import MatterBand, MatterShingles, SearchDocument
from xinfang.search.text import grams, token

TEXT = st.text(
    alphabet=st.sampled_from(list("电梯停运幸福里小区补偿拖欠工资abcXYZ019 ，。！_-½٣Ǆ")), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=8))
def test_batched_minhash_equals_datasketch(texts):
    """Reference implementation: datasketch's MinHash over the same shingle codes, one text at
    a time; and the normalisation equals "keep the Unicode letters and digits"."""
    signatures = similarity.signatures(texts)
    for text, signature in zip(texts, signatures, strict=True):
        kept = "".join(c for c in text.casefold() if unicodedata.category(c)[0] in "LN")
        assert similarity._normalise(text) == kept
        codes = similarity.shingle_codes(text)
        if not kept:
            assert signature is None
            continue
        reference = MinHash(
            num_perm=similarity.NUM_PERM, seed=similarity.SEED, scheme="affine64", hashfunc=lambda x: x
        )
        reference.update_batch([int(c) for c in codes])
        assert signature.tolist() == reference.hashvalues.tolist()


def test_shingle_codes_are_one_per_distinct_shingle():
    text = "电梯停运电梯停运"
    assert len(set(similarity.shingle_codes(text).tolist())) == len(similarity.shingles(text))


def _index_candidates(term: str) -> set[int]:
    """Ids the index alone lets through for `term`, before the LIKE recheck."""
    keys = sorted(grams(term))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s",
                [" AND ".join(f'"{token(k)}"' for k in keys)],
            )
        else:
            cursor.execute("SELECT petition_id FROM search_searchdocument WHERE grams @> %s::text[]", [keys])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_a_correction_removes_the_old_keys(api, demo_org):
    users, _units = demo_org
    petition = register_petition(
        ctx=Context(actor=users["clerk"]), data=check_registration(registration_data(3))
    )[0]
    petition.title = "鳄鱼鹦鹉"
    petition.save(update_fields=["title"])
    index.on_text_changed(None, petition=petition, reason="corrected")
    assert petition.pk in _index_candidates("鳄鱼鹦鹉")
    petition.title = "孔雀"
    petition.save(update_fields=["title"])
    index.on_text_changed(None, petition=petition, reason="corrected")
    assert petition.pk not in _index_candidates("鳄鱼鹦鹉")
    assert petition.pk in _index_candidates("孔雀")
    assert MatterBand.objects.filter(petition=petition).count() == similarity.BANDS


@pytest.mark.django_db
def test_registration_index_writes_are_a_fixed_number_of_statements(demo_org):
    """The parties' text comes from the rows registration attached to the petition (no read).
    PostgreSQL: the document, the bands and the shingle codes in one statement; SQLite: the
    FTS5 keys, the document, the bands, the codes (no data-modifying WITH there)."""
    users, _units = demo_org
    petition = register_petition(
        ctx=Context(actor=users["clerk"]), data=check_registration(registration_data(5))
    )[0]
    SearchDocument.objects.filter(pk=petition.pk).delete()
    MatterBand.objects.filter(petition=petition).delete()
    MatterShingles.objects.filter(petition=petition).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    with CaptureQueriesContext(connection) as queries:
        index.on_text_changed(None, petition=petition, reason="registered")
    assert len(queries) == (4 if connection.vendor == "sqlite" else 1), [q["sql"][:80] for q in queries]


@pytest.mark.django_db
def test_rebuild_writes_what_registration_wrote(demo_org):
    users, _units = demo_org
    clerk = Context(actor=users["clerk"])
    for seed in range(20, 26):
        register_petition(ctx=clerk, data=check_registration(registration_data(seed)))

    def state():
        return (
            sorted(SearchDocument.objects.values_list("petition_id", "body")),
            sorted(MatterBand.objects.values_list("petition_id", "band", "key")),
        )

    written = state()
    assert index.rebuild(batch_size=4) == 6
    assert state() == written
    assert _index_candidates("补偿") >= {pk for pk, body in written[0] if "补偿" in body}


@pytest.mark.django_db
def test_the_text_registration_holds_is_the_text_read_back(demo_org):
    """The document a registration writes from the rows it holds (text.registered_body) is the
    one read back from the database (petition_bodies, the rebuild's reader), for every shape:
    two petitioners (one without a work unit), involved persons, a reception record, none."""
    from xinfang.search.text import petition_bodies, registered_body

    users, units = demo_org
    clerk = Context(actor=users["clerk"])
    shapes = [
        {
            "channel": "visit",
            "petitioners": [
                {"name": "王五", "id_number": "", "phone": "", "address": "", "work_unit": "幸福里物业"},
                {"name": "赵六", "id_number": "", "phone": "", "address": "", "work_unit": ""},
            ],
            "involved_units": [units["HOUSING"].pk],
            "involved_persons": [
                {"name": "钱七", "unit": units["HOUSING"].pk, "user": None},
                {"name": "孙八", "unit": units["LABOUR"].pk, "user": "housing"},
            ],
            "reception": {"notes": "两人来访，\r\n反映电梯停运。", "explained": "", "visitors": 2},
        },
        {"channel": "letter", "involved_units": [], "involved_persons": [], "reception": None},
    ]
    for seed, shape in enumerate(shapes, start=60):
        data = {**registration_data(seed), **shape}
        if data["reception"] is None:
            data.pop("reception")
        data.pop("superior", None)
        petition = register_petition(ctx=clerk, data=check_registration(data))[0]
        held = registered_body(petition)
        read = petition_bodies([type(petition).objects.get(pk=petition.pk)], registration_only=True)
        assert held is not None
        assert held == read[petition.pk]
        assert SearchDocument.objects.get(pk=petition.pk).body == read[petition.pk]


# Characters the array syntax or the COPY text format treat specially, beside ordinary text.
AWKWARD = st.text(alphabet=st.sampled_from(list("电梯a1 ,{}\"\\'\t\nNULL()ab")), max_size=40)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(body=AWKWARD)
def test_the_grams_literal_is_read_back_as_the_grams(body):
    """The import copies each document's grams as array text (index.grams_literal), and a
    registration sends it as a parameter: PostgreSQL must read it as exactly the sorted grams,
    both through COPY and through a cast."""
    if connection.vendor != "postgresql":
        pytest.skip("the grams column is PostgreSQL's")
    from xinfang.search.text import document_grams

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS grams_check (g text[])")
        cursor.execute("TRUNCATE grams_check")
        with cursor.cursor.copy("COPY grams_check (g) FROM STDIN") as copy:
            copy.write_row((index.grams_literal(body),))
        cursor.execute("SELECT g FROM grams_check")
        assert cursor.fetchone()[0] == sorted(document_grams(body))
        # and as a parameter cast to text[], as a registration's upsert sends it
        cursor.execute("SELECT %s::text[]", [index.grams_literal(body)])
        assert cursor.fetchone()[0] == sorted(document_grams(body))


@settings(max_examples=80, deadline=None)
@given(
    pieces=st.lists(TEXT, min_size=1, max_size=4),
    number=st.sampled_from(["xf-2026-000001", "a", '"\\9', "2026", "7"]),
)
def test_numbered_grams_equal_the_whole_documents(pieces, number):
    # on_numbered adds only the grams around the number to those kept from the provisional
    # document; the reference: every gram of the numbered text, computed whole.
    provisional = "~0f3a9c"
    body = provisional.join(pieces)

    class Registered:
        pass

    petition = Registered()
    petition.number, petition._search_body = provisional, body
    index._prepare_numbering(petition)
    numbered = body.replace(provisional, number)
    assert index._numbered_grams_literal(petition._search_numbering, number, numbered) == index.grams_literal(
        numbered
    )


def test_permutations_are_datasketchs():
    """Drawn without importing datasketch (which loads scipy): the very same multipliers and
    offsets as its affine64 MinHash of the same size and seed."""
    a, b = MinHash(num_perm=similarity.NUM_PERM, seed=similarity.SEED, scheme="affine64").permutations
    mine = similarity._permutations()
    assert mine[0].tolist() == a.tolist() and mine[1].tolist() == b.tolist()
    assert mine[0].dtype == mine[1].dtype == np.uint64


MATTER = st.text(
    alphabet=st.sampled_from(list("电梯停运幸福里小区补偿拖欠工资abcXYZ019 ，。！_-½٣Ǆ\n")), max_size=120
)


@settings(max_examples=80, deadline=None)
@given(
    matters=st.lists(st.tuples(MATTER, MATTER, MATTER), min_size=1, max_size=12),
    batch=st.sampled_from([1, 7, 64, similarity._BATCH_SHINGLES]),
)
def test_matter_rows_of_a_batch_are_each_matters_own(matters, batch):
    """Reference, one matter at a time and independent of the batched code: datasketch's
    MinHash over the matter's shingle codes, cut into bands by _band_hashes (one signature),
    and np.unique of the codes as the stored bytes. The batch (any size of hashing batch, any
    mix of empty, short and repeated texts) must give the same rows bit for bit, in order."""
    petitions = [
        SimpleNamespace(pk=100 + i, title=t, content=c, requests=r) for i, (t, c, r) in enumerate(matters)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(similarity, "_BATCH_SHINGLES", batch)
        bands, codes = similarity.matter_rows(petitions)
    want_bands, want_codes = [], []
    for p in petitions:
        shingles = similarity.shingle_codes(similarity.matter_text(p.title, p.content, p.requests))
        want_codes.append((p.pk, np.unique(shingles).astype("<u8").tobytes()))
        if not len(shingles):
            continue
        reference = MinHash(
            num_perm=similarity.NUM_PERM, seed=similarity.SEED, scheme="affine64", hashfunc=lambda x: x
        )
        reference.update_batch([int(c) for c in shingles])
        signature = np.asarray(reference.hashvalues, dtype=np.uint64)
        want_bands += [(p.pk, band, key) for band, key in similarity._band_hashes(signature)]
    assert bands == want_bands
    assert codes == want_codes


@settings(max_examples=60, deadline=None)
@given(codes=st.lists(st.integers(min_value=0, max_value=2**63 - 1), max_size=40))
def test_distinct_codes_are_np_unique(codes):
    array = np.array(codes, dtype=np.uint64)
    assert similarity.distinct_codes(array).tolist() == np.unique(array).tolist()
    assert similarity.stored_codes(array) == np.unique(array).astype("<u8").tobytes()
