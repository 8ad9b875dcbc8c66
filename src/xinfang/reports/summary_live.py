"""The live parts of a statistics answer read from the summary (summary.py): what the stored
rows cannot hold for a given reader or moment, counted over the petitions themselves. The
firewall's petitions hidden from the reader (Rule 4.3), subtracted, and the clocks that fell due
earlier today, added (the stored running clocks stop at the days before today).
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import reduce
from operator import or_

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.petitions.selectors import petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus
from xinfang.reports.summary_scope import _filters_q


def _office_day(now: datetime) -> tuple[date, datetime]:
    """Today in office time and the moment it began: the summary's running clocks are stored
    for the days before it, the clocks due since it began are counted live."""
    today = timezone.localtime(now, office_tz()).date()
    return today, datetime.combine(today, time.min, tzinfo=office_tz())


def _live(
    qs, sets: list[list[str]], flags: dict[str, Q], counts: list[tuple], periods: list | None = None
) -> list[list[dict]]:
    """`counts` of the petitions of `qs` for each grouping set of `sets` (a list of groupings;
    [] for the whole), read in one statement: a row per group, its key in "key". With
    `periods` ((received after, before) pairs that share no day, the query's own dates left
    out), also per period: each row's "k_period" is the index of the period its petitions were
    received in.

    The petitions are read once, with every set's keys (a petition sent to two units is a row
    per unit) and the per-petition `flags` (name -> condition on the petition, such as an
    EXISTS of its clocks), then joined to their clocks and counted by `GROUPING SETS`. Each
    count is (name, "petitions" or "clocks", SQL condition over the row `r` and the clock `d`,
    its parameters), counted distinct, so the keys the other sets add to a row change nothing.
    One statement instead of one per set: the ORM statement each set needed cost more to build
    and compile than to run."""
    from xinfang.reports.statistics import DIMENSIONS, _expr, with_live_assignment

    keys = list(dict.fromkeys(k for grouping_set in sets for k in grouping_set))
    names = {k: f"k_{k}" for k in keys}
    qs = with_live_assignment(qs, keys)
    columns = {"k_pk": F("pk"), **{names[k]: _expr(DIMENSIONS[k]) for k in keys}}
    if periods:
        within = [_received_q(after, before) for after, before in periods]
        qs = qs.filter(reduce(or_, within))
        columns["k_period"] = Case(
            *(When(q, then=Value(n)) for n, q in enumerate(within)), output_field=IntegerField()
        )
    columns.update(
        {f"f_{name}": ExpressionWrapper(q, output_field=BooleanField()) for name, q in flags.items()}
    )
    rows = qs.annotate(**columns).values(*columns).order_by()
    try:
        inner, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # a period that ends before it starts: no petition
        return [[] for _ in sets]
    by = ["r.k_period"] if periods else []
    key_columns = [f"r.{names[k]}" for k in keys]
    selected, counted = [], []  # the counts' parameters come before the inner statement's
    for name, of, where, values in counts:
        selected.append(
            f"COUNT(DISTINCT {'r.k_pk' if of == 'petitions' else 'd.id'}) FILTER (WHERE {where}) AS {name}"
        )
        counted.extend(values)
    grouping_sets = ", ".join(
        "(" + ", ".join(by + [f"r.{names[k]}" for k in grouping_set]) + ")" for grouping_set in sets
    )
    # Spliced in: column names made here and the SQL Django compiled (its values stay parameters).
    sql = (
        f"SELECT {'GROUPING(' + ', '.join(key_columns) + ')' if keys else '0'} AS mask, "  # noqa: S608
        f"{', '.join(by + key_columns + selected)} "
        f"FROM ({inner}) AS r LEFT JOIN {Deadline._meta.db_table} AS d ON d.petition_id = r.k_pk "
        f"GROUP BY GROUPING SETS ({grouping_sets})"
    )
    # GROUPING(k0, k1, …): bit (n-1-i) is 1 where the row is not grouped by key i.
    width = len(keys)
    mask_of = {
        sum(1 << (width - 1 - i) for i, k in enumerate(keys) if k not in grouping_set): position
        for position, grouping_set in enumerate(sets)
    }
    assert len(mask_of) == len(sets), "each grouping set once"
    out: list[list[dict]] = [[] for _ in sets]
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, [*counted, *params])
        for mask, *values in cursor.fetchall():
            position = mask_of[mask]
            row = dict(zip([name for name, *_rest in counts], values[len(by) + width :], strict=True))
            if periods:
                row["k_period"] = values[0]
            row["key"] = tuple(
                DIMENSIONS[k].to_value(values[len(by) + keys.index(k)]) for k in sets[position]
            )
            out[position].append(row)
    return out


def _received_q(after: datetime | None, before: datetime | None) -> Q:
    q = Q()
    if after:
        q &= Q(received_at__gte=after)
    if before:
        q &= Q(received_at__lte=before)
    return q


def _hidden_petitions(user, f):
    """Every petition the firewall hides from `user` (Rule 4.3), with the summary's filters."""
    if "assigned_unit" in f.extra and PetitionQuerySet.handler_unit_ids(user) is not None:
        return filtered_petitions(f).filter(_firewalled_assigned(user, f))
    return filtered_petitions(f).filter(PetitionQuerySet.firewalled(user))


