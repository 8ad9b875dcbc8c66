"""A list page reached by its *next* / *previous* link seeks the received-order index
to the key (issue 9). With only `received_at < t OR (received_at = t AND id < k)` in
SQL PostgreSQL cannot seek (SQLite splits the OR into two index probes): it read the
index from the newest petition and filtered away every row above the key (3.3 s
half-way down 616,000 petitions). The check is the plan's index condition, not a time."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xinfang.petitions.models import Petition
from xinfang.petitions.paging import cursor, keyset_page

pytestmark = pytest.mark.django_db


def _plan(sql: str) -> str:
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " | ".join(str(row[-1]) for row in c.fetchall())
        c.execute("SET LOCAL enable_seqscan = off")
        c.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = c.fetchone()[0]
        return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


def _seeks(plan: str, op: str) -> bool:
    if connection.vendor == "sqlite":
        return f"received_at{op}?" in plan.replace(" ", "")
    return '"Index Cond": "(received_at ' + op in plan


@pytest.mark.parametrize("direction,op", [("after", "<"), ("before", ">")])
def test_a_keyed_page_seeks_the_index_to_its_key(register, direction, op):
    for i in range(6):
        register(title=f"翻页{i}")
    qs = Petition.objects.order_by("-received_at", "-id")
    key = cursor(qs[2])
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(qs, {direction: key}, per_page=2, count=6)
    assert page.object_list  # the oracle of the rows themselves is tests/web's paging tests
    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert _seeks(_plan(statement), op), _plan(statement)
