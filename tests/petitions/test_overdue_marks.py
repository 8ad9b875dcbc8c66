"""The list page's overdue marks (selectors.mark_overdue, issue 9).

A page marks its 25 rows with one query over their ids. That query must be answered
through the deadlines' per-petition index whatever the planner knows: with
`due_at < now` and `met_at/paused_at IS NULL` in SQL, SQLite without ANALYZE
statistics read every running overdue clock through `deadline_running_due` /
`deadline_open_due` instead (2.3–6 s a page at 10^5 petitions). The marks are
checked against a written-out matrix of clock states, the plan against the index
names.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.selectors import mark_overdue

pytestmark = pytest.mark.django_db


def _per_petition_indexes() -> list[str]:
    """The clocks' indexes that lead with the petition, read from the database: any of them
    answers "the clocks of these 25" (the unique (petition, name) among them, which PostgreSQL
    picks on a small table as readily as the others)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "petitions_deadline")
    names = [
        name
        for name, c in constraints.items()
        if (c["index"] or c["unique"]) and c["columns"][:1] == ["petition_id"]
    ]
    assert "deadline_petition_open_due" in names, names
    return names


# The indexes that walk clocks by date, all petitions at once.
BY_DATE = ("deadline_running_due", "deadline_open_due")


def _petitions_with_clock_states(register):
    """Five petitions whose only clock is in a known state; returns {petition: late?}."""
    now = timezone.now()
    states = {
        "running, past its end": ({"due_at": now - timedelta(days=3)}, True),
        "running, not yet due": ({"due_at": now + timedelta(days=3)}, False),
        "met after its end": ({"due_at": now - timedelta(days=3), "met_at": now}, False),
        "paused past its end": ({"due_at": now - timedelta(days=3), "paused_at": now}, False),
        "past its end, met twice over": ({"due_at": now - timedelta(days=9), "met_at": now}, False),
    }
    expected = {}
    for i, (fields, late) in enumerate(states.values()):
        petition = register(title=f"时限{i}")
        clocks = Deadline.objects.filter(petition=petition)
        assert clocks.exists()
        clocks.update(met_at=None, paused_at=None, due_at=now + timedelta(days=30))
        first = clocks.order_by("pk").first()
        Deadline.objects.filter(pk=first.pk).update(**fields)
        expected[petition.pk] = late
    return expected


def test_marks_follow_the_clock_states(register):
    expected = _petitions_with_clock_states(register)
    rows = mark_overdue(Petition.objects.filter(pk__in=expected).order_by("pk"))
    assert {p.pk: p.is_overdue for p in rows} == expected
    assert mark_overdue([]) == []


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " | ".join(str(row[-1]) for row in cursor.fetchall())
        # A few rows: the sequential scan would win on cost. Forbid it to see which
        # index the planner takes for the clocks.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


@pytest.mark.parametrize("statistics", [False, True], ids=["no statistics", "analyzed"])
def test_the_marks_read_the_per_petition_index(register, statistics):
    expected = _petitions_with_clock_states(register)
    # Many running overdue clocks elsewhere make the by-date indexes look attractive.
    if statistics:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            if connection.vendor == "sqlite":
                # The statistics of a big table (a few clocks per petition, 300,000 in
                # all, one open clock in ten) rather than of this handful, which a scan wins.
                cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'petitions_deadline'")
                for index, stat in (
                    ("deadline_petition_open_due", "300000 3 3 1"),
                    ("unique_deadline_name", "300000 3 1"),
                    ("deadline_open_due", "300000 30000 2"),
                    ("deadline_unit_open_due", "300000 1000 300 2"),
                    ("deadline_running_due", "30000 2 1"),
                ):
                    cursor.execute(
                        "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('petitions_deadline', %s, %s)",
                        [index, stat],
                    )
                cursor.execute("ANALYZE sqlite_schema")  # reload the statistics
    page = list(Petition.objects.filter(pk__in=expected))
    with CaptureQueriesContext(connection) as queries:
        mark_overdue(page)
    assert len(queries.captured_queries) == 1
    # Re-plan the exact statement as it was sent (parameters interpolated).
    plan = _plan(queries.captured_queries[0]["sql"], ())
    assert any(name in plan for name in _per_petition_indexes()), plan
    assert not any(name in plan for name in BY_DATE), plan
