"""Months of the audit tables on PostgreSQL: making them ahead, and dropping expired ones.

Both tables are partitioned by month (migration 0007); pg_partman makes the months
ahead when its maintenance runs. Retention removes a month by dropping its partition:
no row-by-row DELETE (which the append-only triggers refuse anyway), no bloat.

Dropping events cuts the oldest part off some chains. Before a month goes, its
events are verified link by link from where their chain last resumed, and the last
dropped event of each chain is sealed as that chain's checkpoint (models.ChainCheckpoint):
the events kept verify from it, and `verify_audit` still notices a removal made
around the application. Months go oldest first, so what is dropped is always the
start of each chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from xinfang.audit.chain import checkpoint_mac, verify_petition_chain
from xinfang.audit.models import ChainCheckpoint, Event

TABLES = ("audit_event", "audit_accesslog")
# Cybersecurity Law Art. 21: network logs are kept no less than six months (REFERENCES.md LG-3).
MINIMUM_DAYS = 184
BATCH = 500
PREMAKE = 4  # as migration 0007 told pg_partman
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


class RetentionRefused(Exception):
    """A month cannot be dropped as it stands; nothing was changed."""


@dataclass(frozen=True)
class Month:
    table: str
    name: str
    start: datetime
    end: datetime


def _timestamp(text: str) -> datetime:
    # PostgreSQL writes "+00"; Python wants "+00:00".
    return datetime.fromisoformat(re.sub(r"([+-]\d\d)$", r"\1:00", text))


def partitioned() -> bool:
    """Whether the audit tables are partitioned here (PostgreSQL after migration 0007)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'audit_event'::regclass")
        return cursor.fetchone()[0] == "p"


def months(table: str) -> list[Month]:
    """The table's monthly partitions, oldest first (the default partition is not a month)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table],
        )
        found = []
        for name, bound in cursor.fetchall():
            match = _BOUNDS.search(bound)
            if match:
                found.append(Month(table, name, _timestamp(match[1]), _timestamp(match[2])))
    return sorted(found, key=lambda m: m.start)


def _partman_schema(cursor) -> str:
    cursor.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_partman'"
    )
    return cursor.fetchone()[0]


def outside_months(table: str) -> int:
    """Rows in the default partition: written when no month existed for them (maintenance
    stopped for months, or a clock far off). They block dropping the months they belong to."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM ONLY "{table}_default"')  # noqa: S608  (one of TABLES)
        return cursor.fetchone()[0]


def maintain(now: datetime | None = None) -> None:
    """Make this month and the PREMAKE months after it (pg_partman; existing ones are left).

    Named months rather than pg_partman's run_maintenance, which works from the newest row:
    one row written with a clock years ahead would make it try to create a month the
    default partition already holds rows for, and fail for every month."""
    start = (now or timezone.now()).astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    wanted = [start]
    for _ in range(PREMAKE):
        wanted.append((wanted[-1] + timedelta(days=32)).replace(day=1))
    for table in TABLES:
        add_months(table, wanted)


def add_months(table: str, moments: list[datetime]) -> None:
    """Make the months holding these moments (pg_partman), e.g. before loading old rows."""
    with connection.cursor() as cursor:
        schema = _partman_schema(cursor)
        cursor.execute(
            f"SELECT {schema}.create_partition_time(%s, %s::timestamptz[])", [f"public.{table}", moments]
        )


def cutoff(days: int, now: datetime | None = None) -> datetime:
    if days < MINIMUM_DAYS:
        raise RetentionRefused(f"audit records are kept at least {MINIMUM_DAYS} days, not {days}")
    return (now or timezone.now()) - timedelta(days=days)


def expired(table: str, days: int, now: datetime | None = None) -> list[Month]:
    """The months wholly older than the retention period, oldest first."""
    limit = cutoff(days, now)
    return [month for month in months(table) if month.end <= limit]


def _refuse_rows_outside(month: Month) -> None:
    with connection.cursor() as cursor:
        default = f'"{month.table}_default"'  # one of TABLES
        cursor.execute(f"SELECT 1 FROM ONLY {default} WHERE at < %s LIMIT 1", [month.end])  # noqa: S608
        if cursor.fetchone():
            raise RetentionRefused(
                f"{month.table} has rows before {month.end:%Y-%m-%d} outside its months (default partition): "
                "move them into their months first (docs/scaling.md)"
            )


def drop_month(month: Month) -> int:
    """Drop one month; for events, seal the checkpoints first. Returns how many chains
    it cut. All or nothing: one transaction (PostgreSQL's DDL is transactional)."""
    with transaction.atomic():
        _refuse_rows_outside(month)
        if month.name != months(month.table)[0].name:
            raise RetentionRefused(f"{month.name} is not the oldest month of {month.table}")
        cut = _seal_checkpoints(month) if month.table == "audit_event" else 0
        with connection.cursor() as cursor:
            # Deferred foreign-key checks still pending on the month's rows (rows written in this
            # transaction, as in tests) would make PostgreSQL refuse the DROP: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'DROP TABLE "{month.name}"')
    return cut


def _seal_checkpoints(month: Month) -> int:
    events = (
        Event.objects.filter(at__gte=month.start, at__lt=month.end)
        .order_by("petition_id", "seq", "id")
        .iterator(chunk_size=2000)
    )
    chains = 0
    batch: list[tuple[int, list[Event]]] = []
    for petition_id, group in groupby(events, key=lambda e: e.petition_id):
        batch.append((petition_id, list(group)))
        if len(batch) >= BATCH:
            chains += _seal_batch(month, batch)
            batch = []
    if batch:
        chains += _seal_batch(month, batch)
    return chains


def _seal_batch(month: Month, batch: list[tuple[int, list[Event]]]) -> int:
    ids = [petition_id for petition_id, _events in batch]
    earlier = {c.petition_id: c for c in ChainCheckpoint.objects.filter(petition_id__in=ids)}
    # An event kept must come after every event dropped in its chain; two app servers whose
    # clocks disagree across the month's end could break that, and the chain with it.
    kept_from = dict(
        Event.objects.filter(petition_id__in=ids, at__gte=month.end)
        .values("petition_id")
        .annotate(first=Min("seq"))
        .values_list("petition_id", "first")
    )
    checkpoints = []
    for petition_id, events in batch:
        last = events[-1]
        if kept_from.get(petition_id, last.seq + 1) <= last.seq:
            raise RetentionRefused(
                f"petition {petition_id}: event {kept_from[petition_id]} is kept but is older in the chain "
                f"than event {last.seq}, which would be dropped"
            )
        problems = verify_petition_chain(events, earlier.get(petition_id))
        if problems:
            raise RetentionRefused(
                f"petition {petition_id}: the events to drop do not verify ({problems[0]}); run verify_audit"
            )
        checkpoint = ChainCheckpoint(
            petition_id=petition_id,
            seq=last.seq,
            hash=last.hash,
            state=last.state if (last.version or 1) >= 2 else "",
            cut=month.end,
        )
        checkpoint.mac = checkpoint_mac(checkpoint)
        checkpoints.append(checkpoint)
    ChainCheckpoint.objects.bulk_create(
        checkpoints,
        update_conflicts=True,
        unique_fields=["petition"],
        update_fields=["seq", "hash", "state", "cut", "mac"],
    )
    return len(checkpoints)


def retention_days() -> dict[str, int]:
    """The configured periods; 0 means the table is kept for ever."""
    return {
        "audit_accesslog": settings.ACCESS_LOG_RETENTION_DAYS,
        "audit_event": settings.EVENT_RETENTION_DAYS,
    }
