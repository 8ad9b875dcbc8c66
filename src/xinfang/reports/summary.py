"""Statistics read from the summary table (reports_statcount) instead of the petitions, on
PostgreSQL, for the questions it can answer exactly. statistics.py asks `applies()` first and falls
back to live aggregates over the petitions for everything else.

How the answer stays equal to a COUNT over what the reader may see (Rule 4.3):

    visible = every petition − the petitions hidden from this reader (the firewall)

The summary holds the first term for every filter and grouping it knows (office-time day or
month, channel, category, status, group flag, repeat flag). The second term is counted live over the few
petitions that involve the reader's unit, a unit above it, or the reader (the firewall's own
indexed EXISTS), with the same filters and groupings, and subtracted. So the path applies to
readers whose visible set is "everything but the firewall": the office's roles. Handlers see
only their unit's assignments, a small set, and are counted live.

What depends on the clock on the wall, "overdue" (a petition whose earliest running clock is
past its due time) and the running late clocks of the on-time rates, is stored by the day it
falls due (reports_statdue, summary_due_sql.py): the days before today are read from there,
and only the clocks due earlier today are counted live, through the running clocks' due-time
index. The firewall's hidden petitions are subtracted for these counts too. Filtered to the
petitions overdue now (`overdue=true`), only reports_statdue is read: its petitions due before
today, with their met clocks filed under the same day for the on-time rate.

Questions with no filter on channel, category, status, group or repeat flag, grouped by a
period or a unit or not at all, read the roll-up rows instead (scope_to_read(); the same sums
without those keys, kept by summary_rollup_sql.py). The statistics page reads all its sections
at once (summary_many, with summary_grouped.py's one statement for their stored rows).

The standard report's "on time" (a decided clock and none late) is, for a petition with no clock
overdue, "a met clock and none met late": both tables count those petitions (`settled`), so on
time = settled − settled and overdue now (summary_statistics(settled=True)).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Category, Deadline, Petition
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.petitions.selectors import overdue_deadlines, petition_list
from xinfang.reports.summary_rollup_sql import ROLLUP

# Groupings the summary answers, and the summary column each reads.
COLUMN = {
    "month": "day",
    "week": "day",
    "day": "day",
    "channel": "channel",
    "category": "category_id",
    "status": "status",
    "group": "is_group",
}
# The unit groupings and filters, and the summary's scope that counts petitions per such unit.
UNIT_SCOPES = {"unit": "unit", "assigned_unit": "unit", "involved_unit": "involved"}
# The groupings the roll-up rows keep (the day and the unit).
ROLLED_UP_GROUPINGS = frozenset({"month", "week", "day", "unit", "involved_unit"})
EXTRA_FILTERS = frozenset({"group", "repeat", "assigned_unit", "involved_unit"})  # list filters it knows


def scope_of(query) -> str | None:
    """The summary rows a query reads ("" the petitions, "unit"/"involved" the petitions per
    unit), or None when no scope answers it: both kinds of unit at once, or a filter on a unit
    with a grouping by the same kind (the other units of those petitions are not in the rows)."""
    wanted = {UNIT_SCOPES[k] for k in (*query.group_by, *query.filters.extra) if k in UNIT_SCOPES}
    if len(wanted) > 1:
        return None
    grouped = {UNIT_SCOPES[k] for k in query.group_by if k in UNIT_SCOPES}
    filtered = {UNIT_SCOPES[k] for k in query.filters.extra if k in UNIT_SCOPES}
    if grouped & filtered:
        return None
    return wanted.pop() if wanted else ""


def keyless(f) -> bool:
    """No filter on the keys the roll-up rows leave out (channel, category, status, group and
    repeat flag): the roll-up's rows answer (summary_rollup_sql.py)."""
    return not (f.status or f.channel or f.category or {"group", "repeat"} & set(f.extra))


def scope_to_read(query) -> str:
    """The scope whose rows a query reads: its roll-up when neither its filters nor its
    groupings need the keys the roll-up leaves out (the same sums from 20–50 times fewer rows),
    else scope_of(query)."""
    scope = scope_of(query)
    if keyless(query.filters) and set(query.group_by) <= ROLLED_UP_GROUPINGS:
        return ROLLUP[scope]
    return scope


