"""The bench's bulk fill writes through core.inserts (COPY on PostgreSQL): the same rows as
bulk_create writes for the same generated petitions, and an audit trail that verifies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import transaction

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

pytestmark = pytest.mark.django_db

# Columns that differ between two fills of the same input whatever writes them: row ids, the
# moment of writing, and what is derived from those (the chain's hashes, seals and MACs).
VOLATILE = {"id", "at", "created_at", "updated_at", "hash", "prev_hash", "state", "mac"}


def snapshot():
    """Every row the fill writes, as plain values with the petitions named by number; sealed
    fields are read back decrypted through the models."""
    from xinfang.audit.models import ChainHead, Event
    from xinfang.petitions.models import (
        Deadline,
        InvolvedPerson,
        InvolvedUnit,
        Petition,
        Petitioner,
        ReceptionRecord,
    )

    numbers = dict(Petition.objects.values_list("id", "number"))
    tables = {}
    for model in (
        Petition,
        Petitioner,
        InvolvedUnit,
        InvolvedPerson,
        ReceptionRecord,
        Deadline,
        Event,
        ChainHead,
    ):
        rows = []
        for obj in model.objects.all():
            row = {}
            for field in model._meta.concrete_fields:
                if field.name in VOLATILE:
                    continue
                value = getattr(obj, field.attname)
                if field.attname == "petition_id":
                    value = numbers[value]
                row[field.name] = value
            rows.append(repr(sorted(row.items())))
        tables[model.__name__] = sorted(rows)
    link = Petition.repeat_of.through
    tables["links"] = sorted(
        (numbers[a], numbers[b]) for a, b in link.objects.values_list("from_petition_id", "to_petition_id")
    )
    return tables


def fill(fast: bool, users):
    import bench.bulk
    from bench.generator import PetitionGenerator, demo_unit_ids

    bench.bulk.FAST = fast
    try:
        gen = PetitionGenerator(11, units=demo_unit_ids(), days=400)
        bench.bulk.bulk_fill(150, gen=gen, actor=users["clerk"], batch=40)
    finally:
        bench.bulk.FAST = True


def test_fill_writes_what_bulk_create_writes(demo_org):
    from django.core.management import call_command

    users, _units = demo_org
    with transaction.atomic():
        fill(False, users)
        expected = snapshot()
        transaction.set_rollback(True)
    fill(True, users)
    got = snapshot()
    assert got["Petition"] and got["Deadline"] and got["Event"] and got["links"]
    for table in expected:
        assert got[table] == expected[table], table
    call_command("verify_audit")


def test_keys_checked_once_after_the_fill(demo_org):
    """PostgreSQL: a fill whose keys are checked once at the end passes the check and verifies;
    a row pointing at nothing, which the keys' triggers would have refused, fails it."""
    from bench.bulk import keys_checked_once
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the keys' row-by-row checks are skipped on PostgreSQL only")
    users, _units = demo_org
    with keys_checked_once() as deferred:
        fill(True, users)
    assert deferred
    call_command("verify_audit")
    with (
        pytest.raises(RuntimeError, match="pointing at nothing"),
        keys_checked_once(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO petitions_petition_repeat_of (from_petition_id, to_petition_id)"
            " SELECT max(id), max(id) + 1000 FROM petitions_petition"
        )
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def search_tables():
    """The search index's rows, in order, and its indexes' definitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = {}
        for name, sql in (
            ("documents", "SELECT petition_id, body, grams, units FROM search_searchdocument ORDER BY 1"),
            ("bands", "SELECT petition_id, band, key FROM search_matterband ORDER BY 1, 2, 3"),
            ("shingles", "SELECT petition_id, codes FROM search_mattershingles ORDER BY 1"),
            (
                "indexes",
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'search\\_%%' ORDER BY 1",
            ),
        ):
            cursor.execute(sql)
            tables[name] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor
            ]
    return tables


def test_index_written_beside_the_fill_is_what_a_rebuild_writes(demo_org):
    """PostgreSQL: the search index written while the fill runs (bench/follow_index.py, here
    in-process: the writer adds a batch each time the follower asks whether it is done) is
    row for row what `rebuild_search_index` writes afterwards, assignments' units included."""
    from bench.bulk import bulk_fill
    from bench.follow_index import index_written
    from bench.generator import PetitionGenerator, demo_unit_ids
    from bench.spread import Shape
    from django.db import connection

    from xinfang.search.index import empty_for_copy, rebuild

    if connection.vendor != "postgresql":
        pytest.skip("the index is written beside the fill on PostgreSQL only")
    users, _units = demo_org
    gen = PetitionGenerator(5, units=demo_unit_ids(), days=400)
    shape = Shape(seed=3)
    with connection.cursor() as cursor:
        empty_for_copy(cursor)
    batches = iter([70, 0, 45, 30])

    def finished():
        size = next(batches, None)
        if size:
            bulk_fill(size, gen=gen, actor=users["clerk"], shape=shape, batch=25)
        return size is None

    figures = index_written(finished, batch_size=40)
    assert figures["indexed"] == 145
    written = search_tables()
    assert len(written["documents"]) == 145 and len(written["bands"]) > 145
    assert any(units for *_doc, units in written["documents"])  # the lead assignments' units
    assert len(written["indexes"]) >= 3
    rebuild()
    assert search_tables() == written
