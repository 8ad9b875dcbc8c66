"""Appending to the event log. Called by petition services inside their transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from django.db import connection
from django.db.models import AutoField, BigAutoField
from django.utils import timezone

from xinfang.audit import state
from xinfang.audit.chain import CURRENT_VERSION, GENESIS, compute_hash, count_mac, hash_later, head_mac
from xinfang.audit.models import ChainCount, ChainHead, Event, Source
from xinfang.core.inserts import insert_values


@dataclass(frozen=True)
class Context:
    """Who is acting and through what: passed from the edge into every service."""

    actor: object  # accounts.User
    source: str = Source.WEB
    request_id: str = ""

    @classmethod
    def from_request(cls, request, source=Source.WEB):
        return cls(actor=request.user, source=source, request_id=getattr(request, "request_id", ""))


def append_event(
    petition,
    ctx: Context,
    action: str,
    data: dict | None = None,
    *,
    first: bool = False,
    state_digest: str | None = None,
    chains: int | None = None,
    writes: list[tuple[str, list]] | None = None,
) -> Event:
    """Append one event. The caller holds the petition's row lock (or just created it),
    so the sequence and the previous hash cannot change underneath us.

    `first` is for the petition's first event (registration, in the transaction that
    inserted it): nothing to read before, and the chain head is a plain INSERT.
    `state_digest` is the digest of the rows as this event leaves them when the caller
    has them in memory (registration: it has just written every one of them), so the
    rows are not read back; `verify_audit` recomputes it from the rows themselves, so a
    digest that does not match what was stored shows at once.

    `chains`: with `first`, the sealed count of chains already counted up to this chain by the
    caller (registration takes it with the number: count_chain_step), so only its seal is left
    to write. `writes`: (sql, params) of other data-modifying statements of the caller's that
    belong with this event (registration: the search index's copy of the number). On PostgreSQL,
    with both, the event, its head, the count's seal and the writes are ONE statement (WITH
    items): registration runs this inside the numbering lock, where each round trip counts."""
    # The sealed head holds the last event's sequence and hash: one primary-key read, where
    # asking the events for their last one probes every monthly partition (docs/scaling.md),
    # and it outlives retention dropping the chain's oldest (or all) events. A forged head
    # gains nothing: the event chained from it breaks the chain, and its seal shows.
    last = None if first else ChainHead.objects.filter(petition=petition).values("seq", "hash").first()
    if last is None and not first:  # a chain from before heads existed
        last = Event.objects.filter(petition=petition).order_by("-seq").values("seq", "hash").first()
    event = Event(
        petition=petition,
        seq=(last["seq"] + 1) if last else 1,
        at=timezone.now(),
        actor=ctx.actor if getattr(ctx.actor, "pk", None) else None,
        action=action,
        data=data or {},
        source=ctx.source,
        request_id=ctx.request_id,
        prev_hash=last["hash"] if last else GENESIS,
        version=CURRENT_VERSION,
        # The rows as this event leaves them: services append after writing (audit/state.py).
        state=state_digest if state_digest is not None else state.digests([petition.pk])[petition.pk],
    )
    event.hash = compute_hash(event.prev_hash, event)
    return _write(event, petition.pk, first=first, chains=chains, writes=writes, new_chain=last is None)


def _write(
    event: Event,
    petition_id: int,
    *,
    first: bool,
    chains,
    writes,
    new_chain: bool,
    read: bool = True,
    params: list | None = None,
) -> Event:
    if first and chains is not None and connection.vendor == "postgresql":
        _start_chain_in_one(event, chains, writes or [], read=read, params=params)
        return event
    for sql, params in writes or []:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    event.save(force_insert=True)
    head = {"seq": event.seq, "hash": event.hash, "mac": head_mac(petition_id, event.seq, event.hash)}
    # One UPDATE in the usual case (update_or_create costs a SELECT … FOR UPDATE, a
    # savepoint and the write); the INSERT only for a chain that has no head yet.
    if first or not ChainHead.objects.filter(petition_id=petition_id).update(**head):
        ChainHead.objects.create(petition_id=petition_id, **head)
    if first and chains is not None:
        _seal_count(chains, petition_id)  # counted up by the caller
    elif new_chain:
        _count_new_chain(petition_id)
    return event


@dataclass
class PreparedEvent:
    """A chain's first event built and hashed before some of its values are known
    (prepare_first_event); append_prepared writes it once they are."""

    event: Event
    finish: Callable[[dict], str]
    # The event's INSERT parameters as prepared; those of the fields filled in later are replaced.
    params: list


def prepare_first_event(
    petition, ctx: Context, action: str, data: dict, *, state_digest: str, slots
) -> PreparedEvent:
    """The first event of `petition`'s chain, as append_event(first=True) would write it, but
    with `slots` (strings standing, once each, for a top-level value of `data` or for the
    state digest) filled in later by append_prepared. Registration prepares its event before
    the number is taken: the payload's JSON and most of the hash's input are then done before
    the lock, and only the substitution and the HMAC run inside it (chain.hash_later)."""
    event = Event(
        petition=petition,
        seq=1,
        at=timezone.now(),
        actor=ctx.actor if getattr(ctx.actor, "pk", None) else None,
        action=action,
        data=data,
        source=ctx.source,
        request_id=ctx.request_id,
        prev_hash=GENESIS,
        version=CURRENT_VERSION,
        state=state_digest,
    )
    return PreparedEvent(
        event=event, finish=hash_later(GENESIS, event, tuple(slots)), params=_insert_sql(event)[1]
    )


# The fields of a prepared event that change once its slots are filled.
_FILLED = ("data", "state", "hash")


def append_prepared(
    prepared: PreparedEvent,
    values: dict,
    *,
    chains: int | None = None,
    writes: list[tuple[str, list]] | None = None,
    read: bool = True,
) -> Event:
    """Write a prepared first event with its slots' `values` ({slot: value}), as append_event(
    first=True, chains=…, writes=…) writes one (one statement on PostgreSQL with `chains`).
    `read=False`: that statement reads nothing back (it is sent with the COMMIT), and the
    event's id stays unknown."""
    event = prepared.event
    event.data = {k: values[v] if isinstance(v, str) and v in values else v for k, v in event.data.items()}
    if event.state in values:
        event.state = values[event.state]
    event.hash = prepared.finish(values)
    params = list(prepared.params)
    _sql, fields = _insert_template(Event, connection.vendor, False)
    for i, field in enumerate(fields):
        if field.name in _FILLED:
            params[i] = field.get_db_prep_save(getattr(event, field.attname), connection)
    return _write(
        event,
        event.petition_id,
        first=True,
        chains=chains,
        writes=writes,
        new_chain=True,
        read=read,
        params=params,
    )