def applies(user, query, *, units: bool = True) -> bool:
    """True when the summary answers `query` for `user` exactly (see the module's docstring).
    `units=False`: only the petitions' own rows will do (no unit grouping or filter)."""
    from xinfang.accounts.models import OFFICE_ROLES, Role

    if connection.vendor != "postgresql":
        return False
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_role(Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN) or not user.has_role(*OFFICE_ROLES):
        return False
    f = query.filters
    if f.q or f.mine or set(f.extra) - EXTRA_FILTERS:
        return False
    if not set(query.group_by) <= set(COLUMN) | {"unit", "involved_unit"}:
        return False
    scope = scope_of(query)
    if scope is None or (scope and not units):
        return False
    return _whole_days(f) is not None


def _whole_days(f) -> tuple[date | None, date | None] | None:
    """The period as office-time days, or None when a bound falls inside a day (then only the
    petitions themselves can say which side of it each one is)."""
    tz = office_tz()
    lo = hi = None
    if f.received_after is not None:
        local = timezone.localtime(f.received_after, tz)
        if local.time() != time.min:
            return None
        lo = local.date()
    if f.received_before is not None:
        local = timezone.localtime(f.received_before, tz)
        if local.time() != time.max:
            return None
        hi = local.date()
    return lo, hi


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _period_q(lo: date | None, hi: date | None, finest: str) -> Q:
    """Whole years from the yearly rows, whole months around them from the monthly rows, the
    days at either end from the daily rows (None: no bound on that side). `finest`: the
    grain the grouping needs ("d" by day or week, "m" by month, "y" otherwise)."""
    if lo and hi and lo > hi:
        # A period that ends before it starts holds no day. Without this the month and year
        # arithmetic below still read the days up to `hi` (the oracle test found it).
        return Q(pk__in=[])
    if finest != "y":
        return _months_q(lo, hi, finest == "d")
    first = None if lo is None else (lo if (lo.month, lo.day) == (1, 1) else date(lo.year + 1, 1, 1))
    last = (
        None
        if hi is None
        else (hi if (hi.month, hi.day) == (12, 31) else date(hi.year, 1, 1) - timedelta(days=1))
    )
    if first and last and first > last:  # no whole year inside
        return _months_q(lo, hi, False)
    q = Q(grain="y")
    if first:
        q &= Q(day__gte=first)
    if last:
        q &= Q(day__lte=last.replace(month=1, day=1))
    if lo and first and lo < first:
        q |= _months_q(lo, first - timedelta(days=1), False)
    if hi and last and hi > last:
        q |= _months_q(last + timedelta(days=1), hi, False)
    return q


def _months_q(lo: date | None, hi: date | None, by_day: bool) -> Q:
    """Whole months from the monthly rows, the days at either end from the daily rows."""
    if by_day or (lo and hi and (lo.year, lo.month) == (hi.year, hi.month)):
        q = Q(grain="d")
        if lo:
            q &= Q(day__gte=lo)
        if hi:
            q &= Q(day__lte=hi)
        return q
    first = None if lo is None else (lo if lo.day == 1 else _month_end(lo) + timedelta(days=1))
    last = None if hi is None else (hi if hi == _month_end(hi) else hi.replace(day=1) - timedelta(days=1))
    months = Q(grain="m")
    if first:
        months &= Q(day__gte=first)
    if last:
        months &= Q(day__lte=last.replace(day=1))
    q = months
    if lo and first and lo < first:
        q |= Q(grain="d", day__gte=lo, day__lt=first)
    if hi and last and hi > last:
        q |= Q(grain="d", day__gt=last, day__lte=hi)
    return q


def _flags_q(f) -> Q:
    """The filters only the summary rows have as columns (the petitions have the repeat links)."""
    return Q(is_repeat=f.extra["repeat"]) if "repeat" in f.extra else Q()


def _filters_q(f) -> Q:
    """The filters both the summary rows and the petitions have as columns."""
    q = Q()
    if f.status == "open":
        q &= Q(status__in=OPEN_STATUSES)
    elif f.status:
        q &= Q(status=f.status)
    if f.channel:
        q &= Q(channel=f.channel)
    if f.category:
        q &= Q(category_id__in=Category.objects.filter(code=f.category).values("id"))
    if "group" in f.extra:
        q &= Q(is_group=f.extra["group"])
    return q


