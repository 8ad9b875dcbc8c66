"""The shingle codes stored per petition (search_mattershingles), which the similar-petition
look-up scores with instead of the candidates' text: after every write path (registration,
correction, the ledger import in bulk and row by row, the index rebuild, the migration's fill)
each petition's row equals what a reference written here computes from its current text, and
the scores from stored codes are exactly the shingle Jaccard of the texts."""

import importlib
import struct
import unicodedata

import pytest
from django.apps import apps as django_apps
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import registration_data
from xinfang.audit.services import Context
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import correct_registration, register_petition
from xinfang.search import index, similarity
from xinfang.search.models import MatterShingles

TEXT = st.text(
    alphabet=st.sampled_from(list("电梯停运幸福里小区补偿拖欠工资abcXYZ019 ，。！_-½٣Ǆ𠀀")), max_size=40
)
LIFT = "幸福里小区3号楼的电梯从上个月开始经常停运，老人上下楼非常困难，物业一直推诿不修。"


def reference_codes(title: str, content: str, requests: str = "") -> bytes:
    """Independently of similarity.py's numpy: keep the case-folded Unicode letters and digits
    of the three fields, take each distinct run of three characters (a text of one to three
    characters: itself), pack its code points 21 bits apart, sort, 8 little-endian bytes each."""
    text = "\n".join((title or "", content or "", requests or ""))
    kept = "".join(c for c in text.casefold() if unicodedata.category(c)[0] in "LN")
    if not kept:
        return b""
    pieces = {kept} if len(kept) <= 3 else {kept[i : i + 3] for i in range(len(kept) - 2)}
    codes = set()
    for piece in pieces:
        code = 0
        for char in piece:
            code = (code << 21) | ord(char)
        codes.add(code)
    return struct.pack(f"<{len(codes)}Q", *sorted(codes))


def assert_stored_rows_are_the_texts():
    """Every petition has its row, equal to the reference over its text as stored now."""
    stored = {pk: bytes(codes) for pk, codes in MatterShingles.objects.values_list("petition_id", "codes")}
    expected = {
        pk: reference_codes(t, c, r)
        for pk, t, c, r in Petition.objects.values_list("pk", "title", "content", "requests")
    }
    assert expected and stored == expected


@settings(max_examples=80, deadline=None)
@given(title=TEXT, content=TEXT, requests=TEXT)
def test_stored_codes_are_the_reference(title, content, requests):
    text = similarity.matter_text(title, content, requests)
    assert similarity.stored_codes(similarity.shingle_codes(text)) == reference_codes(
        title, content, requests
    )


@settings(max_examples=80, deadline=None)
@given(query=TEXT, others=st.lists(TEXT, max_size=6))
def test_scores_from_stored_codes_are_the_shingle_jaccard(query, others):
    stored = [similarity.stored_codes(similarity.shingle_codes(t)) for t in others]
    query_codes = similarity.np.unique(similarity.shingle_codes(query))
    scores = similarity.codes_jaccard(query_codes, [*stored, None]).tolist()
    want = [similarity.jaccard(similarity.shingles(query), similarity.shingles(t)) for t in others]
    assert scores == [*want, 0.0]  # exactly: the same counts divided


def _register(users, seed, **over):
    data = check_registration(registration_data(seed, **over))
    return register_petition(ctx=Context(actor=users["clerk"]), data=data)[0]


@pytest.mark.django_db
def test_registration_and_correction_store_the_text_codes(demo_org):
    users, _units = demo_org
    first = _register(users, 1, title="电梯停运", content=LIFT, requests="尽快修复")
    _register(users, 2, title="噪音", content="工地夜间施工。", requests="")
    assert_stored_rows_are_the_texts()
    correct_registration(
        ctx=Context(actor=users["clerk"]),
        petition=first,
        changes={"content": "楼道灯坏了三个月", "requests": "修灯"},
    )
    first.refresh_from_db()
    assert first.content == "楼道灯坏了三个月"
    assert_stored_rows_are_the_texts()
    # An action that writes other text (a note, a reply) leaves the matter's codes alone.
    before = bytes(MatterShingles.objects.get(pk=first.pk).codes)
    index.on_text_changed(None, petition=first, reason="replied")
    assert bytes(MatterShingles.objects.get(pk=first.pk).codes) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bulk_write", [True, False])
def test_a_ledger_import_stores_the_text_codes(demo_org, bulk_write):
    from tests.reports.test_import_bulk import ledger, run

    users, _units = demo_org
    report = run(users, ledger(), bulk_write=bulk_write)
    assert report.errors == [] and report.created == 8
    assert_stored_rows_are_the_texts()


