"""Which questions the statistics summary answers exactly, and which of its rows each one reads
(summary.py explains the summary and how a reader's counts stay exact).

A question's rows: the scope (the petitions, or the petitions per handling or involved unit, or
the roll-up of either without the keys it does not group or filter by), the period as whole
years, months and days (`_period_q`), the filters the rows have as columns, and the clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import IntegerField, Q
from django.db.models.expressions import RawSQL
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
    """True when the summary answers `query` for `user` exactly as asked (see the module's
    docstring): the office's roles. `units=False`: only the petitions' own rows will do (no
    unit grouping or filter). A handling officer's questions are asked of the summary as
    summary_query() rewrites them."""
    return summary_query(user, query, units=units) is query


def summary_query(user, query, *, units: bool = True, sized: bool = True):
    """The question the summary answers in place of `query` for `user`, or None when it answers
    none exactly.

    For the office's roles it is `query` itself: what they see is every petition less the
    firewall's (Rule 4.3), and summary.py subtracts the firewall's. A handling officer sees the
    petitions with a live assignment to their unit or a unit above it, less the firewall's
    (visible_to). Where their unit has none above it, that is the office's question filtered to
    the petitions with a live assignment to their unit (`assigned_unit`): the summary's rows of
    that unit, less the firewall's petitions among them (summary_live.filtered_petitions applies
    the same filter to those), plus today's clocks of the petitions they see (petition_list). The
    same answer as counting what visible_to returns, from the stored rows: the handling
    officer's statistics at 10⁶ counted all their unit's petitions and clocks on every call
    (docs/benchmarks.md, round 19). With a unit above theirs, a petition of both units would be
    two rows of the summary, and a grouping by unit, a unit's rows of the other units of the same
    petitions, which the summary does not keep: those are counted live. So is a handling
    officer's question over a period with few of their unit's petitions (LIVE_BELOW); without
    `sized`, whether the summary could answer is decided without reading that size."""
    from xinfang.petitions.querysets import PetitionQuerySet

    if connection.vendor != "postgresql":
        return None
    reader = PetitionQuerySet.reader(user)
    if reader is None:
        return None
    kind, _user_id, units_seen = reader
    unit = None
    if kind == "handler":
        if len(units_seen) != 1 or not units:
            return None
        unit = units_seen[0]
        extra = query.filters.extra
        if extra.get("assigned_unit", unit) != unit:
            return None
        query = replace(query, filters=replace(query.filters, extra={**extra, "assigned_unit": unit}))
    f = query.filters
    if f.q or f.mine or set(f.extra) - EXTRA_FILTERS:
        return None
    if not set(query.group_by) <= set(COLUMN) | {"unit", "involved_unit"}:
        return None
    scope = scope_of(query)
    if scope is None or (scope and not units) or _whole_days(f) is None:
        return None
    if unit is not None and sized and _few_to_count(user, unit, f):
        return None
    return query


# A handling officer's question is counted over their petitions (statistics_onepass) when their
# unit has fewer than this many live assignments received in its period. Both answers are
# exact; this is the cheaper one. Counted live, a question costs about 28 µs per petition on
# the bench machine (the housing bureau's 8,000 of a year: 230 ms); from the summary about
# 60–90 ms whatever the period (its live parts: the firewall's petitions among the unit's and
# today's clocks): the two meet near 2,000 petitions (docs/benchmarks.md, round 19). A month
# of the standard report is a few hundred of a large unit's petitions: 39 ms counted, 90 ms
# from the summary. The reports tests set it to 0 to hold the summary's answers to the oracle.
LIVE_BELOW = 2_000

# The attribute of the user object (built per request) that keeps what _few_to_count read.
_KEPT_SIZES = "_statistics_unit_sizes"


def _few_to_count(user, unit: int, f) -> bool:
    """Whether `unit` has fewer than LIVE_BELOW live assignments received in the period of `f`:
    read from the index assignment_unit_received (the assignment keeps its petition's time),
    at most LIVE_BELOW entries, once per period for the request's user object (a page asks the
    summary once per section)."""
    from xinfang.reports.filters import live_assignments_received

    if LIVE_BELOW <= 0:
        return False
    kept = getattr(user, _KEPT_SIZES, None)
    if kept is None:
        kept = {}
        setattr(user, _KEPT_SIZES, kept)
    key = (unit, f.received_after, f.received_before)
    if key not in kept:
        rows = live_assignments_received([unit], f.received_after, f.received_before)
        kept[key] = rows.order_by()[:LIVE_BELOW].count() < LIVE_BELOW
    return kept[key]


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


def signed_period_of(query, groups: list[str], today: date | None = None) -> tuple[Q, list[tuple]]:
    """signed_period() of the query's period at the grain its groupings need."""
    lo, hi = _whole_days(query.filters)
    return signed_period(lo, hi, finest_grain(groups), today)