@lru_cache(maxsize=8)
def _insert_template(model, vendor: str, returning: bool) -> tuple[str, tuple]:
    """The INSERT of one `model` row (its fields but an automatic primary key) and those fields:
    the same statement for every row, built once instead of by the SQL compiler per event (which
    cost about a third of the Python run inside the number's lock at registration)."""
    qn = connection.ops.quote_name
    fields = tuple(
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoField | BigAutoField))
    )
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 (names from _meta)
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {qn(model._meta.pk.column)}"
    return sql, fields


def _insert_sql(obj, *, returning: bool = False) -> tuple[str, list]:
    """The INSERT Django would send for `obj`, to be sent inside a larger statement: each field's
    pre_save and database value, as the compiler takes them (so the JSON data is adapted and
    auto_now_add set as by save()); tests/audit compare it with the compiler's."""
    sql, fields = _insert_template(type(obj), connection.vendor, returning)
    return sql, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _start_chain_in_one(
    event: Event,
    chains: int,
    writes: list[tuple[str, list]],
    *,
    read: bool = True,
    params: list | None = None,
) -> None:
    """A new chain's first event, its sealed head, the seal of the chain count (counted up by
    the caller) and the caller's `writes`, in one statement: the data-modifying WITH items all
    run to completion whether or not the final SELECT reads them. `params`: the event's INSERT
    parameters when the caller has them (a prepared event), instead of each field's again."""
    pid = event.petition_id
    # The head's four plain values as they are (no model instance, no per-field conversion:
    # this runs while registration holds the year's number).
    head_sql, head_fields = _insert_template(ChainHead, connection.vendor, False)
    head = {
        "petition": pid,
        "seq": event.seq,
        "hash": event.hash,
        "mac": head_mac(pid, event.seq, event.hash),
    }
    items = [(f'"w{i}"', sql, params) for i, (sql, params) in enumerate(writes)]
    items.append(('"head"', head_sql, [head[f.name] for f in head_fields]))
    items.append(
        (
            '"sealed"',
            f'UPDATE "{ChainCount._meta.db_table}" SET "mac" = %s WHERE "id" = 1',  # noqa: S608
            [count_mac(chains, pid)],
        )
    )
    if not read:
        # Sent with the COMMIT (numbering.send_with_commit): nothing may be read back, so the
        # event is the statement itself and its id is not known here.
        event_sql, event_params = (
            _insert_sql(event)
            if params is None
            else (_insert_template(Event, connection.vendor, False)[0], params)
        )
        sql = "WITH " + ", ".join(f"{name} AS ({item})" for name, item, _p in items) + f" {event_sql}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [p for _n, _s, params in items for p in params] + event_params)
        event._state.adding = False
        return
    if params is None:
        items.append(('"event"', *_insert_sql(event, returning=True)))
    else:
        items.append(('"event"', _insert_template(Event, connection.vendor, True)[0], params))
    # Names and statements are this module's and its callers' own, never input.
    sql = "WITH " + ", ".join(f"{name} AS ({item})" for name, item, _p in items) + ' SELECT "id" FROM "event"'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _n, _s, params in items for p in params])
        event.pk = cursor.fetchone()[0]
    event._state.adding = False