def _key_of_day(key: str, day: date):
    if key == "month":
        return day.strftime("%Y-%m")
    if key == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


def _clock_filter(clock: str) -> Q:
    return ~Q(clock="") if not clock else Q(clock=clock)


class _Sums:
    # settled: petitions with a met clock and none met late; settled_overdue: those of them
    # overdue now (the standard report's "on time" is the difference).
    __slots__ = ("count", "overdue", "on_time", "late", "settled", "settled_overdue")

    def __init__(self):
        self.count = self.overdue = self.on_time = self.late = 0
        self.settled = self.settled_overdue = 0


def _office_day(now: datetime) -> tuple[date, datetime]:
    """Today in office time and the moment it began: the summary's running clocks are stored
    for the days before it, the clocks due since it began are counted live."""
    today = timezone.localtime(now, office_tz()).date()
    return today, datetime.combine(today, time.min, tzinfo=office_tz())


def finest_grain(groups: list[str]) -> str:
    """The summary grain a grouping needs ("d" by day or week, "m" by month, "y" otherwise)."""
    return "d" if {"day", "week"} & set(groups) else ("m" if "month" in groups else "y")


def unit_filter(query) -> Q:
    """A filter on one unit reads that unit's rows of the scope."""
    q = Q()
    for name in ("assigned_unit", "involved_unit"):
        if name in query.filters.extra:
            q = Q(unit_id=query.filters.extra[name])
    return q


def period_of(query, groups: list[str]) -> Q:
    """The summary rows of the query's period at the grain its groupings need."""
    lo, hi = _whole_days(query.filters)
    return _period_q(lo, hi, finest_grain(groups))


def rows_of(model, query, groups: list[str], extra: Q | None = None):
    """The rows of `model` (StatCount or StatDue) a question reads, before any sum (also the
    grouped read of summary_grouped.py: both sum exactly these rows)."""
    return (
        model.objects.filter(scope=scope_to_read(query))
        .filter(period_of(query, groups), _filters_q(query.filters), _flags_q(query.filters))
        .filter(unit_filter(query), extra or Q())
        # Without a clock every row counts ("" or any clock: no condition to check per row).
        .filter(Q(clock="") | _clock_filter(query.clock) if query.clock else Q())
    )


def _summary_rows(model, query, groups: list[str], sums: dict, extra: Q | None = None, codes=None):
    """(group key, row) for the rows of `model` (StatCount or StatDue) the query selects,
    summed per clock and per the asked groupings. `codes`: category id -> code."""
    columns = list(dict.fromkeys(COLUMN.get(k, "unit_id") for k in groups))
    rows = rows_of(model, query, groups, extra).values("clock", *columns).annotate(**sums).order_by()
    for row in rows:
        key = []
        for k in groups:
            value = row[COLUMN.get(k, "unit_id")]
            if COLUMN.get(k) == "day":
                value = _key_of_day(k, value)
            elif k == "category":
                value = codes.get(value, value)
            key.append(value)
        yield tuple(key), row


def _stored(query, groups: list[str], today: date) -> dict[tuple, _Sums]:
    """Everything the summary holds for the filters, folded into the asked groupings: the
    petitions and decided clocks, and the running clocks due before today. Filtered to the
    petitions overdue now, only the second table answers: the petitions under their first
    running due day before today, with their met clocks filed there too."""
    from xinfang.reports.models import StatCount, StatDue

    codes = dict(Category.objects.values_list("id", "code")) if "category" in groups else {}
    out: dict[tuple, _Sums] = defaultdict(_Sums)
    overdue_only = query.filters.overdue
    if not overdue_only:
        counted = {
            "n": Sum("petitions"),
            "settled": Sum("settled"),
            "on_time": Sum("on_time"),
            "late": Sum("late"),
        }
        for key, row in _summary_rows(StatCount, query, groups, counted, codes=codes):
            sums = out[key]
            if row["clock"] == "":
                sums.count += row["n"]
                sums.settled += row["settled"]
            else:
                sums.on_time += row["on_time"]
                sums.late += row["late"]
    running = {
        "n": Sum("petitions"),
        "settled": Sum("settled"),
        "clocks": Sum("clocks"),
        "on_time": Sum("on_time"),
        "late": Sum("late"),
    }
    for key, row in _summary_rows(StatDue, query, groups, running, Q(due__lt=today), codes=codes):
        sums = out[key]
        if row["clock"] == "":
            # Petitions whose earliest running clock fell due before today.
            sums.overdue += row["n"]
            sums.settled_overdue += row["settled"]
            if overdue_only:
                sums.count += row["n"]
                sums.settled += row["settled"]
        else:
            sums.late += row["clocks"]  # running clocks past their due day
            if overdue_only:  # the met clocks of those petitions
                sums.on_time += row["on_time"]
                sums.late += row["late"]
    return out


