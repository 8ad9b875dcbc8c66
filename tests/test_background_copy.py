"""core/background_copy.py: COPYs sent by a writer thread keep their order against every other
statement, a failed COPY is raised in the caller and nothing after it is sent, and leaving the
block stops the thread before anything else uses the connection."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from xinfang.core.background_copy import active_writer, background_copies
from xinfang.core.inserts import copy_rows

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copied (id integer PRIMARY KEY, value text NOT NULL)")
    yield "copied"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.copied")


def rows(first: int, count: int):
    return ((i, f"行 {i}") for i in range(first, first + count))


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT id) FROM {table}")  # noqa: S608 (the test's table)
        total, distinct = cursor.fetchone()
    assert total == distinct
    return total


def writer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "xinfang-copy-writer"]


def test_outside_postgresql_the_block_does_nothing():
    with background_copies():
        assert (active_writer(connection) is not None) == (connection.vendor == "postgresql")
    assert active_writer(connection) is None
    assert writer_threads() == []


@on_postgresql
def test_a_statement_runs_only_once_every_copy_before_it_has_finished(table):
    seen = []

    def look(execute, sql, params, many, context):
        # Installed inside the block, so it runs after the block's own wait.
        seen.append(active_writer(connection).pending.unfinished_tasks)
        return execute(sql, params, many, context)

    with background_copies():
        copies = threading.get_ident()
        with connection.execute_wrapper(look):
            copy_rows(connection, table, ["id", "value"], rows(0, 20_000))
            copy_rows(connection, table, ["id", "value"], rows(20_000, 20_000))
            assert count(table) == 40_000
            copy_rows(connection, table, ["id", "value"], rows(40_000, 5))
            assert count(table) == 40_005
        assert writer_threads() == ["xinfang-copy-writer"]
        assert threading.get_ident() == copies
    assert seen == [0, 0]
    assert count(table) == 40_005
    assert writer_threads() == []


@on_postgresql
def test_a_failed_copy_is_raised_in_the_caller_and_nothing_after_it_is_sent(table):
    with pytest.raises(IntegrityError), transaction.atomic(), background_copies():
        copy_rows(connection, table, ["id", "value"], [(1, "一"), (1, "again")])
        copy_rows(connection, table, ["id", "value"], rows(10, 100))
        # Raised here at the latest (the next statement waits for both).
        count(table)
    assert writer_threads() == []
    assert count(table) == 0
    # Outside the failed savepoint the connection works, and copies as before.
    copy_rows(connection, table, ["id", "value"], rows(0, 3))
    assert count(table) == 3


@on_postgresql
def test_leaving_by_an_exception_stops_the_writer_and_drops_what_it_holds(table):
    with pytest.raises(ValueError, match="while building"), transaction.atomic(), background_copies():
        for start in range(0, 200_000, 20_000):
            copy_rows(connection, table, ["id", "value"], rows(start, 20_000))
        raise ValueError("while building")
    assert writer_threads() == []
    assert count(table) == 0


@on_postgresql
def test_copies_are_recorded_as_statements(table, django_assert_num_queries):
    with django_assert_num_queries(3), background_copies():
        copy_rows(connection, table, ["id", "value"], rows(0, 10))
        copy_rows(connection, table, ["id", "value"], rows(10, 10))
        assert count(table) == 20
