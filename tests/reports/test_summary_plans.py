"""The recount of an import's petitions (summary_sql.count_new) must not read a temporary table
whole once per petition. Inside the import's transaction the planner still has the statistics of
before the import and may expect one row where tens of thousands come; it then joins by nested
loops, and a temporary table without a key is scanned in full on every loop (a 10⁵-row import
into a 10⁵ database spent 662 s in one statement so; docs/benchmarks.md). The test forbids hash
and merge joins, the plans a good estimate would choose, and whole-table scans wherever an index
would serve, then checks every statement of the recount: no temporary table may be read whole
on the inner side of a nested loop, i.e. each one the recount looks rows up in has a key."""

import json
import random
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection

from xinfang.petitions.models import Petition
from xinfang.reports import summary_sql

pytestmark = pytest.mark.django_db

TEMPORARY = {
    "reports_batch",
    "reports_batch_petitions",
    "reports_repeats",
    "reports_settled",
    "reports_pairs",
    "reports_first_due",
}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")


def _whole_scans_per_loop(plan: dict, inner: bool = False) -> list[str]:
    """Temporary tables read whole (a sequential scan, materialized or not) under the inner side
    of a nested loop, anywhere in `plan`."""
    found = []
    if inner and plan["Node Type"] == "Seq Scan" and plan.get("Relation Name") in TEMPORARY:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += _whole_scans_per_loop(
            child,
            inner or (plan["Node Type"] == "Nested Loop" and child.get("Parent Relationship") == "Inner"),
        )
    return found


def test_the_batch_recount_looks_its_temporary_rows_up_by_key(world_factory):
    # Petitions with and without handling and involved units, met and running clocks, repeats.
    world_factory(random.Random(5), 30, datetime(2026, 9, 1, tzinfo=UTC))
    ids = list(Petition.objects.values_list("id", flat=True))
    statements = [s.strip() for s in summary_sql._rebuild_sql(settings.TIME_ZONE, batch=True).split(";\n")]
    explained = 0
    with connection.cursor() as cursor:
        summary_sql.create_batch(cursor, ids)
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        # And scans of whole tables, so that an index is taken wherever one serves, small as
        # these test tables are (a few rows read whole cost nothing; 10⁵ per loop do).
        cursor.execute("SET LOCAL enable_seqscan = off")
        for statement in filter(None, statements):
            query = statement
            if statement.startswith("CREATE TEMP TABLE") and " AS" in statement:
                query = statement.split(" AS", 1)[1]
            if query.lstrip().startswith(("SELECT", "WITH")):
                cursor.execute("EXPLAIN (FORMAT JSON) " + query)
                value = cursor.fetchone()[0]
                [plan] = json.loads(value) if isinstance(value, str) else value
                assert _whole_scans_per_loop(plan["Plan"]) == [], statement[:120]
                explained += 1
            cursor.execute(statement)
    # The pairs, both rows of the summary and the running clocks' first due: all were looked at.
    assert explained >= 5