def rows_of(model, query, groups: list[str], extra: Q | None = None, *, today: date | None = None):
    """The rows of `model` (StatCount or StatDue) a question reads, before any sum (also the
    grouped read of summary_grouped.py: both sum exactly these rows), and the pieces of its
    period whose rows are subtracted (signed_period; [] none: see with_sign)."""
    period, minus = signed_period_of(query, groups, today)
    rows = (
        model.objects.filter(scope=scope_to_read(query))
        .filter(period, _filters_q(query.filters), _flags_q(query.filters))
        .filter(unit_filter(query), extra or Q())
        # Without a clock every row counts ("" or any clock: no condition to check per row).
        .filter(Q(clock="") | _clock_filter(query.clock) if query.clock else Q())
    )
    return rows, minus


def with_sign(rows, minus: list[tuple]):
    """rows_of()'s rows with a `sign` column: -1 for the rows its period subtracts (the pieces
    `minus`, at least one), else 1 (summed as F(column) * F("sign")). The CASE of sign_sql over
    the rows' own table, so both readers of the summary sign a row by the same SQL."""
    sql, params = sign_sql(minus, connection.ops.quote_name(rows.model._meta.db_table))
    return rows.annotate(sign=RawSQL(sql, params, output_field=IntegerField()))  # noqa: S611 (fixed SQL)


def sign_sql(minus: list[tuple], alias: str) -> tuple[str, list]:
    """The `sign` of with_sign() as SQL over the rows' grain and day columns of `alias`, and its
    parameters (written here: the ORM took longer to build the CASE than to run the page's
    whole statement)."""
    conditions, params = [], []
    for grain, first, last, _sign in minus:
        parts = [f"{alias}.grain = %s"]
        params.append(grain)
        for bound, operator in ((first, ">="), (last, "<=")):
            if bound is not None:
                parts.append(f"{alias}.day {operator} %s")
                params.append(bound)
        conditions.append("(" + " AND ".join(parts) + ")")
    return f"CASE WHEN {' OR '.join(conditions)} THEN -1 ELSE 1 END", params


# --- A period as signed pieces -----------------------------------------------------------------
# The sums of a key over a year's row equal the sums over its months' rows and over its days'
# rows (every statement that writes the summary writes all three grains). So a period that
# covers most of a year reads the year's rows less the rows of what it leaves out, and a
# period that covers most of a month the month's row less the days it leaves out: at 10^5
# petitions a year of the petitions' own rows is 1,800 rows, its months 11,800, its days 67,000.
# A period from 1 January to today reads one year less the days after today, which have no rows.
# Each piece is (grain, first day, last day, sign); no row is in two pieces (the pieces of one
# grain never share a day), so a row's sign is the sign of the one piece that holds it.

# Rows per piece relative to a month's rows (the petitions' own rows at 10^5: a year about 1.8
# months, a day about a fifth of a month); a piece that starts after today has no rows yet.
_WEIGHT = {"y": 2.0, "m": 1.0, "d": 0.2}


def signed_period(
    lo: date | None, hi: date | None, finest: str, today: date | None = None
) -> tuple[Q, list[tuple]]:
    """The rows of the period [lo, hi] at the grain a grouping needs, as (every row read, the
    pieces whose rows are subtracted, [] for none): the same sums as _period_q's rows, from
    fewer rows. `today`: pieces after it count as free when choosing (the choice never changes
    a sum)."""
    if finest == "d" or (lo and hi and lo > hi):
        return _period_q(lo, hi, finest), []
    pieces = period_pieces(lo, hi, finest, today or timezone.localtime(timezone.now(), office_tz()).date())
    return reduce(or_, (_piece_q(p) for p in pieces)), [p for p in pieces if p[3] < 0]


