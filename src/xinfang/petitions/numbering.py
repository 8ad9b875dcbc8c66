"""Unified numbering (Rule 3.1): PREFIX-YEAR-NNNNNN, gapless per year.

`allocate_number` must run inside the transaction that inserts the petition. The
UPDATE of the sequence row takes its lock (a row lock on PostgreSQL, the write
lock on SQLite, whose transactions start IMMEDIATE) and holds it until commit, so
concurrent registrations queue one behind the other and a rollback returns the
number. The unique petition number backs it up.

Because the lock lasts until commit, registration calls this LAST: everything
else the transaction writes (parties, clocks, repeat links) is done before, so
the lock covers only this statement (on PostgreSQL it also writes the number into
the petition and counts the new chain: `then`), the search index's copy of the number,
the event with its chain head and the count's seal (one more statement on PostgreSQL),
and the commit (docs/benchmarks.md: the lock once covered 21 of 25 ms and capped
registrations near 46/s).
"""

from __future__ import annotations

from uuid import uuid4

from django.conf import settings
from django.db import connection, transaction

from xinfang.petitions.models import NumberSequence, Petition

# The number a petition carries until its real one is allocated, inside the same
# uncommitted transaction (nobody else ever sees it). Unique, so two registrations
# in flight never collide, and never a valid number (it starts with "~").
PROVISIONAL_PREFIX = "~"


def provisional_number() -> str:
    return f"{PROVISIONAL_PREFIX}{uuid4().hex[:31]}"  # fits max_length 32


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}-{year}-{serial:06d}"


# The table name is the model's own (a constant), never input.
_INCREMENT = (
    f'UPDATE "{NumberSequence._meta.db_table}" SET "last" = "last" + %s '  # noqa: S608
    'WHERE "prefix" = %s AND "year" = %s RETURNING "last"'
)


def _increment(prefix: str, year: int, count: int = 1) -> int | None:
    # One statement that both locks the row and returns the new value (PostgreSQL and
    # SQLite ≥ 3.35 both speak RETURNING): the lock is taken and read in one round trip.
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT, [count, prefix, year])
        row = cursor.fetchone()
    return row[0] if row else None


# PostgreSQL: the number taken and written into the petition in ONE statement (a data-modifying
# WITH), so the lock's first round trip also does the second one's work. The serial is padded to
# at least six digits, as format_number does (lpad alone would cut a seventh digit off). "then"
# is the caller's step (allocate_number's `then`), run by the same statement after the number's
# row is locked; LEFT JOIN: a step that found no row must not leave the number taken but unused.
_INCREMENT_INTO_PETITION = (
    f'WITH "n" AS ({_INCREMENT}){{then}} '  # noqa: S608
    f'UPDATE "{Petition._meta.db_table}" SET "serial" = "n"."last", '
    '"number" = %s || lpad("n"."last"::text, greatest(6, length("n"."last"::text)), \'0\') '
    f'FROM "n"{{join}} WHERE "{Petition._meta.db_table}"."id" = %s RETURNING "n"."last"{{value}}'
)
# The name of the number's WITH item, for a `then` step that must wait for it.
TAKEN = '"n"'


def _increment_into(prefix: str, year: int, petition_id: int, then) -> tuple[int | None, object]:
    if connection.vendor != "postgresql":
        serial = _increment(prefix, year)
        if serial is not None:
            Petition.objects.filter(pk=petition_id).update(
                number=format_number(prefix, year, serial), serial=serial
            )
        return serial, None  # `then` is the caller's to run (SQLite locks the whole transaction)
    then_sql, then_params = then or ("", [])
    sql = _INCREMENT_INTO_PETITION.format(
        then=f', "then" AS ({then_sql})' if then else "",
        join=' LEFT JOIN "then" ON TRUE' if then else "",
        value=', "then".*' if then else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [1, prefix, year, *then_params, f"{prefix}-{year}-", petition_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    return row[0], (row[1] if then else None)


def _take(year: int, count: int, petition_id: int | None = None, then=None) -> tuple[int, object]:
    """The last of `count` consecutive serials just taken for `year` (with `petition_id`, one
    serial, also written into that petition, and the value of the `then` step)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers must be allocated inside the registering transaction")
    prefix = settings.NUMBER_PREFIX

    def take():
        if petition_id is None:
            return _increment(prefix, year, count), None
        return _increment_into(prefix, year, petition_id, then)

    last, value = take()
    if last is None:
        # First number of the year: create the row without racing another process.
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year, last=0)], ignore_conflicts=True
        )
        last, value = take()
    return last, value


def allocate_number(year: int, petition_id: int | None = None, *, then=None) -> tuple[str, int, object]:
    """The next number of `year`, its serial, and the value of `then`; with `petition_id`, the
    number is also written into that petition (the caller's object is not touched: set its
    number and serial from the answer).

    `then`: (sql, params) of one more `UPDATE … RETURNING <one column>` that must run while the
    number is held, right after it is taken (registration: the sealed count of chains,
    audit/services.count_chain_step). On PostgreSQL it is a WITH item of the number's own
    statement, so that both row locks cost one round trip; it must refer to TAKEN (for example
    `AND EXISTS (SELECT FROM "n")`) so that its lock is always taken after the number's, the
    order every other writer keeps. Its value is None when it found no row, and always on SQLite
    (whose transaction holds the write lock from its start, so nothing is gained there): the
    caller then does the step itself."""
    serial, value = _take(year, 1, petition_id, then if petition_id is not None else None)
    return format_number(settings.NUMBER_PREFIX, year, serial), serial, value


def allocate_numbers(year: int, count: int) -> list[tuple[str, int]]:
    """`count` consecutive numbers in one statement (a ledger import): the same gapless
    sequence, the same lock until commit, as `count` calls of allocate_number."""
    if count <= 0:
        return []
    last, _value = _take(year, count)
    prefix = settings.NUMBER_PREFIX
    return [(format_number(prefix, year, s), s) for s in range(last - count + 1, last + 1)]