def _live(qs, groups: list[str], aggregates: dict, periods: list | None = None) -> list[dict]:
    """`aggregates` of `qs` per group. With `periods` ((received after, before) pairs that share
    no day, the query's own dates left out), also per period: each row's "k_period" is the
    index of the period its petitions were received in."""
    from xinfang.reports.statistics import DIMENSIONS, _expr, with_live_assignment

    if not groups:
        return [qs.aggregate(**aggregates)]
    qs = with_live_assignment(qs, groups)
    names = {k: f"k_{k}" for k in groups}
    keys = {names[k]: _expr(DIMENSIONS[k]) for k in groups}
    if periods:
        within = [_received_q(after, before) for after, before in periods]
        qs = qs.filter(reduce(or_, within))
        keys["k_period"] = Case(
            *(When(q, then=Value(n)) for n, q in enumerate(within)), output_field=IntegerField()
        )
    rows = qs.annotate(**keys).values(*keys).annotate(**aggregates).order_by()
    out = []
    for row in rows:
        row["key"] = tuple(DIMENSIONS[k].to_value(row[names[k]]) for k in groups)
        out.append(row)
    return out


def _received_q(after: datetime | None, before: datetime | None) -> Q:
    q = Q()
    if after:
        q &= Q(received_at__gte=after)
    if before:
        q &= Q(received_at__lte=before)
    return q


def _clock_q(clock: str, prefix: str = "deadlines__") -> Q:
    if not clock:
        return Q()
    if clock == "assignment":
        return Q(**{f"{prefix}name__startswith": "assignment:"})
    return Q(**{f"{prefix}name": clock})


def _hidden_petitions(user, f):
    """Every petition the firewall hides from `user` (Rule 4.3), with the summary's filters."""
    return filtered_petitions(f).filter(PetitionQuerySet.firewalled(user))


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


def _hidden(
    user, query, groups: list[str], start: datetime, *, settled: bool = False, periods: list | None = None
) -> list[dict]:
    """The petitions the firewall hides from `user`, counted like the summary counts: the
    petitions, their decided clocks, and their running clocks due before `start` (today).
    Filtered to the overdue ones: those the summary files as overdue (due before today).
    `periods`: per period too (_live)."""
    qs = _hidden_petitions(user, query.filters)
    if query.filters.overdue:
        qs = qs.filter(_running(due_at__lt=start))
    kind = _clock_q(query.clock)
    more = {}
    if settled:
        more = {
            "settled": Count("pk", distinct=True, filter=_settled()),
            "settled_overdue": Count("pk", distinct=True, filter=_settled() & _running(due_at__lt=start)),
        }
    met = Q(deadlines__met_at__isnull=False) & kind
    running = Q(
        deadlines__met_at__isnull=True, deadlines__paused_at__isnull=True, deadlines__due_at__lt=start
    )
    return _live(
        qs,
        groups,
        {
            "count": Count("pk", distinct=True),
            "on_time": Count(
                "deadlines", distinct=True, filter=met & Q(deadlines__met_at__lte=F("deadlines__due_at"))
            ),
            "late": Count(
                "deadlines", distinct=True, filter=met & Q(deadlines__met_at__gt=F("deadlines__due_at"))
            ),
            "overdue": Count("pk", distinct=True, filter=_running(due_at__lt=start)),
            "running": Count("deadlines", distinct=True, filter=running & kind),
            **more,
        },
        periods,
    )