def period_pieces(lo: date | None, hi: date | None, finest: str, today: date) -> list[tuple]:
    """The period [lo, hi] (lo <= hi; None: unbounded) as signed pieces of rows of the grains
    `finest` allows ("y": years, months and days; "m": months and days), each (grain, first
    day or None, last day or None, sign) over the rows' `day` (a year's row is on 1 January, a
    month's on its first day)."""
    if finest == "m":
        return _months_part(lo, hi, 1, today)
    if lo and hi and lo.year == hi.year:
        return _year_part(lo, hi, 1, today)
    # The whole years between the ends (unbounded on an open side), then each end's year.
    pieces: list[tuple] = []
    first = None if lo is None else date(lo.year + 1, 1, 1)
    last = None if hi is None else date(hi.year - 1, 1, 1)
    if first is None or last is None or first <= last:
        pieces.append(("y", first, last, 1))
    if lo:
        pieces += _year_part(lo, date(lo.year, 12, 31), 1, today)
    if hi:
        pieces += _year_part(date(hi.year, 1, 1), hi, 1, today)
    return pieces


def _piece_q(piece) -> Q:
    grain, first, last, _sign = piece
    q = Q(grain=grain)
    if first is not None:
        q &= Q(day__gte=first)
    if last is not None:
        q &= Q(day__lte=last)
    return q


def _cost(pieces, today: date) -> float:
    total = 0.0
    for grain, first, last, _sign in pieces:
        if first is not None and first > today:
            continue
        end = today if last is None or last > today else last
        if grain == "d":
            units = (end - first).days + 1 if first else 365
        elif grain == "m":
            units = (end.year - first.year) * 12 + end.month - first.month + 1 if first else 12
        else:
            units = end.year - first.year + 1 if first else 1
        total += units * _WEIGHT[grain]
    return total


def _year_part(a: date, b: date, sign: int, today: date) -> list:
    """The days a..b of one year: its months and days, or the year less the rest."""
    jan1, dec31 = date(a.year, 1, 1), date(a.year, 12, 31)
    if (a, b) == (jan1, dec31):
        return [("y", jan1, jan1, sign)]
    added = _months_part(a, b, sign, today)
    rest = []
    if a > jan1:
        rest += _months_part(jan1, a - timedelta(days=1), -sign, today)
    if b < dec31:
        rest += _months_part(b + timedelta(days=1), dec31, -sign, today)
    taken = [("y", jan1, jan1, sign), *rest]
    return taken if _cost(taken, today) < _cost(added, today) else added


def _months_part(a: date | None, b: date | None, sign: int, today: date) -> list:
    """The days a..b (None: unbounded) as whole months and the days or months less days at
    either end; a partial month is one choice, so no month's row is read twice."""
    if a and b and (a.year, a.month) == (b.year, b.month):
        return _month_part(a, b, sign, today)
    first = None if a is None else (a if a.day == 1 else _month_end(a) + timedelta(days=1))
    last = (
        None
        if b is None
        else (b.replace(day=1) if b == _month_end(b) else b.replace(day=1) - timedelta(days=1))
    )
    pieces = []
    if first is None or last is None or first <= last:
        pieces.append(("m", first, last.replace(day=1) if last else None, sign))
    if a and a.day != 1:
        pieces += _month_part(a, _month_end(a), sign, today)
    if b and b != _month_end(b):
        pieces += _month_part(b.replace(day=1), b, sign, today)
    return pieces


def _month_part(a: date, b: date, sign: int, today: date) -> list:
    """The days a..b of one month: those days, or the month less the others."""
    start, end = a.replace(day=1), _month_end(a)
    if (a, b) == (start, end):
        return [("m", start, start, sign)]
    added = [("d", a, b, sign)]
    taken = [("m", start, start, sign)]
    if a > start:
        taken.append(("d", start, a - timedelta(days=1), -sign))
    if b < end:
        taken.append(("d", b + timedelta(days=1), end, -sign))
    return taken if _cost(taken, today) < _cost(added, today) else added
