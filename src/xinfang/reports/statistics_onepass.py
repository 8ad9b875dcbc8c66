"""The live statistics: every section of a page or an API answer from one pass over the counted
petitions. It answers everything on SQLite (the embedded database has no summary) and, on
PostgreSQL, whatever the summary does not (a handling officer's sections by unit and clocks'
rates, text search, filters it does not keep: summary_scope.summary_query).

The live aggregates this replaced joined each petition to its clocks (and, for a unit, to its
assignments or involvements), then counted DISTINCT petitions and clocks per group, once per
section. SQLite ran that as a temporary B-tree per COUNT(DISTINCT …) and one for the GROUP BY
in every section, a Python function call per row for the office-time month (Django's
django_datetime_trunc), and a scan of the year's petitions and their clocks per section: 17 s
for the statistics page at 10⁵ petitions. PostgreSQL sorted the joined rows once per
COUNT(DISTINCT …) of every section: 1.9 s of the handling officer's page at 10⁶ (docs/
benchmarks.md, rounds 16 and 17).

Here the petitions the list shows (selectors.petition_list: the read policy and the filters)
are read once into `facts`, a common table expression with one row per petition: its keys, how
many of its clocks are overdue, met in time and late (its clocks joined and grouped by its id).
Both databases materialise a table expression used more than once, so every section is then a
GROUP BY over those rows with plain COUNT and SUM: a petition is one row, so nothing is counted
twice and nothing needs DISTINCT. A unit grouping joins the live assignments (or the
involvements): a petition of two units is a row of each, as before, and a unit has at most one
live assignment of a petition (unique_live_assignment) and one involvement
(unique_involved_unit). The page's repeat number and clocks' rates, and the standard report's
cells, are read from the same rows.

The office-time day of a petition: on PostgreSQL the stored moment AT TIME ZONE the office's
zone. On SQLite, date() of the stored UTC moment shifted by the zone's offset, as a CASE over
the periods between the zone's changes of offset inside the counted period (one branch for a
zone without any, such as Asia/Shanghai since 1991), so a zone with daylight saving time is
counted exactly on both. The result is the same as the aggregates it replaced, key for key
(tests/reports/test_statistics*.py hold it to a SQL oracle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router
from django.db.models import F
from django.utils import timezone

from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Deadline, InvolvedUnit, Petition
from xinfang.petitions.selectors import petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus
from xinfang.reports.filters import live_assignments_received

# The facts' columns a grouping reads directly, by grouping key.
COLUMNS = {"channel": "channel", "status": "status", "group": "is_group", "category": "category_code"}
# A period's key from the office-time date, as the list's filters take them (statistics.
# DIMENSIONS): "YYYY-MM", the Monday of the week and the day as "YYYY-MM-DD". SQLite's day is
# that text already (the week's Monday: the Monday on or after six days before); PostgreSQL's
# is a date (a timestamp without zone for date_trunc, which would otherwise take the session's).
PERIODS = {
    "sqlite": {"month": "substr({day}, 1, 7)", "week": "date({day}, '-6 days', 'weekday 1')", "day": "{day}"},
    "postgresql": {
        "month": "to_char({day}, 'YYYY-MM')",
        "week": "to_char(date_trunc('week', ({day})::timestamp), 'YYYY-MM-DD')",
        "day": "to_char({day}, 'YYYY-MM-DD')",
    },
}
SLOTS = 3  # parse_statistics_query allows at most three groupings
# An assignment that still stands (reports/filters.live_assignments), in unique_live_assignment's
# own words.
_LIVE = f"NOT (a.status = '{AssignmentStatus.WITHDRAWN.value}')"


@dataclass(frozen=True)
class Ask:
    """One part of the answer for `query`'s petitions. "counts": grouped by its group_by (none:
    the totals alone), and `totals` read too; "repeat": how many of them are repeat petitions;
    "clocks": on-time and late clocks per clock and per unit (statistics.clock_rates);
    "settled": per group, the petitions, the overdue ones and those settled in time (a decided
    clock and none late: the standard report's cells, standard._counts). Without `clocks`, a
    "counts" ask reads the petitions alone: its counts are exact, its overdue numbers 0 and its
    rates None (the statistics page shows only the counts of the period it compares with)."""

    query: object  # statistics.StatisticsQuery
    totals: bool = True
    kind: str = "counts"
    clocks: bool = True


def many(user, asks: list[Ask]) -> list:
    """The answer to each of `asks` (statistics.statistics(user, ask.query, totals=ask.totals),
    a count, or clock_rates), in one statement; and before it, on SQLite, for each period
    grouping asked over a period open at an end, one read of the first and last moment
    received, which bound the office zone's changes of offset to look for (_local_day)."""
    if not asks:
        return []
    facts: list[tuple] = []  # (filters, clock, sql, params, clocks) of each distinct set of petitions
    # The sets of petitions whose clocks are also counted per clock and unit (a "clocks" ask):
    # on PostgreSQL their clocks are read once, for both (_facts). SQLite, which joins by nested
    # loops only, took 1.5–1.9 times as long over the shared clocks (the clerk's page at 10^5,
    # 490–554 against 835–925 ms: docs/benchmarks.md, round 20), so there they are joined twice.
    shared = []
    if _reading().vendor == "postgresql":
        shared = [(ask.query.filters, ask.query.clock) for ask in asks if ask.kind == "clocks"]
    branches, params = [], []
    for number, ask in enumerate(asks):
        together = (ask.query.filters, ask.query.clock) in shared
        name = _facts_of(user, ask.query, facts, ask.clocks or ask.kind != "counts", shared=together)
        if name is None:  # a reader who may see no petition
            continue
        for sql, branch_params in _branches(2 * number, name, ask, shared=together):
            branches.append(sql)
            params += branch_params
    rows_by_tag: dict[int, list] = {}
    if branches:
        ctes = ", ".join(sql for _f, _c, sql, _p, _k in facts)
        cte_params = [p for _f, _c, _sql, fact_params, _k in facts for p in fact_params]
        slots = ", ".join(f"{n}" for n in range(2, SLOTS + 2))
        statement = f"WITH {ctes} {' UNION ALL '.join(branches)} ORDER BY 1, {slots}"  # noqa: S608
        with _reading().cursor() as cursor:
            cursor.execute(statement, cte_params + params)
            for row in cursor.fetchall():
                # PostgreSQL's SUM of bigints is a numeric (a Decimal here); the numbers are counts.
                numbers = tuple(int(v) for v in row[1 + SLOTS :])
                rows_by_tag.setdefault(row[0], []).append(row[: 1 + SLOTS] + numbers)
    answers = []
    for number, ask in enumerate(asks):
        rows, whole = rows_by_tag.get(2 * number, []), rows_by_tag.get(2 * number + 1)
        if ask.kind == "clocks":
            answers.append(_clock_rates(rows))
        elif ask.kind == "repeat":
            answers.append(whole[0][1 + SLOTS] if whole else 0)
        elif ask.kind == "settled":
            keys = ask.query.group_by
            answers.append(
                {
                    tuple(row[1 : 1 + len(keys)]): {"n": row[-4], "overdue": row[-3], "on_time": row[-2]}
                    for row in rows
                }
            )
        else:
            answers.append(_answer(ask, rows, whole))
    return answers


def _branches(tag: int, facts: str, ask: Ask, *, shared: bool = False) -> list[tuple[str, list]]:
    """The parts of the UNION ALL that answer `ask`: its rows tagged `tag`, its one-row totals
    `tag` + 1. `shared`: the facts' clocks are a table expression of their own (_facts)."""
    if ask.kind == "clocks":
        return [_clocks_branch(tag, facts, shared=shared)]
    if ask.kind == "repeat":
        return [_repeat_branch(tag + 1, facts)]
    keys = list(ask.query.group_by)
    if ask.kind == "settled":
        return [_branch(tag, facts, keys, ask.query.filters, settled=True)]
    if not keys:
        return [_branch(tag + 1, facts, [], ask.query.filters)]
    wanted = [_branch(tag, facts, keys, ask.query.filters)]
    if ask.totals:
        wanted.append(_branch(tag + 1, facts, [], ask.query.filters))
    return wanted


def _answer(ask: Ask, rows: list, whole: list | None) -> dict:
    from xinfang.reports.statistics import _rate

    keys = list(ask.query.group_by)
    out_rows = []
    for row in rows if keys else []:
        out = {key: _value(key, row[1 + i]) for i, key in enumerate(keys)}
        count, overdue, on_time, late = row[1 + SLOTS :]
        out.update(count=count, overdue=overdue, on_time_rate=_rate(on_time, late))
        out_rows.append(out)
    # In the keys' own order, no key last, on both databases: PostgreSQL's keys came back as text
    # (_slot), which would put unit 10 before unit 9, and SQLite sorts no key first.
    out_rows.sort(key=lambda r: tuple((r[k] is None, 0 if r[k] is None else r[k]) for k in keys))
    if not ask.totals:
        return {"total": None, "overdue": None, "on_time_rate": None, "rows": out_rows}
    count, overdue, on_time, late = whole[0][1 + SLOTS :] if whole else (0, 0, 0, 0)
    return {"total": count, "overdue": overdue, "on_time_rate": _rate(on_time, late), "rows": out_rows}


def _clock_rates(rows: list) -> dict:
    """statistics.clock_rates' answer from the (clock name, unit) rows: the units' assignment
    clocks are one clock kind; a unit's rate covers every clock it runs."""
    from xinfang.reports.statistics import CLOCKS, _rate

    by_clock = {clock: {"on_time": 0, "late": 0} for clock in CLOCKS}
    by_unit: dict[int, dict] = {}
    for _tag, name, unit, _k2, _count, _overdue, on_time, late in rows:
        clock = "assignment" if name.startswith("assignment:") else name
        unit = None if unit is None else int(unit)  # text on PostgreSQL (_slot)
        if clock in by_clock:
            by_clock[clock]["on_time"] += on_time
            by_clock[clock]["late"] += late
        if unit is not None:
            counts = by_unit.setdefault(unit, {"on_time": 0, "late": 0})
            counts["on_time"] += on_time
            counts["late"] += late
    return {
        "clocks": [
            {"clock": clock, **values, "rate": _rate(values["on_time"], values["late"])}
            for clock, values in by_clock.items()
        ],
        "units": [
            {"unit": unit, **values, "rate": _rate(values["on_time"], values["late"])}
            for unit, values in sorted(by_unit.items())
            if values["on_time"] or values["late"]
        ],
    }


def _value(key: str, value):
    """The JSON value of a key as statistics.DIMENSIONS[key].to_value gives it: the group flag
    comes back as 0/1 from SQLite and as text from PostgreSQL, as do the units' ids there
    (_slot); periods are already the strings the list's filters take."""
    if value is None:
        return None
    if key == "group":
        return value in (1, True, "true")
    if key in ("unit", "involved_unit"):
        return int(value)
    return value


def _slot(expr: str) -> str:
    """A grouping key in one of the UNION ALL's shared columns. SQLite: a unary plus, making it
    an expression, not a column, so the driver applies no declared type's converter (the first
    branch's `bool` would turn every key of the slot into True/False). PostgreSQL: text, as a
    column of a UNION has one type, and a slot holds a unit's id in one branch and a channel in
    another."""
    return f"+{expr}" if connection.vendor == "sqlite" else f"CAST({expr} AS text)"


# An empty slot: typed, because PostgreSQL resolves a UNION's column types pair by pair (two
# untyped NULLs would become text before a third branch's key is seen; text is what _slot gives).
NO_KEY = "CAST(NULL AS text)"


def _facts_of(user, query, facts: list[tuple], clocks: bool = True, *, shared: bool = False) -> str | None:
    """The name of the table expression of `query`'s petitions (one per distinct filters and
    clock of the statement's asks), added to `facts` when new, with their clocks counted if
    any ask of them needs them (`clocks`); None if the reader sees none. `shared`: a "clocks"
    ask reads these petitions' clocks too (_facts)."""
    for i, (filters, clock, _sql, _params, counted) in enumerate(facts):
        if filters == query.filters and clock == query.clock:
            if clocks and not counted:  # built for counts alone, first: with its clocks now
                facts[i] = (filters, clock, *_facts(user, query, i, clocks=True, shared=shared), True)
            return f"facts_{i}"
    try:
        sql, params = _facts(user, query, len(facts), clocks=clocks, shared=shared)
    except EmptyResultSet:
        return None
    facts.append((query.filters, query.clock, sql, params, clocks))
    return f"facts_{len(facts) - 1}"


# A clock `d` met by its due time; running (not paused) past it (overdue, with the moment now);
# late: met after it, or running past it.
ON_TIME = "d.met_at IS NOT NULL AND d.met_at <= d.due_at"
RUNNING_PAST = "d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at < %s"
LATE = f"d.met_at > d.due_at OR ({RUNNING_PAST})"


def _facts(user, query, number: int, *, clocks: bool = True, shared: bool = False) -> tuple[str, list]:
    """The table expression `facts_<number>` (its definition, `name AS (…)`, and parameters):
    one row per petition the list shows for `query.filters` (the read policy and the filters:
    selectors.petition_list): the columns the groupings read, how many of its clocks are overdue
    now, and how many (of `query.clock`) were met in time and how many late. Without `clocks`
    those three are 0 and the clocks are not read: about a third of a handling officer's
    comparison period at 10⁶ (docs/benchmarks.md, round 19).

    The clocks are joined and grouped by the petition's id alone. Three correlated counts per
    petition read the clocks index three times, and Django's GROUP BY of every selected column
    sorted wider keys: either cost more than twice this (docs/benchmarks.md, round 16).

    `shared` (PostgreSQL): the same petitions' clocks are also counted per clock and unit
    (_clocks_branch). Then the petitions (`visible_<number>`) and their clocks
    (`clocks_<number>`) are table expressions of their own, each read once (PostgreSQL
    materialises an expression used twice), and the facts count the clocks from there: the
    clocks were read twice, once per petition here and once per clock there (a handling
    officer's page at 10⁶: 16,000 clocks each time, docs/benchmarks.md, round 20)."""
    q = connection.ops.quote_name
    name = f"facts_{number}"
    visible = (
        _within_period(user, petition_list(user, query.filters), query.filters)
        .order_by()
        .values("id", "is_group", "received_at", "channel", "status", category_code=F("category__code"))
    )
    sql, params = visible.query.get_compiler(using=visible.db).as_sql()
    columns = "v.id, v.is_group, v.received_at, v.channel, v.status, v.category_code"
    if not clocks:
        plain = f"{name} AS (SELECT {columns}, 0 AS overdue, 0 AS on_time, 0 AS late FROM ({sql}) v)"  # noqa: S608
        return plain, list(params)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    clock, clock_params = "", []
    if query.clock == "assignment":
        clock = " AND substr(d.name, 1, 11) = 'assignment:'"
    elif query.clock:
        clock, clock_params = " AND d.name = %s", [query.clock]
    counts = (
        f"COUNT(*) FILTER (WHERE {RUNNING_PAST}) AS overdue, "
        f"COUNT(*) FILTER (WHERE ({ON_TIME}){clock}) AS on_time, "
        f"COUNT(*) FILTER (WHERE ({LATE}){clock}) AS late"
    )
    counted = [now, *clock_params, now, *clock_params]  # in the order of `counts`
    table = q(Deadline._meta.db_table)
    if shared:
        petitions, kept = f"visible_{number}", f"clocks_{number}"
        statement = (
            f"{petitions} AS ({sql}), "  # noqa: S608
            f"{kept} AS (SELECT d.petition_id, d.name, d.unit_id, d.due_at, d.met_at, d.paused_at "
            f"FROM {petitions} v JOIN {table} d ON d.petition_id = v.id), "
            f"{name} AS (SELECT {columns}, COALESCE(c.overdue, 0) AS overdue, COALESCE(c.on_time, 0) AS on_time, "
            f"COALESCE(c.late, 0) AS late FROM {petitions} v LEFT JOIN (SELECT d.petition_id, {counts} "
            f"FROM {kept} d GROUP BY d.petition_id) c ON c.petition_id = v.id)"
        )
        return statement, [*params, *counted]  # in the order of the text
    # PostgreSQL groups by a table's key alone, not a subquery's column (on SQLite the one
    # column sorts narrower keys: docs/benchmarks.md, round 16).
    group = "v.id" if connection.vendor == "sqlite" else columns
    statement = (
        f"{name} AS (SELECT {columns}, {counts} "  # noqa: S608
        f"FROM ({sql}) v LEFT JOIN {table} d ON d.petition_id = v.id GROUP BY {group})"
    )
    return statement, [*counted, *params]  # in the order of the text


def _within_period(user, visible, filters):
    """For a handling officer and a period, `visible` narrowed to the petitions with a live
    assignment to the officer's units received in the period: the same petitions (visible_to
    keeps only those with such an assignment, and an assignment carries its petition's
    received_at: workflow_models.Assignment), found from the index assignment_unit_received.
    Without it PostgreSQL read the petition of every live assignment of the unit to test its
    time: 28,000 petitions for the 8,000 of a year at 10⁶, most of the page's time."""
    units = Petition.objects.handler_unit_ids(user)
    if units is None or not (filters.received_after or filters.received_before):
        return visible
    along = live_assignments_received(units, filters.received_after, filters.received_before)
    return visible.filter(pk__in=along.values("petition_id"))


def _branch(tag: int, facts: str, keys: list[str], filters, *, settled: bool = False) -> tuple[str, list]:
    """One part of the UNION ALL: the section's rows (or, without keys, its totals as one row,
    zeros included) with its tag, its keys in the first slots and its four numbers: petitions,
    overdue ones, on-time and late clocks; `settled`: petitions, overdue ones, those with a clock
    met in time and none late (a decided clock is either), and 0."""
    q = connection.ops.quote_name
    joins, exprs, params = [], [], []
    local_day = None  # worked out once for the branch's period keys (month and day, say)
    for key in keys:
        if key in COLUMNS:
            exprs.append(f"f.{q(COLUMNS[key])}")
        elif key in PERIODS[connection.vendor]:
            local_day = local_day or _local_day("f." + q("received_at"), filters)
            day, day_params = local_day
            exprs.append(PERIODS[connection.vendor][key].format(day=day))
            params += day_params
        elif key == "unit":
            table = q(Assignment._meta.db_table)
            joins.append(f"LEFT JOIN {table} a ON a.petition_id = f.id AND {_LIVE}")
            exprs.append("a.unit_id")
        elif key == "involved_unit":
            joins.append(f"LEFT JOIN {q(InvolvedUnit._meta.db_table)} i ON i.petition_id = f.id")
            exprs.append("i.unit_id")
        else:
            raise ValueError(key)
    slots = "".join(f", {_slot(expr)} AS k{n}" for n, expr in enumerate(exprs))
    # The empty slots outside the GROUP BY (PostgreSQL would not take an ungrouped column there).
    names = ", ".join([f"k{n}" for n in range(len(exprs))] + [NO_KEY] * (SLOTS - len(exprs)))
    # A petition is one row per key: the joins add a row per live assignment (at most one per
    # unit: unique_live_assignment) or involvement (unique_involved_unit) of the petition.
    inner = f"SELECT f.id, f.overdue, f.on_time, f.late{slots} FROM {facts} f {' '.join(joins)}"  # noqa: S608
    overdue = "COUNT(*) FILTER (WHERE s.overdue > 0)"
    numbers = f"COUNT(*), {overdue}, COALESCE(SUM(s.on_time), 0), COALESCE(SUM(s.late), 0)"
    if settled:
        numbers = f"COUNT(*), {overdue}, COUNT(*) FILTER (WHERE s.on_time > 0 AND s.late = 0), 0"
    group = f" GROUP BY {', '.join(f'k{n}' for n in range(len(keys)))}" if keys else ""
    return f"SELECT {tag}, {names}, {numbers} FROM ({inner}) s{group}", params  # noqa: S608


def _clocks_branch(tag: int, facts: str, *, shared: bool = False) -> tuple[str, list]:
    """The on-time and late clocks of the petitions, per clock name and unit (statistics.
    clock_rates: every clock, whatever the query's `clock`). `shared`: read from the clocks the
    facts were counted from (_facts), not joined again."""
    q = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if shared:
        source = facts.replace("facts_", "clocks_") + " d"
    else:
        source = f"{facts} f JOIN {q(Deadline._meta.db_table)} d ON d.petition_id = f.id"
    sql = (
        f"SELECT {tag}, {_slot('d.name')}, {_slot('d.unit_id')}, {NO_KEY}, COUNT(*), 0, "  # noqa: S608
        f"COUNT(*) FILTER (WHERE {ON_TIME}), "
        f"COUNT(*) FILTER (WHERE {LATE}) FROM {source} GROUP BY d.name, d.unit_id"
    )
    return sql, [now]


def _repeat_branch(tag: int, facts: str) -> tuple[str, list]:
    """How many of the petitions are repeat petitions (reports/filters.py's `repeat`)."""
    q = connection.ops.quote_name
    links = q(Petition.repeat_of.through._meta.db_table)
    sql = (
        f"SELECT {tag}, {NO_KEY}, {NO_KEY}, {NO_KEY}, COUNT(*), 0, 0, 0 FROM {facts} f "  # noqa: S608
        f"WHERE EXISTS (SELECT 1 FROM {links} r WHERE r.from_petition_id = f.id)"
    )
    return sql, []


def _local_day(column: str, filters) -> tuple[str, list]:
    """SQL for the office-time date of the moment in `column`. PostgreSQL: the moment at the
    office's zone. SQLite ('YYYY-MM-DD'): date() with the zone's offset in seconds, one CASE
    branch per offset in force during the counted period (the stored text compares in time
    order, so `column < change` picks the earlier offset)."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE %s)::date", [office_tz().key]
    lo, hi = filters.received_after, filters.received_before
    if lo is None or hi is None:
        first, last = _received_bounds()
        lo, hi = lo or first, hi or last
    pieces = offsets(lo, hi) if lo is not None and hi is not None and lo <= hi else []
    if not pieces:  # nothing to count: any offset gives the same (empty) answer
        pieces = [(None, timezone.localtime(timezone.now(), office_tz()).utcoffset())]
    if len(pieces) == 1:
        return f"date({column}, %s)", [_seconds(pieces[0][1])]
    sql, params = ["CASE"], []
    for (_start, offset), (change, _next) in zip(pieces, pieces[1:], strict=False):
        sql.append(f"WHEN {column} < %s THEN date({column}, %s)")
        params += [_stored(change), _seconds(offset)]
    sql.append(f"ELSE date({column}, %s) END")
    params.append(_seconds(pieces[-1][1]))
    return " ".join(sql), params


def _reading():
    """The connection the petitions are read from: a replica where the router sends reads that
    may lag (core/replicas.py), as the list these numbers link to is read."""
    return connections[router.db_for_read(Petition)]


def _received_bounds() -> tuple[datetime | None, datetime | None]:
    """The first and last moment any petition was received: each end read from the index
    petition_received_order (one MIN and one MAX in a single SELECT would scan the table)."""
    q = connection.ops.quote_name
    table, column = q(Petition._meta.db_table), q("received_at")
    with _reading().cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MIN({column}) FROM {table}), (SELECT MAX({column}) FROM {table})")  # noqa: S608
        bounds = cursor.fetchone()
    # Scalar subqueries: SQLite hands back the stored text (UTC) rather than a datetime.
    return tuple(None if v is None else datetime.fromisoformat(v).replace(tzinfo=UTC) for v in bounds)


def offsets(lo: datetime, hi: datetime) -> list[tuple[datetime | None, timedelta]]:
    """[(moment from which it applies, UTC offset)] of the office zone between lo and hi: the
    first with None, then one per change of offset, found day by day and then to the second
    (zones change offset on a whole second)."""
    tz = office_tz()

    def offset_at(second: int) -> timedelta:
        return datetime.fromtimestamp(second, UTC).astimezone(tz).utcoffset()

    second, end = int(lo.timestamp()), int(hi.timestamp()) + 1
    offset = offset_at(second)
    pieces: list[tuple[datetime | None, timedelta]] = [(None, offset)]
    while second < end:
        following = min(second + 86_400, end)
        if offset_at(following) != offset:
            low, high = second, following  # the old offset at low, another one at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset_at(middle) == offset else (low, middle)
            offset = offset_at(high)
            pieces.append((datetime.fromtimestamp(high, UTC), offset))
        second = following
    return pieces


def _seconds(offset: timedelta) -> str:
    return f"{int(offset.total_seconds()):+d} seconds"


def _stored(moment: datetime) -> str:
    """A UTC moment as Django's SQLite backend stores it (text that sorts in time order)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
