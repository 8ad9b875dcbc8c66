"""Bulk fill for the benchmark: generated petitions written as `bulk_create` would (by
core.inserts: COPY on PostgreSQL), a batch at a time, so that the reads can be measured at 10⁵ petitions without half
an hour of service-layer registrations first. Runs inside Django (bench/load.py).

This is a data loader, not a measurement of the service layer: it skips the
checks, the per-petition transaction and the sequence lock. What it writes is
what `register_petition` would have written for the same input:

- the petition, numbered from the proper sequence (`NumberSequence.last` is set
  at the end, so the next service registration continues without a gap);
- petitioners with sealed personal data (the encrypted fields seal in
  `get_prep_value`, which bulk_create goes through) and their blind indexes;
- involved units and persons, the reception record of visits and calls;
- the repeat links (same ID number or phone as an earlier petition, most recent
  first, at most MAX_REPEAT_LINKS), worked out in memory;
- the registration clocks, computed as `registration_deadlines` does but against
  a calendar read once, and memoised per (clock, channel, day);
- one "petition.registered" event per petition (seq 1 after GENESIS, HMAC-chained)
  and its sealed chain head, so `manage.py verify_audit` passes.

With a `Shape` (bench/spread.py, `--realistic`), each petition is written with the status,
first responder, met clocks and derived columns of a working office, and its lead
assignment and result follow it in the same batch; its event seals it as written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xinfang.audit import state as audit_state
from xinfang.audit.chain import CURRENT_VERSION, GENESIS, compute_hash, count_mac, head_mac
from xinfang.audit.models import ChainCount, ChainHead, Event, Source
from xinfang.core.inserts import insert
from xinfang.deadlines import clocks
from xinfang.petitions import derived
from xinfang.petitions.audit_state import describe_written
from xinfang.petitions.choices import GROUP_PETITION_SIZE, Status
from xinfang.petitions.models import (
    Category,
    Deadline,
    InvolvedPerson,
    InvolvedUnit,
    NumberSequence,
    Petition,
    Petitioner,
    ReceptionRecord,
)
from xinfang.petitions.numbering import format_number
from xinfang.petitions.services.registration import MAX_REPEAT_LINKS, blind_index
from xinfang.petitions.validators import normalize_id_number, normalize_phone
from xinfang.petitions.workflow_models import Result

BATCH = 2000
# Rows go through core.inserts (_write); the tests turn it off to compare with bulk_create.
FAST = True
# What the fill writes and the statistics triggers read (analyzed as the fill grows).
ANALYZED = (
    "petitions_petition",
    "petitions_petitioner",
    "petitions_deadline",
    "petitions_assignment",
    "petitions_involvedunit",
    "reports_statcount",
    "reports_statdue",
)


def _write(model, objs: list, *, numbered_by: str = "") -> None:
    """Writes `objs` with core.inserts (COPY on PostgreSQL, multi-row INSERTs on SQLite),
    through the same field methods bulk_create uses: the SQL compiler and psycopg's dumping
    of bulk_create's arrays were most of the fill's Python time. `numbered_by`: a unique
    field; the new ids are set on the objects (matched by it), for the rows that point at them."""
    if FAST:
        insert(model, objs, returning_ids=bool(numbered_by), match_on=numbered_by)
    else:
        model.objects.bulk_create(objs)


# The tables the fill writes whose secondary indexes wait until it is done (deferred_indexes).
DEFERRED = (
    "petitions_petition",
    "petitions_petitioner",
    "petitions_deadline",
    "petitions_involvedunit",
    "petitions_involvedperson",
    "petitions_receptionrecord",
    "petitions_petition_repeat_of",
    "petitions_assignment",
    "petitions_result",
)


# Every table the fill writes, and the search index's (rebuilt after it): keys_checked_once.
WRITTEN = (
    *DEFERRED,
    "audit_event",
    "audit_chainhead",
    "audit_chaincount",
    "search_searchdocument",
    "search_matterband",
    "search_mattershingles",
)


@contextmanager
def keys_checked_once(tables: tuple[str, ...] = WRITTEN) -> Iterator[bool]:
    """On PostgreSQL, for a superuser: the foreign keys of the rows written inside are checked
    once afterwards, one anti-join per key over whole tables, instead of row by row at each
    commit (a deferred trigger event and a look-up per row and key: about ten a petition, and
    sixteen more for the similar look-up's bands). Inside, the connection runs as a replica
    (session_replication_role), which fires no trigger: besides the keys' checks, only the
    statistics' triggers (paused for the fill, bench/load.py) and the audit tables' append-only
    guards (against UPDATE and DELETE) would fire on what the fill writes. Raises if any row
    points at nothing; yields whether the checks were deferred."""
    deferred = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            deferred = bool(cursor.fetchone()[0])
            if deferred:
                cursor.execute("SET session_replication_role = replica")
    if not deferred:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
    dangling = dangling_keys(tables)
    if dangling:
        raise RuntimeError(f"rows pointing at nothing after the fill: {dangling}")


def dangling_keys(tables: tuple[str, ...]) -> dict[str, int]:
    """{constraint: rows whose key points at no row} for the foreign keys of `tables` (PostgreSQL,
    single-column keys, as Django makes them): what the keys' triggers would have refused."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
            ORDER BY 1
            """,
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND cardinality(conkey) > 1"
            " AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        if cursor.fetchone()[0]:
            raise RuntimeError("a foreign key of several columns: dangling_keys checks single columns")
        qn = connection.ops.quote_name
        cursor.execute("SET work_mem = '256MB'")  # hash anti-joins over whole tables
        for name, table, column, target, target_column in keys:
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{qn(column)} IS NOT NULL AND NOT EXISTS "  # noqa: S608 (catalog names)
                f"(SELECT 1 FROM {target} r WHERE r.{qn(target_column)} = t.{qn(column)})"
            )
            count = cursor.fetchone()[0]
            if count:
                found[name] = count
        cursor.execute("RESET work_mem")
    return found


@contextmanager
def deferred_indexes() -> Iterator[list[str]]:
    """On PostgreSQL, drops the filled tables' secondary indexes for the fill and builds
    them again afterwards (also when the fill fails), as one does for a bulk load: an
    index built once from sorted rows costs a fraction of a million random insertions,
    most of all for the blind indexes, whose keys are random. Kept: unique indexes
    (constraints) and those led by the petition, whose keys rise with the fill's ids (each
    batch adds to their right edge). Yields the names of the deferred indexes."""
    if connection.vendor != "postgresql":
        yield []
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ci.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class ci ON ci.oid = i.indexrelid
            JOIN pg_class ct ON ct.oid = i.indrelid
            WHERE ct.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
              AND pg_get_indexdef(i.indexrelid) !~ 'USING btree \\((from_)?petition_id[,)]'
            ORDER BY ct.relname, ci.relname
            """,
            [list(DEFERRED)],
        )
        deferred = cursor.fetchall()
        for name, _definition in deferred:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield [name for name, _definition in deferred]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in deferred:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


