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
the event with its chain head and the count's seal (one more statement on PostgreSQL, sent
with the COMMIT in one round trip: `send_with_commit`), and the commit (docs/benchmarks.md: the
lock once covered 21 of 25 ms and capped registrations near 46/s).

On PostgreSQL the commit itself no longer holds the lock while it waits for the disk
(`release_before_flush`, below): the registering transaction's COMMIT returns, and the row
is released, as soon as its commit record is written; the registration then waits for the
disk, outside the lock, before anything is answered or sent.
"""

from __future__ import annotations

import sys
from uuid import uuid4

from django.conf import settings
from django.db import connection, transaction

from xinfang.core.logged import several_statements
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
    f'FROM "n"{{join}} WHERE "{Petition._meta.db_table}"."id" = %s RETURNING "n"."last"{{value}}{{release}}'
)
# The name of the number's WITH item, for a `then` step that must wait for it.
TAKEN = '"n"'

# --- Releasing the number before the disk's wait (PostgreSQL) ---------------------------------
# A COMMIT waits for its WAL to reach the disk (one fdatasync: 2-10 ms on this machine's disk,
# more when others write) and only then releases the transaction's row locks, so the year's
# number stayed locked for that wait too: registrations queued one disk flush apart, whatever
# the cores. Instead, the statement that takes the number also sets `synchronous_commit = off`
# for this transaction only (set_config(..., true): undone with the transaction, or with the
# savepoint it was set in if that rolls back), so the COMMIT releases the row once its commit
# record is in the WAL; then, before any other on_commit callback and before the service
# returns, one more statement waits for the disk: a transactional logical message, whose own
# (synchronous) commit flushes the WAL up to itself, and so past the registration's commit
# record, written before it. Nothing is answered, sent or enqueued before the registration is
# on disk, as before.
#
# Numbers stay gapless and in order through a crash: the WAL is one sequence, a later
# registration's commit record follows this one's, and recovery replays a prefix of it, so a
# registration survives only if every earlier number survives too; the same holds for anything
# written after it that depends on it (its commit waits for the disk, past this record).
# What changes: for the few milliseconds of that wait, other sessions on the primary (not the
# replicas, which only receive flushed WAL) can already read the registration; if the server
# crashes in those milliseconds, it is lost with its number, which the next registration takes
# again, although nobody was told it was registered. XINFANG_NUMBER_RELEASE_BEFORE_FLUSH=0
# keeps the lock through the disk's wait (docs/configuration.md).
_RELEASE = ", set_config('synchronous_commit', 'off', true)"
# --- The foreign keys checked before the number (PostgreSQL) -------------------------------------
# Django declares every foreign key DEFERRABLE INITIALLY DEFERRED, so PostgreSQL checks the
# references of every row the transaction inserted (the petition's category and responder, each
# petitioner, clock, party, repeat link, the search document and shingles, the Idempotency-Key:
# some 30 to 60 look-ups, each locking the row it finds) at the COMMIT, which runs while the number
# is locked. `SET CONSTRAINTS ALL IMMEDIATE` runs those pending checks at once, so they are sent in
# the same message as the number's statement, before it, and the constraints deferred again at
# once, as they were (no constraint of this schema is deferrable and initially immediate): only
# the rows written in the lock (the event, its chain head) are checked at the COMMIT. A reference
# that fails is raised by the number's statement instead of the COMMIT, before the number is
# taken, and rolls back the same.
_CHECK_DEFERRED = "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; "

# A logical message (empty, prefix "xinfang.durable") is WAL that any role may write; the
# transaction that writes it commits synchronously, which flushes the WAL through it.
_DURABLE = "SELECT pg_logical_emit_message(true, 'xinfang.durable', '')"


def release_before_flush() -> bool:
    """Whether registration's COMMIT releases the number before the disk's wait (above)."""
    return connection.vendor == "postgresql" and settings.NUMBER_RELEASE_BEFORE_FLUSH


def wait_until_durable() -> None:
    """Return once everything committed on this connection so far is on disk (PostgreSQL,
    autocommit): after a COMMIT that did not wait for it, and before answering with what a
    registration that may still be in that wait wrote (an Idempotency-Key's replay)."""
    with connection.cursor() as cursor:
        cursor.execute(_DURABLE)


def _durable_before_callbacks() -> None:
    """The wait for the disk as the transaction's FIRST on_commit callback (callbacks run in
    order right after the COMMIT, before the outermost atomic block returns), so that
    notifications and tasks registered earlier in the transaction leave after it too. As
    transaction.on_commit stores a callback, with the savepoints it belongs to: a rollback
    to one of them drops it, as it undoes the setting."""
    if any(func is wait_until_durable for _sids, func, _robust in connection.run_on_commit):
        return  # a second number in the same transaction: one wait covers both
    connection.run_on_commit.insert(0, (set(connection.savepoint_ids), wait_until_durable, False))


# --- The last statement sent with the COMMIT (PostgreSQL) ----------------------------------------
# What the registration writes after taking the number (its event, chain head, seal and the search
# document's number: one statement) was one round trip, then the COMMIT another, both while the
# number was locked. In psycopg's pipeline mode the statement is queued and sent together with the
# COMMIT: one round trip, and the server runs the COMMIT right after the statement without waiting
# for the client. Only for a transaction whose outermost atomic block commits right after (the
# caller knows), and only from that statement on: Django reads each statement's answer (an
# UPDATE's row count, a RETURNING) as it runs, which pipeline mode would give only at the sync.
# A failure of the statement is raised by the COMMIT instead, which rolls back as before.


def send_with_commit() -> None:
    """From here to the COMMIT, send statements without waiting for their answers (none may be
    read), then leave pipeline mode as the transaction's first on_commit callback (before the
    wait for the disk, whose statement must be answered before anything else runs) or, on any
    failure, in end_sent_with_commit, which the caller runs after its atomic block."""
    wrapper = transaction.get_connection()
    pg = wrapper.connection
    if wrapper.vendor != "postgresql" or pg is None or pg._pipeline is not None:
        return
    pipeline = pg.pipeline()
    pipeline.__enter__()
    wrapper.xinfang_pipeline = (pipeline, pg)
    wrapper.run_on_commit.insert(0, (set(wrapper.savepoint_ids), end_sent_with_commit, False))


def end_sent_with_commit() -> None:
    held = transaction.get_connection().__dict__.pop("xinfang_pipeline", None)
    if held is None:
        return
    pipeline, pg = held
    if pg.closed:
        # After a failed statement, Django closes the connection when the ROLLBACK fails too
        # (the server then rolls the transaction back, the number with it): nothing to leave.
        return
    # Called from a `finally` while the registration's own error propagates, an error in leaving
    # pipeline mode is only logged (psycopg), so that the original one is raised.
    pipeline.__exit__(*sys.exc_info())


def _increment_into(
    prefix: str, year: int, petition_id: int, then, release: bool
) -> tuple[int | None, object]:
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
        release=_RELEASE if release else "",
    )
    params = [1, prefix, year, *then_params, f"{prefix}-{year}-", petition_id]
    with connection.cursor() as cursor:
        if several_statements(cursor):
            # The same message: the checks, then the number (no round trip more).
            cursor.execute(_CHECK_DEFERRED + sql, params)
            for _statement in _CHECK_DEFERRED.split(";")[:-1]:
                cursor.nextset()
        else:  # server-side binding prepares one statement per message
            for statement in _CHECK_DEFERRED.split(";")[:-1]:
                cursor.execute(statement)
            cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    return row[0], (row[1] if then else None)