def _today(
    user,
    query,
    groups: list[str],
    now: datetime,
    start: datetime,
    *,
    settled: bool = False,
    periods: list | None = None,
) -> list[dict]:
    """What the summary cannot know yet: visible petitions whose earliest running clock fell
    due today before `now` (earlier ones are stored), and the running clocks due so. Filtered
    to the overdue petitions, also the met clocks of those petitions (they are stored under
    today); with `settled`, how many of them are settled. `periods`: per period too (_live)."""
    qs = petition_list(user, query.filters).order_by().filter(_running(due_at__gte=start, due_at__lt=now))
    today = Q(
        deadlines__met_at__isnull=True,
        deadlines__paused_at__isnull=True,
        deadlines__due_at__gte=start,
        deadlines__due_at__lt=now,
    )
    first_today = ~_running(due_at__lt=start)
    kind = _clock_q(query.clock)
    more = {}
    if query.filters.overdue:
        met = Q(deadlines__met_at__isnull=False) & kind & first_today
        more["on_time"] = Count(
            "deadlines", distinct=True, filter=met & Q(deadlines__met_at__lte=F("deadlines__due_at"))
        )
        more["late"] = Count(
            "deadlines", distinct=True, filter=met & Q(deadlines__met_at__gt=F("deadlines__due_at"))
        )
    if settled:
        more["settled"] = Count("pk", distinct=True, filter=first_today & _settled())
    return _live(
        qs,
        groups,
        {
            "count": Count("pk", distinct=True, filter=first_today),
            "running": Count("deadlines", distinct=True, filter=today & kind),
            **more,
        },
        periods,
    )


def summary_statistics(
    user,
    query,
    hidden=None,
    today=None,
    *,
    totals: bool = True,
    now=None,
    settled: bool = False,
    stored: dict | None = None,
) -> dict:
    """The same answer as statistics.statistics() (totals and rows), from the summary.
    `hidden`/`today`/`stored`: the live rows and the stored sums already read at `now`
    (summary_many). Without `totals`
    (a page section whose totals another query gives) the totals of a unit grouping are
    left out. With `settled`, each row also has "on_time_petitions": the petitions with a met
    clock, none met late and none overdue now (the standard report's "on time")."""
    from xinfang.reports.statistics import _rate

    now = now or timezone.now()
    if totals and any(k in UNIT_SCOPES for k in query.group_by):
        # A petition sent to two units is a row in each unit's group but one petition in the
        # totals, so the totals are the ungrouped question's, not the sum of the rows.
        whole = summary_statistics(user, replace(query, group_by=[]), now=now)
        return {**whole, "rows": summary_statistics(user, query, totals=False, now=now)["rows"]}

    groups = list(query.group_by)
    day, start = _office_day(now)
    sums = _stored(query, groups, day) if stored is None else stored
    if hidden is None:
        hidden = _hidden(user, query, groups, start, settled=settled)
    today = _today(user, query, groups, now, start, settled=settled) if today is None else today
    overdue_only = query.filters.overdue
    for row in hidden:
        target = sums[row.get("key", ())]
        target.count -= row["count"]
        target.on_time -= row["on_time"]
        target.late -= row["late"] + row["running"]
        target.overdue -= row["overdue"]
        target.settled -= row.get("settled", 0)
        target.settled_overdue -= row.get("settled_overdue", 0)
    for row in today:
        target = sums[row.get("key", ())]
        target.overdue += row["count"]
        target.late += row["running"]
        target.settled_overdue += row.get("settled", 0)
        if overdue_only:  # today's overdue petitions are in the count too, with their met clocks
            target.count += row["count"]
            target.settled += row.get("settled", 0)
            target.on_time += row["on_time"]
            target.late += row["late"]
    total = _Sums()
    rows = []
    for key in sorted(sums, key=_sort_key):
        s = sums[key]
        total.count += s.count
        total.overdue += s.overdue
        total.on_time += s.on_time
        total.late += s.late
        if groups and s.count:
            out = dict(zip(groups, key, strict=True))
            out.update(count=s.count, overdue=s.overdue, on_time_rate=_rate(s.on_time, s.late))
            if settled:
                out["on_time_petitions"] = s.settled - s.settled_overdue
            rows.append(out)
    if any(k in UNIT_SCOPES for k in groups):  # the sums of the rows are not the totals
        return {"total": None, "overdue": None, "on_time_rate": None, "rows": rows}
    return {
        "total": total.count,
        "overdue": total.overdue,
        "on_time_rate": _rate(total.on_time, total.late),
        "rows": rows,
    }


