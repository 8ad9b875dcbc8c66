"""The fold of the statistics summary's deltas (reports/summary_fold_sql.py, PostgreSQL): it
rewrites only the keys that changed since the last fold, a delta committed while a fold runs
is folded by the next one (never lost, never counted twice), and due days that have become past
are re-filed under the one past day. Every expectation is a recount (rebuild_statistics) or the
rows' own ids and places, read before the fold."""

import random
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.reports.test_summary import DUE_KEY, KEY, folded
from xinfang.petitions.models import Deadline, Petition
from xinfang.reports import summary_sql

pytestmark = pytest.mark.django_db

TABLES = {"reports_statcount": KEY, "reports_statdue": DUE_KEY}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")


def placed(table: str) -> dict:
    """{id: (place of the row version, key)} of every row of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, ctid::text, {TABLES[table]} FROM {table}")  # noqa: S608
        return {r[0]: (r[1], tuple(r[2:])) for r in cursor.fetchall()}


def recount() -> dict:
    summary_sql.rebuild()
    return folded()


def one_row_per_key() -> None:
    with connection.cursor() as cursor:
        for table, key in TABLES.items():
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {key} HAVING count(*) > 1) x"
            )  # noqa: S608
            assert cursor.fetchone()[0] == 0, table


def flip_status(cursor, pid: int) -> None:
    cursor.execute(
        "UPDATE petitions_petition SET status = CASE WHEN status = 'closed' THEN 'registered' "
        "ELSE 'closed' END WHERE id = %s",
        [pid],
    )


def test_a_fold_rewrites_only_the_keys_changed_since_the_last(world_factory):
    world_factory(random.Random(11), 60, timezone.now())
    summary_sql.compact()
    before = {table: placed(table) for table in TABLES}
    # A few changes: one petition's status, one clock met.
    clock = Deadline.objects.filter(met_at__isnull=True, paused_at__isnull=True).order_by("pk").first()
    with connection.cursor() as cursor:
        flip_status(cursor, clock.petition_id)
    Deadline.objects.filter(pk=clock.pk).update(met_at=timezone.now())
    # The keys changed: those of the rows appended since the fold (ids above the fold's).
    appended = {}
    for table in TABLES:
        now = placed(table)
        appended[table] = {key for i, (_, key) in now.items() if i > max(before[table])}
        assert appended[table]
    expected = folded()

    summary_sql.compact()

    assert folded() == expected
    for table in TABLES:
        after = placed(table)
        untouched = {i: row for i, row in before[table].items() if row[1] not in appended[table]}
        # Every row of a key left alone is the same row version, where it was.
        assert {i: after.get(i) for i in untouched} == untouched, table
        # The rows of the changed keys were replaced by one row each.
        assert not any(i in after for i, row in before[table].items() if row[1] in appended[table]), table
        assert len(untouched) > 2 * len(appended[table]), table  # the fold was a small part
    one_row_per_key()
    assert recount() == expected


def test_due_days_become_past_are_refiled_under_the_past_day(world_factory):
    """Rows filed under a due day that was today or later when written and is before
    yesterday now (simulated: rows of the past day moved back to such days, as if folded days
    ago) are re-filed by the next fold, even with nothing appended since, as a recount files
    them; yesterday keeps its own day."""
    world_factory(random.Random(12), 30, timezone.now())
    summary_sql.compact()
    expected = folded()
    tz = settings.TIME_ZONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT (now() AT TIME ZONE %s)::date", [tz])
        today = cursor.fetchone()[0]
        assert any(k[0] == "due" and k[11] == today - timedelta(days=1) for k in expected)  # yesterday's
        cursor.execute(
            "UPDATE reports_statdue SET due = %s - (1 + id %% 2)::integer * 3 WHERE due = DATE '0001-01-01'",
            [today],
        )
        assert cursor.rowcount > 0
    summary_sql.compact()
    assert folded() == expected
    one_row_per_key()
    assert recount() == expected


@pytest.mark.django_db(transaction=True)
def test_a_delta_committed_after_a_fold_began_is_folded_by_the_next(world_factory):
    """Two writers: one has appended its deltas (ids taken) but commits only after a fold has
    run; the other appended later (higher ids) and committed before it. The same year's
    roll-up rows (unit NULL) are among the keys both touch. The fold folds what it can see;
    the late rows are counted once, beside it, and folded by the next fold."""
    world_factory(random.Random(13), 12, timezone.now())
    summary_sql.compact()
    early, late = (
        Petition.objects.filter(deadlines__met_at__isnull=True, deadlines__paused_at__isnull=True)
        .distinct()
        .values_list("pk", flat=True)[:2]
    )
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], password=db["PASSWORD"] or None
    )
    try:
        with other.cursor() as cursor:
            flip_status(cursor, early)
            cursor.execute("UPDATE petitions_deadline SET met_at = now() WHERE petition_id = %s", [early])
        with connection.cursor() as cursor:
            flip_status(cursor, late)
            cursor.execute("UPDATE petitions_deadline SET met_at = now() WHERE petition_id = %s", [late])
        assert summary_sql.compact() > 0
        other.commit()
    finally:
        other.close()
    committed = folded()
    summary_sql.compact()
    assert folded() == committed
    one_row_per_key()
    assert pending_rows() == 0
    assert recount() == committed
    assert pending_rows() == 0  # a recount writes folded rows


def pending_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM reports_statcount WHERE pending) + "
            "(SELECT count(*) FROM reports_statdue WHERE pending)"
        )
        return cursor.fetchone()[0]