def _take(
    year: int, count: int, petition_id: int | None = None, then=None, release: bool = False
) -> tuple[int, object]:
    """The last of `count` consecutive serials just taken for `year` (with `petition_id`, one
    serial, also written into that petition, and the value of the `then` step; with `release`,
    this transaction's COMMIT will not wait for the disk, and its first callback will)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers must be allocated inside the registering transaction")
    prefix = settings.NUMBER_PREFIX

    def take():
        if petition_id is None:
            return _increment(prefix, year, count), None
        return _increment_into(prefix, year, petition_id, then, release)

    last, value = take()
    if last is None:
        # First number of the year: create the row without racing another process.
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year, last=0)], ignore_conflicts=True
        )
        last, value = take()
    if release:
        _durable_before_callbacks()
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
    caller then does the step itself.

    With `petition_id`, on PostgreSQL (unless XINFANG_NUMBER_RELEASE_BEFORE_FLUSH=0), the
    transaction's COMMIT releases the number without waiting for the disk and its first
    on_commit callback waits instead (`release_before_flush`, above)."""
    release = petition_id is not None and release_before_flush()
    serial, value = _take(year, 1, petition_id, then if petition_id is not None else None, release)
    return format_number(settings.NUMBER_PREFIX, year, serial), serial, value


def allocate_numbers(year: int, count: int) -> list[tuple[str, int]]:
    """`count` consecutive numbers in one statement (a ledger import): the same gapless
    sequence, the same lock until commit, as `count` calls of allocate_number."""
    if count <= 0:
        return []
    last, _value = _take(year, count)
    prefix = settings.NUMBER_PREFIX
    return [(format_number(prefix, year, s), s) for s in range(last - count + 1, last + 1)]