def summary_count(user, query) -> int:
    """How many petitions the query counts (its groupings ignored): the stored petitions less
    the firewall's, two statements (the totals of summary_statistics when filtered to the
    overdue ones)."""
    from xinfang.reports.models import StatCount

    query = replace(query, group_by=[])
    if query.filters.overdue:
        return summary_statistics(user, query)["total"]
    rows = _summary_rows(StatCount, query, [], {"n": Sum("petitions")}, Q(clock=""))
    return sum(row["n"] for _key, row in rows) - _hidden_petitions(user, query.filters).count()


def _fold(rows: list[dict], index: int) -> list[dict]:
    """Rows keyed by several groupings summed down to the one at `index`. Exact for the
    groupings that put each petition in one group (all but the units)."""
    out: dict[tuple, dict] = {}
    for row in rows:
        key = (row["key"][index],)
        target = out.setdefault(key, {"key": key})
        for name, value in row.items():
            if name != "key" and not name.startswith("k_"):
                target[name] = target.get(name, 0) + value
    return list(out.values())


def summary_many(user, asks: list[tuple]) -> list[dict[str, dict]]:
    """statistics() for each single grouping of each (query, groupings) in `asks` (the page's
    sections, for its period and the comparison period). The stored rows of every section of
    every period are read in one statement (summary_grouped.py). The live parts (the
    firewall's petitions and today's clocks: aggregates over EXISTS subqueries, costly to build
    and to run) are read once for all the groupings that partition the petitions and once per
    unit grouping, each for every period at once where the questions differ only in periods
    that share no day (_families)."""
    from xinfang.reports.summary_grouped import stored_grouped

    now = timezone.now()
    day, start = _office_day(now)
    singles = [
        (replace(query, group_by=[g]), i, g) for i, (query, groupings) in enumerate(asks) for g in groupings
    ]
    # A unit grouping asked first needs its totals: summary_statistics reads those on its own.
    grouped = [(single, i, g) for single, i, g in singles if not (g in UNIT_SCOPES and g == asks[i][1][0])]
    stored = stored_grouped([single for single, _i, _g in grouped], day)
    stored_of = {(i, g): sums for (_single, i, g), sums in zip(grouped, stored, strict=True)}
    # (ask, "" for the plain groupings or the unit grouping) -> (groupings, hidden rows, today's)
    live: dict[tuple[int, str], tuple[list, list, list]] = {}
    for family in _families(asks):
        query = asks[family[0]][0]
        periods = None
        if len(family) > 1:
            periods = [
                (asks[i][0].filters.received_after, asks[i][0].filters.received_before) for i in family
            ]
            query = replace(query, filters=replace(query.filters, received_after=None, received_before=None))
        plain = list(dict.fromkeys(g for i in family for g in asks[i][1] if g in COLUMN))
        units = list(dict.fromkeys(g for i in family for g in asks[i][1][1:] if g in UNIT_SCOPES))
        for name, groups in ([("", plain)] if plain else []) + [(g, [g]) for g in units]:
            hidden = _hidden(user, query, groups, start, periods=periods)
            today = _today(user, query, groups, now, start, periods=periods)
            for position, i in enumerate(family):
                live[(i, name)] = (
                    groups,
                    [row for row in hidden if row.get("k_period", 0) == position],
                    [row for row in today if row.get("k_period", 0) == position],
                )
    results: list[dict[str, dict]] = []
    for i, (query, groupings) in enumerate(asks):
        plain = [g for g in groupings if g in COLUMN]
        out = {}
        for g in groupings:
            single = replace(query, group_by=[g])
            if g in plain:
                keys, hidden, today = live[(i, "")]
                k = keys.index(g)
                out[g] = summary_statistics(
                    user, single, _fold(hidden, k), _fold(today, k), now=now, stored=stored_of[(i, g)]
                )
            elif g == groupings[0]:
                out[g] = summary_statistics(user, single, now=now, stored=stored_of.get((i, g)))
            else:
                _keys, hidden, today = live[(i, g)]
                out[g] = summary_statistics(
                    user, single, hidden, today, totals=False, now=now, stored=stored_of[(i, g)]
                )
        results.append(out)
    return results


def _families(asks: list[tuple]) -> list[list[int]]:
    """The asks (by index) whose live parts one statement per grouping reads: the same filters
    and clock but for their periods, which share no day (so each petition is in the counts of
    one period at most, the one its row is labelled with). Any other ask is read on its own."""
    families: list[list[int]] = []
    for i, (query, _groupings) in enumerate(asks):
        for family in families:
            if all(_same_but_period(asks[j][0], query) for j in family):
                family.append(i)
                break
        else:
            families.append([i])
    return families


