"""Unified numbering (Rule 3.1): PREFIX-YEAR-NNNNNN, gapless per year.

`allocate_number` must run inside the transaction that inserts the petition. The
UPDATE of the sequence row takes its lock (a row lock on PostgreSQL, the write
lock on SQLite, whose transactions start IMMEDIATE) and holds it until commit, so
concurrent registrations queue one behind the other and a rollback returns the
number. The unique petition number backs it up.

Because the lock lasts until commit, registration calls this LAST: everything
else the transaction writes (parties, clocks, repeat links) is done before, so
the lock covers only this statement (on PostgreSQL it also writes the number into
the petition), the search index's copy of the number, the event with its chain head
and count, and the commit (docs/benchmarks.md: the lock once covered 21 of 25 ms and
capped registrations near 46/s).
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
# at least six digits, as format_number does (lpad alone would cut a seventh digit off).
_INCREMENT_INTO_PETITION = (
    f'WITH "n" AS ({_INCREMENT}) '  # noqa: S608
    f'UPDATE "{Petition._meta.db_table}" SET "serial" = "n"."last", '
    '"number" = %s || lpad("n"."last"::text, greatest(6, length("n"."last"::text)), \'0\') '
    f'FROM "n" WHERE "{Petition._meta.db_table}"."id" = %s RETURNING "n"."last"'
)


def _increment_into(prefix: str, year: int, petition_id: int) -> int | None:
    if connection.vendor != "postgresql":
        serial = _increment(prefix, year)
        if serial is not None:
            Petition.objects.filter(pk=petition_id).update(
                number=format_number(prefix, year, serial), serial=serial
            )
        return serial
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT_INTO_PETITION, [1, prefix, year, f"{prefix}-{year}-", petition_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _take(year: int, count: int, petition_id: int | None = None) -> int:
    """The last of `count` consecutive serials just taken for `year` (with `petition_id`, one
    serial, also written into that petition)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers must be allocated inside the registering transaction")
    prefix = settings.NUMBER_PREFIX

    def take():
        if petition_id is None:
            return _increment(prefix, year, count)
        return _increment_into(prefix, year, petition_id)

    last = take()
    if last is None:
        # First number of the year: create the row without racing another process.
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year, last=0)], ignore_conflicts=True
        )
        last = take()
    return last


def allocate_number(year: int, petition_id: int | None = None) -> tuple[str, int]:
    """The next number of `year`; with `petition_id`, also written into that petition (the
    caller's object is not touched: set its number and serial from the answer)."""
    serial = _take(year, 1, petition_id)
    return format_number(settings.NUMBER_PREFIX, year, serial), serial


def allocate_numbers(year: int, count: int) -> list[tuple[str, int]]:
    """`count` consecutive numbers in one statement (a ledger import): the same gapless
    sequence, the same lock until commit, as `count` calls of allocate_number."""
    if count <= 0:
        return []
    last = _take(year, count)
    prefix = settings.NUMBER_PREFIX
    return [(format_number(prefix, year, s), s) for s in range(last - count + 1, last + 1)]
