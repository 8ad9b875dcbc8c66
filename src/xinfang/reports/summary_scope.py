"""Which questions the statistics summary answers exactly, and which of its rows each one reads
(summary.py explains the summary and how a reader's counts stay exact).

A question's rows: the scope (the petitions, or the petitions per handling or involved unit, or
the roll-up of either without the keys it does not group or filter by), the period as whole
years, months and days (`_period_q`), the filters the rows have as columns, and the clock.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Category
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