def _remember(seen: dict, key: str, entry: tuple) -> None:
    """Add (id, number, received_at) under `key`, keeping at least the MAX_REPEAT_LINKS most
    recent (by receipt, then id): the links of a petition are the most recent of the union of
    its keys' entries, which lies within the union of each key's most recent. Keeping every
    entry made a frequent petitioner's list grow with the fill, and each new petition of theirs
    sorted all of it (quadratic in the fill's size)."""
    entries = seen.setdefault(key, [])
    entries.append(entry)
    if len(entries) > 2 * MAX_REPEAT_LINKS:
        entries.sort(key=lambda e: (e[2], e[0]), reverse=True)
        del entries[MAX_REPEAT_LINKS:]


def _write_with_ids(objs: list) -> None:
    """Rows whose new ids later rows need (the lead assignments, for their results)."""
    if FAST and connection.vendor == "postgresql":
        insert(type(objs[0]), objs, returning_ids=True)
    else:
        # SQLite: bulk_create reads the ids back in the rows' order (RETURNING by position is
        # not promised by insert without a unique field to match on).
        type(objs[0]).objects.bulk_create(objs)


class _Clocks:
    """The registration clocks of `registration_deadlines`, without two calendar
    queries per clock: one calendar read for the whole span, results memoised."""

    def __init__(self, first_day: date, last_day: date):
        self.policies = clocks.Policies()
        self.calendar = clocks.load_calendar(first_day - timedelta(days=1), last_day + timedelta(days=400))
        self._memo: dict[tuple, tuple[str, clocks.Computed]] = {}

    def _computed(self, name: str, channel: str, day: date, fixed: bool) -> tuple[str, clocks.Computed]:
        key = (name, channel, day, fixed)
        found = self._memo.get(key)
        if found is None:
            rule = self.policies.rule(name, channel)
            if fixed:
                computed = clocks.fixed(day, rule, self.calendar)
            else:
                start = datetime(day.year, day.month, day.day, 12, tzinfo=clocks.office_tz())
                computed = clocks.compute(start, rule, self.calendar)
            found = self._memo[key] = (rule.rule, computed)
        return found

    def rows(self, petition: Petition) -> list[Deadline]:
        day = clocks.local_day(petition.received_at)
        out = []
        for name in ("handling", "reply"):
            rule, computed = self._computed(name, petition.channel, day, False)
            out.append(self._row(petition, name, rule, computed))
        if petition.superior_due_date:
            rule, computed = self._computed(
                "superior_report", petition.channel, petition.superior_due_date, True
            )
            out.append(self._row(petition, "superior_report", rule, computed))
        return out

    @staticmethod
    def _row(petition, name, rule, computed) -> Deadline:
        # The petition's id is set once it has one (bulk_fill). The fill sets ids, not related
        # objects: a relation's descriptor runs the router's checks on each assignment (about
        # 5 s of the 12 s of building model instances for 2·10⁴ petitions, profiled).
        return Deadline(
            name=name,
            rule=rule,
            starts_at=petition.received_at,
            due_at=computed.due_at,
            calendar_gap=computed.calendar_gap,
        )