# The table name is the model's own (a constant), never input.
_COUNT_UP = (
    f'UPDATE "{ChainCount._meta.db_table}" SET "count" = "count" + 1, "last_petition_id" = %s '  # noqa: S608
    'WHERE "id" = 1{after} RETURNING "count"'
)


def count_chain_step(petition_id: int, *, after: str) -> tuple[str, list]:
    """The sealed count of chains counted up by one for the chain of `petition_id`, as an
    `UPDATE … RETURNING "count"` a caller runs inside its own statement (registration: with
    the number, numbering.allocate_number's `then`), after its WITH item `after`, so that the
    count's row lock is always taken after the number's. Pass the count it returns to
    append_event(chains=…), which writes the seal; None (no count row yet): pass None."""
    return _COUNT_UP.format(after=f" AND EXISTS (SELECT 1 FROM {after})"), [petition_id]  # noqa: S608


def _increment_count(petition_id: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_UP.format(after=""), [petition_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _count_new_chain(petition_id: int) -> None:
    """A chain started: the sealed count of chains goes up by one (audit/models.ChainCount).

    Two statements: the UPDATE both takes the row's lock and returns the new count (as
    the petition number does), then the seal over that count is written. The row and its
    seal change in one transaction, so nobody ever sees them disagree. Registration
    calls this inside the numbering lock, so it is kept short."""
    count = _increment_count(petition_id)
    if count is None:
        # The first chain of this database: create the row without racing another process.
        ChainCount.objects.bulk_create(
            [ChainCount(pk=1, count=0, mac=count_mac(0, None))], ignore_conflicts=True
        )
        count = _increment_count(petition_id)
    _seal_count(count, petition_id)


def _seal_count(count: int, petition_id: int) -> None:
    ChainCount.objects.filter(pk=1).update(mac=count_mac(count, petition_id))


class _FirstEvent(NamedTuple):
    """A chain's first event as start_chains writes it, less its hashes: Event's fields of the
    same names, read by chain.canonical like an Event's."""

    petition_id: int
    at: datetime
    actor_id: int | None
    action: str
    data: dict
    source: str
    request_id: str
    state: str
    seq: int = 1
    version: int = CURRENT_VERSION


def start_chains(
    petitions,
    ctx: Context,
    action: str,
    data: dict[int, dict],
    *,
    batch: int = 2000,
    states: dict[int, str] | None = None,
    count: bool = True,
) -> int:
    """Start the chains of many petitions created in this transaction (a ledger import): for
    each, its first event as `append_event(..., first=True)` would write it (the same hash, the
    same sealed state, read after every row is written), its sealed head, and the sealed count
    once for all of them. A few statements per `batch` petitions. Returns the events written.
    `states`: each petition's sealed state already computed from the rows the caller has just
    written and still holds (state.digest of audit_state.describe_written, as registration
    seals its event), instead of reading them back. With `count` false the sealed count is
    left to the caller's `count_started` (a caller starting chains chunk by chunk counts them
    once, at its end: the count's statements would wait for the chunk's COPYs)."""
    petitions = list(petitions)
    if not petitions:
        return 0
    actor_id = getattr(ctx.actor, "pk", None)
    for start in range(0, len(petitions), batch):
        chunk = petitions[start : start + batch]
        digests = states if states is not None else state.digests([p.pk for p in chunk])
        events, heads = [], []
        for petition in chunk:
            # The event's hashed content (chain.canonical reads these attributes, as it reads
            # an Event's), then its row as plain values: nothing reads the events or heads back
            # here, and a model instance of each cost more than its hash.
            event = _FirstEvent(
                petition_id=petition.pk,
                at=timezone.now(),
                actor_id=actor_id,
                action=action,
                data=data.get(petition.pk, {}),
                source=ctx.source,
                request_id=ctx.request_id,
                state=digests[petition.pk],
            )
            digest = compute_hash(GENESIS, event)
            events.append((*event, GENESIS, digest))
            heads.append((petition.pk, 1, digest, head_mac(petition.pk, 1, digest)))
        insert_values(Event, _FirstEvent._fields + ("prev_hash", "hash"), events)
        insert_values(ChainHead, ("petition_id", "seq", "hash", "mac"), heads)
    if count:
        count_started(len(petitions), max(p.pk for p in petitions))
    return len(petitions)


def count_started(started: int, last_petition_id: int) -> None:
    """Add `started` chains to the sealed count; `last_petition_id` is the newest of them."""
    if not started:
        return
    ChainCount.objects.get_or_create(pk=1, defaults={"count": 0, "mac": count_mac(0, None)})
    counter = ChainCount.objects.select_for_update().get(pk=1)
    counter.count += started
    # The chain started last is the newest petition's, as when they are registered one by one.
    counter.last_petition_id = last_petition_id
    counter.mac = count_mac(counter.count, counter.last_petition_id)
    counter.save(update_fields=["count", "last_petition_id", "mac"])