def _same_but_period(a, b) -> bool:
    fa, fb = a.filters, b.filters
    bounds = (fa.received_after, fa.received_before, fb.received_after, fb.received_before)
    if a.clock != b.clock or any(bound is None for bound in bounds):
        return False
    undated = {"received_after": None, "received_before": None}
    return replace(fa, **undated) == replace(fb, **undated) and (
        fa.received_before < fb.received_after or fb.received_before < fa.received_after
    )


def _sort_key(key: tuple):
    return tuple((v is None, v) for v in key)


def summary_clock_rates(user, query) -> dict:
    """statistics.clock_rates() from the summary: per clock and per unit. Filtered to the
    petitions overdue now, their met clocks are read where StatDue files them (under the
    petition's first running due day) instead of StatCount."""
    from xinfang.reports.models import StatCount, StatDue
    from xinfang.reports.statistics import CLOCKS, _rate

    now = timezone.now()
    day, start = _office_day(now)
    f = query.filters
    lo, hi = _whole_days(f)
    pairs: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    if f.overdue:
        sources = [
            (StatDue, {"on_time": Sum("on_time"), "late": Sum("late") + Sum("clocks")}, Q(due__lt=day))
        ]
    else:
        sources = [
            (StatCount, {"on_time": Sum("on_time"), "late": Sum("late")}, Q()),
            (StatDue, {"late": Sum("clocks")}, Q(due__lt=day)),  # running, due before today
        ]
    for model, sums, extra in sources:
        stored = (
            model.objects.filter(scope=ROLLUP[""] if keyless(f) else "")
            .filter(_period_q(lo, hi, "y"), _filters_q(f), _flags_q(f), extra)
            .exclude(clock="")
            .values("clock", "unit_id")
            .annotate(**sums)
            .order_by()
        )
        for row in stored:
            pair = pairs[(row["clock"], row["unit_id"])]
            pair[0] += row.get("on_time", 0)
            pair[1] += row["late"]

    hidden = _hidden_petitions(user, f)
    if f.overdue:
        hidden = hidden.filter(_running(due_at__lt=start))
    visible = petition_list(user, f).order_by()
    running_before = Q(met_at__isnull=True, paused_at__isnull=True, due_at__lt=start)
    today = []
    if f.overdue:  # the met clocks of the petitions whose first running clock fell due today
        first_today = visible.filter(_running(due_at__gte=start, due_at__lt=now)).exclude(
            _running(due_at__lt=start)
        )
        today.append(
            (1, Deadline.objects.filter(met_at__isnull=False, petition__in=first_today.values("pk")))
        )
    for sign, deadlines in (
        # The firewall's petitions: their decided clocks and those running since before today.
        (
            -1,
            Deadline.objects.filter(
                Q(met_at__isnull=False) | running_before, petition__in=hidden.values("pk")
            ),
        ),
        # Today's: running clocks that fell due since the day began.
        (
            1,
            overdue_deadlines().filter(due_at__gte=start, due_at__lt=now, petition__in=visible.values("pk")),
        ),
        *today,
    ):
        for row in deadlines.values("name", "unit_id").annotate(
            on_time=Count("pk", filter=Q(met_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True)),
        ):
            clock = "assignment" if row["name"].startswith("assignment:") else row["name"]
            pair = pairs[(clock, row["unit_id"])]
            pair[0] += sign * row["on_time"]
            pair[1] += sign * row["late"]
    by_clock = {clock: [0, 0] for clock in CLOCKS}
    by_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (clock, unit), (on_time, late) in pairs.items():
        if clock in by_clock:
            by_clock[clock][0] += on_time
            by_clock[clock][1] += late
        if unit is not None and (on_time or late):
            by_unit[unit][0] += on_time
            by_unit[unit][1] += late
    return {
        "clocks": [
            {"clock": c, "on_time": v[0], "late": v[1], "rate": _rate(v[0], v[1])}
            for c, v in by_clock.items()
        ],
        "units": [
            {"unit": u, "on_time": v[0], "late": v[1], "rate": _rate(v[0], v[1])}
            for u, v in sorted(by_unit.items())
        ],
    }