def _firewalled_assigned(user, f) -> Q:
    """The petitions with a live assignment to the unit f.extra["assigned_unit"] (received in
    the period of `f`) that the firewall hides from `user` (PetitionQuerySet.firewalled,
    narrowed): a join of the unit's live assignments of the period, read by their own index
    (the assignment keeps its petition's time of receipt), and the involvements that hide a
    petition. A handling officer's unit is often the unit complained about: at 10⁶ the housing
    bureau is involved in 45,000 petitions, and as `id IN (involvements)` each of them was
    probed in the petitions for its date, 0.25 s a statement, for the few hundred the bureau
    also handles (docs/benchmarks.md, round 19). unit_list_index.py joins the same two sets."""
    db = router.db_for_read(Assignment)
    inner, params = PetitionQuerySet.firewall_ids(user).query.get_compiler(using=db).as_sql()
    table = connections[db].ops.quote_name(Assignment._meta.db_table)
    where = ["a.unit_id = %s", "a.status <> %s"]
    values = [*params, f.extra["assigned_unit"], AssignmentStatus.WITHDRAWN.value]
    for bound, operator in ((f.received_after, ">="), (f.received_before, "<=")):
        if bound is not None:
            where.append(f"a.received_at {operator} %s")
            values.append(bound)
    sql = (
        f"SELECT a.petition_id FROM {table} a JOIN ({inner}) f ON f.petition_id = a.petition_id "  # noqa: S608
        f"WHERE {' AND '.join(where)}"
    )
    return Q(pk__in=RawSQL(sql, values))  # noqa: S611 (names from _meta, values as parameters)


def filtered_petitions(f):
    """All petitions, visible or not, under the filters the summary knows (not a read: the
    caller narrows them to the firewall's, whose counts it subtracts)."""
    from xinfang.petitions import hooks

    qs = Petition.objects.filter(_filters_q(f))
    for name in ("assigned_unit", "involved_unit", "repeat"):
        if name in f.extra:
            qs = hooks.petition_list_filters.get(name).apply(qs, f.extra[name])
    if f.received_after:
        qs = qs.filter(received_at__gte=f.received_after)
    if f.received_before:
        qs = qs.filter(received_at__lte=f.received_before)
    return qs.order_by()


def _running(**due) -> Q:
    """A running clock of the petition (OuterRef), due as `due` says."""
    return Q(
        Exists(
            Deadline.objects.filter(
                petition=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True, **due
            )
        )
    )


def _settled() -> Q:
    """A petition with a met clock and none met late (StatCount.settled)."""
    met = Deadline.objects.filter(petition=OuterRef("pk"), met_at__isnull=False)
    return Q(Exists(met)) & ~Q(Exists(met.filter(met_at__gt=F("due_at"))))


def _kind(clock: str) -> tuple[str, list]:
    """The clocks of one kind, as a condition on `d` (statistics._clock_q's, in SQL), and its parameters."""
    if not clock:
        return "TRUE", []
    if clock == "assignment":
        return "d.name LIKE %s", ["assignment:%"]
    return "d.name = %s", [clock]


def _hidden(
    user,
    query,
    sets: list[list[str]],
    start: datetime,
    *,
    settled: bool = False,
    periods: list | None = None,
) -> list[list[dict]]:
    """The petitions the firewall hides from `user`, counted like the summary counts: the
    petitions, their decided clocks, and their running clocks due before `start` (today).
    Filtered to the overdue ones: those the summary files as overdue (due before today).
    For each grouping set of `sets`; `periods`: per period too (_live)."""
    qs = _hidden_petitions(user, query.filters)
    if query.filters.overdue:
        qs = qs.filter(_running(due_at__lt=start))
    kind, kinds = _kind(query.clock)
    met = f"d.met_at IS NOT NULL AND {kind}"
    # A petition is overdue when any of its clocks runs past its due time (of whatever kind).
    overdue = "d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at < %s"
    counts = [
        ("count", "petitions", "TRUE", []),
        ("on_time", "clocks", f"{met} AND d.met_at <= d.due_at", kinds),
        ("late", "clocks", f"{met} AND d.met_at > d.due_at", kinds),
        ("overdue", "petitions", overdue, [start]),
        ("running", "clocks", f"{overdue} AND {kind}", [start, *kinds]),
    ]
    flags = {}
    if settled:
        flags = {"settled": _settled(), "overdue": _running(due_at__lt=start)}
        counts += [
            ("settled", "petitions", "r.f_settled", []),
            ("settled_overdue", "petitions", "r.f_settled AND r.f_overdue", []),
        ]
    return _live(qs, sets, flags, counts, periods)


def _today(
    user,
    query,
    sets: list[list[str]],
    now: datetime,
    start: datetime,
    *,
    settled: bool = False,
    periods: list | None = None,
) -> list[list[dict]]:
    """What the summary cannot know yet: visible petitions whose earliest running clock fell
    due today before `now` (earlier ones are stored), and the running clocks due so. Filtered
    to the overdue petitions, also the met clocks of those petitions (they are stored under
    today); with `settled`, how many of them are settled. For each grouping set of `sets`;
    `periods`: per period too (_live)."""
    qs = petition_list(user, query.filters).order_by().filter(_running(due_at__gte=start, due_at__lt=now))
    kind, kinds = _kind(query.clock)
    # "first": no running clock fell due before today (then the stored rows have the petition).
    flags = {"first": ~_running(due_at__lt=start)}
    running = "d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at >= %s AND d.due_at < %s"
    counts = [
        ("count", "petitions", "r.f_first", []),
        ("running", "clocks", f"{running} AND {kind}", [start, now, *kinds]),
    ]
    if query.filters.overdue:
        met = f"r.f_first AND d.met_at IS NOT NULL AND {kind}"
        counts += [
            ("on_time", "clocks", f"{met} AND d.met_at <= d.due_at", kinds),
            ("late", "clocks", f"{met} AND d.met_at > d.due_at", kinds),
        ]
    if settled:
        flags["settled"] = _settled()
        counts.append(("settled", "petitions", "r.f_first AND r.f_settled", []))
    return _live(qs, sets, flags, counts, periods)
