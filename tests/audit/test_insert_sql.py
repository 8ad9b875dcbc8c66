"""The INSERTs the event log sends inside a larger statement (registration's first event and its
chain head, audit/services._start_chain_in_one) are built once per model and filled per row:
they must say what Django's compiler says for the same row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import AutoField, BigAutoField
from django.db.models.sql import InsertQuery
from django.utils import timezone

from tests.factories import register
from xinfang.audit.chain import GENESIS
from xinfang.audit.models import ChainHead, Event, Source
from xinfang.audit.services import _insert_sql

pytestmark = pytest.mark.django_db


def _compiled(obj, returning: bool) -> tuple[str, list]:
    model = type(obj)
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoField | BigAutoField))
    ]
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    if returning:
        compiler.returning_fields = [model._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


def _plain(value):
    # psycopg's JSON wrapper has no equality of its own: compare what it wraps.
    return getattr(value, "obj", value)


def _words(sql: str) -> list[str]:
    # The compiler qualifies the RETURNING column with its table; the statement is the same.
    return sql.replace(f'"{Event._meta.db_table}".', "").split()


@pytest.mark.parametrize("returning", [True, False])
def test_the_built_insert_is_the_compilers(demo_org, returning):
    users, _units = demo_org
    petition = register(users["clerk"])
    event = Event(
        petition=petition,
        seq=2,
        at=timezone.now(),
        actor=users["clerk"],
        action="petition.noted",
        data={"text": '说明 "quoted" \\ back', "n": [1, 2], "none": None},
        source=Source.API,
        request_id="r-1",
        prev_hash=GENESIS,
        hash="h" * 64,
        version=2,
        state="s" * 64,
    )
    head = ChainHead(petition=petition, seq=2, hash="h" * 64, mac="m" * 64)
    for obj in (event, head):
        sql, params = _insert_sql(obj, returning=returning and obj is event)
        expected_sql, expected = _compiled(obj, returning and obj is event)
        assert _words(sql) == _words(expected_sql)
        assert [_plain(p) for p in params] == [_plain(p) for p in expected]