def bulk_fill(
    count: int,
    *,
    gen,
    actor,
    batch: int = BATCH,
    progress: Callable[[int, float], None] | None = None,
    shape=None,
) -> dict:
    """Write `count` generated petitions (from `gen`, a PetitionGenerator) registered
    by `actor`; returns counts and timings. Generation is timed separately. `shape`
    (bench/spread.py's Shape): each petition is written with the status, first responder,
    met clocks, lead assignment and result it draws; without it, every petition is just
    registered."""
    categories = dict(Category.objects.values_list("code", "id"))
    prefix = settings.NUMBER_PREFIX
    year = timezone.now().astimezone(clocks.office_tz()).year
    sequence, _ = NumberSequence.objects.get_or_create(prefix=prefix, year=year, defaults={"last": 0})
    serial = sequence.last
    today = gen.now.date()
    clock_rows = _Clocks(today - timedelta(days=gen.days + 1), today)
    # Blind index -> ids, numbers and receipts of earlier petitions carrying it (repeat
    # detection); only the most recent are kept (_remember), as only those are ever linked.
    seen: dict[str, list[tuple[int, str, datetime]]] = {}

    done = 0
    next_analyze = batch
    generate_seconds = write_seconds = 0.0
    rows = {
        "petitioners": 0,
        "involved_units": 0,
        "deadlines": 0,
        "repeat_links": 0,
        "receptions": 0,
        "assignments": 0,
        "results": 0,
    }
    while done < count:
        size = min(batch, count - done)
        started = time.perf_counter()
        items = list(gen.registrations(size))
        generate_seconds += time.perf_counter() - started

        started = time.perf_counter()
        with transaction.atomic():
            petitions = []
            for data in items:
                serial += 1
                superior = data.get("superior") or {}
                due = superior.get("due_date")
                petitions.append(
                    Petition(
                        number=format_number(prefix, year, serial),
                        year=year,
                        serial=serial,
                        channel=data["channel"],
                        status=Status.REGISTERED,
                        received_at=datetime.fromisoformat(data["received_at"]),
                        anonymous=data["anonymous"],
                        title=data["title"],
                        content=data["content"],
                        requests=data["requests"],
                        category_id=categories[data["category"]],
                        important=data["important"],
                        urgent=data["urgent"],
                        is_group=len(data["petitioners"]) >= GROUP_PETITION_SIZE,
                        superior_unit_id=superior.get("unit"),
                        superior_reference=superior.get("reference", ""),
                        superior_due_date=date.fromisoformat(due) if due else None,
                        first_responder_id=actor.pk,
                    )
                )
            # The clocks first, so each petition row carries its next deadline from its INSERT
            # (petitions/derived.py, as registration does); they are written with the rest below.
            clocks_of = [clock_rows.rows(petition) for petition in petitions]
            leads = []  # (petition, its lead assignment, the result's submitter or None)
            for petition, its_clocks in zip(petitions, clocks_of, strict=True):
                if shape is not None:
                    # Before the row is written and sealed: its status, met clocks and the
                    # derived columns of its lead assignment and result.
                    drawn = shape.draw(petition, its_clocks)
                    if drawn is not None:
                        leads.append((petition, *drawn))
                petition.next_due_at = derived.running_due(its_clocks)
            _write(Petition, petitions, numbered_by="number")
            # The clocks were made before their petition had an id.
            for petition, its_clocks in zip(petitions, clocks_of, strict=True):
                for clock in its_clocks:
                    clock.petition_id = petition.pk

            petitioners, units, persons, receptions, deadlines, links = [], [], [], [], [], []
            events, heads, states = [], [], []
            link_model = Petition.repeat_of.through
            for petition, data, its_clocks in zip(petitions, items, clocks_of, strict=True):
                keys = set()
                first = (len(petitioners), len(units), len(persons))
                for i, p in enumerate(data["petitioners"]):
                    id_index = blind_index("id", normalize_id_number(p["id_number"]))
                    phone_index = blind_index("phone", normalize_phone(p["phone"]))
                    keys.update(
                        k for k in (id_index and "i" + id_index, phone_index and "p" + phone_index) if k
                    )
                    petitioners.append(
                        Petitioner(
                            petition_id=petition.pk,
                            position=i,
                            name=p["name"],
                            id_number=p["id_number"],
                            phone=p["phone"],
                            address=p["address"],
                            work_unit=p["work_unit"],
                            is_representative=p["is_representative"],
                            id_number_index=id_index,
                            phone_index=phone_index,
                        )
                    )
                involved = data.get("involved_units") or []
                units.extend(InvolvedUnit(petition_id=petition.pk, unit_id=u) for u in involved)
                persons.extend(
                    InvolvedPerson(petition_id=petition.pk, name=p["name"], unit_id=p.get("unit"))
                    for p in data.get("involved_persons") or []
                )
                if data.get("reception"):
                    r = data["reception"]
                    receptions.append(
                        ReceptionRecord(
                            petition_id=petition.pk,
                            received_by_id=actor.pk,
                            notes=r["notes"],
                            explained=r.get("explained", ""),
                            visitors=r.get("visitors"),
                        )
                    )
                deadlines.extend(its_clocks)
                # What the event seals, described from the rows in hand as registration does
                # (describe_written, held equal to the rows read back by tests/audit and by
                # verify_audit): reading each batch back cost a tenth of the fill's time.
                states.append(
                    audit_state.digest(
                        describe_written(
                            petition,
                            petitioners=petitioners[first[0] :],
                            involved_units=units[first[1] :],
                            involved_persons=persons[first[2] :],
                        )
                    )
                )
                # Earlier petitions by the same person, most recent receipt first (as _link_repeats).
                earlier = {pk: (number, at) for key in keys for pk, number, at in seen.get(key, ())}
                ordered = sorted(earlier.items(), key=lambda e: (e[1][1], e[0]), reverse=True)
                repeats = ordered[:MAX_REPEAT_LINKS]
                links.extend(link_model(from_petition_id=petition.pk, to_petition_id=pk) for pk, _ in repeats)
                for key in keys:
                    _remember(seen, key, (petition.pk, petition.number, petition.received_at))

                event = Event(
                    petition_id=petition.pk,
                    seq=1,
                    at=timezone.now(),
                    actor_id=actor.pk,
                    action="petition.registered",
                    data={
                        "number": petition.number,
                        "channel": petition.channel,
                        "category": data["category"],
                        "petitioners": len(data["petitioners"]),
                        "involved_units": list(involved),
                        "important": petition.important,
                        "urgent": petition.urgent,
                        "group": petition.is_group,
                        "repeat_of": [number for _pk, (number, _at) in repeats],
                    },
                    source=Source.COMMAND,
                    prev_hash=GENESIS,
                )
                events.append(event)
            for model, objs in (
                (Petitioner, petitioners),
                (InvolvedUnit, units),
                (InvolvedPerson, persons),
                (ReceptionRecord, receptions),
                (Deadline, deadlines),
                (link_model, links),
            ):
                _write(model, objs)
            if leads:
                assignments = []
                for petition, assignment, _submitter in leads:
                    assignment.petition_id = petition.pk
                    assignments.append(assignment)
                _write_with_ids(assignments)
                results = [
                    shape.result(petition, assignment, submitter)
                    for petition, assignment, submitter in leads
                    if submitter is not None
                ]
                if results:
                    _write(Result, results)
                rows["assignments"] += len(assignments)
                rows["results"] += len(results)
            # As append_event does: each event seals its rows (states, above), and the count of
            # chains grows by the chunk (audit/state.py, audit/chain.py).
            for event, state in zip(events, states, strict=True):
                event.version = CURRENT_VERSION
                event.state = state
                event.hash = compute_hash(GENESIS, event)
                heads.append(
                    ChainHead(
                        petition_id=event.petition_id,
                        seq=1,
                        hash=event.hash,
                        mac=head_mac(event.petition_id, 1, event.hash),
                    )
                )
            _write(Event, events)
            _write(ChainHead, heads)
            if events:
                counter, _ = ChainCount.objects.get_or_create(pk=1, defaults={"mac": count_mac(0, None)})
                counter.count += len(events)
                counter.last_petition_id = events[-1].petition_id
                counter.mac = count_mac(counter.count, counter.last_petition_id)
                counter.save()
            NumberSequence.objects.filter(pk=sequence.pk).update(last=serial)
        write_seconds += time.perf_counter() - started
        done += size
        rows["petitioners"] += len(petitioners)
        rows["involved_units"] += len(units)
        rows["deadlines"] += len(deadlines)
        rows["repeat_links"] += len(links)
        rows["receptions"] += len(receptions)
        if connection.vendor == "postgresql" and done >= next_analyze:
            # The statistics triggers are PL/pgSQL: their plans are made from the tables'
            # statistics, and a table that was never analyzed (autovacuum off, or not yet
            # run) gets a plan that walks every running clock for each new petition, so the
            # fill slows down quadratically. Analyzing as the tables double keeps the plans
            # right for a few seconds in all.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(ANALYZED))
            write_seconds += time.perf_counter() - started
            next_analyze = done * 2
        if progress:
            progress(done, generate_seconds + write_seconds)
    total = generate_seconds + write_seconds
    return {
        "petitions": done,
        "rows": rows,
        "generate_seconds": round(generate_seconds, 1),
        "write_seconds": round(write_seconds, 1),
        "seconds": round(total, 1),
        "per_second": round(done / total, 1) if total else None,
        "write_per_second": round(done / write_seconds, 1) if write_seconds else None,
    }