@pytest.mark.django_db
def test_rebuild_and_the_migration_fill_store_the_text_codes(demo_org):
    users, _units = demo_org
    for seed in range(3, 9):
        _register(users, seed)
    MatterShingles.objects.all().delete()
    Petition.objects.filter(pk=Petition.objects.order_by("pk").first().pk).update(content="改过的内容")
    index.rebuild(batch_size=4)
    assert_stored_rows_are_the_texts()

    MatterShingles.objects.all().delete()
    migration = importlib.import_module("xinfang.search.migrations.0006_matter_shingles")

    class Editor:  # what fill() uses of a schema editor
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.fill(django_apps, Editor())
    assert_stored_rows_are_the_texts()


@pytest.mark.django_db
def test_look_up_scores_are_the_texts_jaccard_and_visible_only(demo_org):
    """The oracle: each result's score is the exact Jaccard of the query's and that petition's
    text as stored (recomputed here with shingles()), and nothing invisible is returned; a
    same-person petition missing its codes row (not indexed yet) is still found, at 0."""
    users, _units = demo_org
    query = ("电梯停运", LIFT + "希望尽快处理", "修电梯")
    copy = _register(users, 10, title=query[0], content=query[1], requests=query[2])
    near = _register(users, 11, title=query[0], content=LIFT, requests=query[2])
    hidden = _register(
        users,
        12,
        title=query[0],
        content=LIFT,
        requests=query[2],
        involved_persons=[{"name": "某人", "user": "clerk2"}],
    )
    other = _register(users, 13, title="噪音", content="工地夜间施工噪音严重，影响休息。")
    MatterShingles.objects.filter(pk=other.pk).delete()
    person = other.petitioners.first()
    found = {
        s.petition.pk: s
        for s in similarity.find_similar(
            users["clerk2"],
            title=query[0],
            content=query[1],
            requests=query[2],
            petitioners=[{"name": person.name, "id_number": person.id_number, "phone": ""}],
        )
    }
    assert copy.pk in found and near.pk in found and other.pk in found
    assert hidden.pk not in found
    assert set(found) <= set(Petition.objects.visible_to(users["clerk2"]).values_list("pk", flat=True))
    wanted = similarity.shingles(similarity.matter_text(*query))
    for pk, s in found.items():
        row = Petition.objects.get(pk=pk)
        exact = similarity.jaccard(
            wanted, similarity.shingles(similarity.matter_text(row.title, row.content, row.requests))
        )
        assert s.score == round(exact, 3), pk
        assert (s.petition.number, s.petition.title, s.petition.status) == (row.number, row.title, row.status)
    assert found[copy.pk].score == 1.0
    assert found[other.pk].same_petitioner and found[other.pk].score == 0.0 and not found[other.pk].repeat


@pytest.mark.django_db
def test_a_matter_without_letters_or_digits_stores_empty_codes(demo_org):
    """No shingle, no band: the registration's statement still writes the document and an
    empty codes row (on PostgreSQL its INSERT of bands is then a SELECT)."""
    from xinfang.search.models import MatterBand, SearchDocument

    users, _units = demo_org
    petition = _register(users, 30)
    Petition.objects.filter(pk=petition.pk).update(title="！？", content="……", requests="")
    petition.refresh_from_db()
    SearchDocument.objects.filter(pk=petition.pk).delete()
    MatterBand.objects.filter(petition=petition).delete()
    MatterShingles.objects.filter(pk=petition.pk).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    index.on_text_changed(None, petition=petition, reason="registered")
    assert bytes(MatterShingles.objects.get(pk=petition.pk).codes) == b"" == reference_codes("！？", "……")
    assert SearchDocument.objects.filter(pk=petition.pk).exists()
    assert not MatterBand.objects.filter(petition=petition).exists()
    assert similarity.find_similar(users["clerk"], title="！？", content="……") == []


@pytest.mark.django_db
def test_a_petition_is_never_deleted_from_under_its_bands(demo_org):
    """The bands' rows keep no database foreign key (MatterBand.petition, db_constraint=False),
    which is sound because the application never deletes a petition (its chain protects it):
    the delete is refused and the bands stay, every one pointing at a petition."""
    from django.db.models import ProtectedError

    from xinfang.search.models import MatterBand

    users, _units = demo_org
    petition = _register(users, 20, title="电梯停运", content=LIFT)
    with pytest.raises(ProtectedError):
        Petition.objects.get(pk=petition.pk).delete()
    assert MatterBand.objects.filter(petition_id=petition.pk).count() == similarity.BANDS
    assert not MatterBand.objects.exclude(petition_id__in=Petition.objects.values("pk")).exists()
