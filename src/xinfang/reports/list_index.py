"""Where the rows of the petition list fall, read from the statistics summary (issue 9).

The list is newest first. Its exact count and "which row is the N-th" both cost a walk over
every visible petition above it under Rule 4.3 (COUNT or OFFSET): 0.2 s for the API's count
and 2–3 s for a page typed half-way down 616,000 petitions. For the readers and filters the
summary answers exactly (summary_scope.applies: the office's roles, filters the summary has as
columns, whole days), both come from its counts instead:

    visible petitions per office-time day = summary rows − the firewall's petitions that day

The count is the sum. The N-th row is found month by month, then day by day within its month,
and the page is read from the start of the next day down, skipping only the rows of its own
day before it (a few hundred at most, from the received-order index). Every row of the page
still comes from `petition_list` (visible_to and the filters); the summary only says where to
start. If it ever disagreed with the petitions (a row changed between the two statements), a
page would start a few rows off, exactly as an OFFSET page does when a petition is
registered meanwhile.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import TruncDate

from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Petition
from xinfang.petitions.paging import PAST_END
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.reports import summary_live, summary_scope
from xinfang.reports.unit_list_index import unit_list_index


def _month(day: date) -> date:
    return day.replace(day=1)


class ListIndex:
    """The visible, filtered petitions counted per office-time day (what the summary knows)."""

    def __init__(self, user, filters, months: dict[date, int], hidden_days: dict[date, int]):
        self.user = user
        self.filters = filters
        self.months = months  # the summary's petitions per month, before the firewall
        self.hidden_days = hidden_days  # the firewall's petitions per day
        hidden_months: dict[date, int] = defaultdict(int)
        for day, n in hidden_days.items():
            hidden_months[_month(day)] += n
        self.visible_months = {
            m: months.get(m, 0) - hidden_months.get(m, 0) for m in {*months, *hidden_months}
        }
        self.count = sum(self.visible_months.values())

    def locate(self, offset: int) -> tuple[datetime, int] | str | None:
        """(bound, skip): the row at `offset` (0 = the newest) is the `skip`-th row, newest first,
        of the visible petitions received before `bound`. paging.PAST_END past the last row."""
        if offset >= self.count:
            return PAST_END
        above = 0
        for month in sorted(self.visible_months, reverse=True):
            n = self.visible_months[month]
            if above + n > offset:
                break
            above += n
        for day, n in self._days(month):
            if above + n > offset:
                bound = datetime.combine(day + timedelta(days=1), time.min, tzinfo=office_tz())
                return bound, offset - above
            above += n
        return None  # the summary's months and days disagree: let the caller read by OFFSET

    def _days(self, month: date) -> list[tuple[date, int]]:
        """The month's days, newest first, with their visible petitions."""
        from xinfang.reports.models import StatCount

        last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        lo, hi = summary_scope._whole_days(self.filters)
        lo, hi = max(lo or month, month), min(hi or last, last)
        rows = _petition_rows(StatCount.objects.filter(grain="d", day__gte=lo, day__lte=hi), self.filters)
        days: dict[date, int] = defaultdict(int)
        for row in rows.values("day").annotate(n=Sum("petitions")).order_by():
            days[row["day"]] += row["n"]
        for day, n in self.hidden_days.items():
            if _month(day) == month:
                days[day] -= n
        return sorted(days.items(), reverse=True)


def _petition_rows(rows, filters):
    """Summary rows that count the petitions themselves (no clocks) under the filters."""
    from xinfang.reports.statistics import StatisticsQuery

    query = StatisticsQuery(filters=filters, group_by=[])
    unit = Q()
    for name in ("assigned_unit", "involved_unit"):
        if name in filters.extra:
            unit = Q(unit_id=filters.extra[name])
    # Unfiltered by the petitions' own keys (channel, category, status, group, repeat), the
    # roll-up's rows hold the same sums (summary_rollup_sql.py): one row per day or month of the
    # scope instead of one per combination of those keys. For the office's unfiltered list at
    # 10⁶ the months were tens of thousands of index entries summed on every typed deep page
    # and API page (docs/benchmarks.md, round 15).
    return rows.filter(
        summary_scope._filters_q(filters),
        summary_scope._flags_q(filters),
        unit,
        scope=summary_scope.scope_to_read(query),
        clock="",
    )


def list_index(user, filters) -> ListIndex | None:
    """The list's index for `user` and `filters`, or None when the summary cannot answer them
    exactly (then the caller counts and pages over the petitions). One statement: the summary's
    months and the firewall's days, as the rows of one UNION ALL."""
    from xinfang.reports.models import StatCount
    from xinfang.reports.statistics import StatisticsQuery

    # A handling officer's unfiltered list: their units' rows of the summary (unit_list_index.py).
    # Filtered, theirs is a few of their unit's petitions, counted and paged over those.
    units = Petition.objects.handler_unit_ids(user)
    if units is not None:
        return unit_list_index(user, units) if filters == type(filters)() else None
    # Overdue now is not a count by the day of receipt in reports_statcount (the statistics
    # read it from reports_statdue): such a list counts and pages over the petitions.
    if filters.overdue or not summary_scope.applies(user, StatisticsQuery(filters=filters, group_by=[])):
        return None
    db = router.db_for_read(StatCount)
    key = _statement_key(user, filters)
    statement = _STATEMENTS.get((db, key)) if key is not None else None
    if statement is None:
        lo, hi = summary_scope._whole_days(filters)
        stored = (
            _petition_rows(StatCount.objects.filter(summary_scope._period_q(lo, hi, "m")), filters)
            .annotate(kind=Value(_STORED), at=F("day"))
            .values("kind", "at")
            .annotate(n=Sum("petitions"))
            .order_by()
        )
        union = stored.union(*_hidden_days(user, filters), all=True).values_list("kind", "at", "n")
        statement = union.query.get_compiler(using=db).as_sql()
        if key is not None:
            if len(_STATEMENTS) >= _STATEMENTS_KEPT:
                _STATEMENTS.clear()
            _STATEMENTS[(db, key)] = statement
    with connections[db].cursor() as cursor:
        cursor.execute(*statement)
        rows = cursor.fetchall()
    months: dict[date, int] = defaultdict(int)
    hidden_days: dict[date, int] = defaultdict(int)
    for kind, day, n in rows:
        if kind == _STORED:
            months[_month(day)] += n
        else:
            hidden_days[day] += n
    return ListIndex(user, filters, months, hidden_days)


_STORED, _HIDDEN = 0, 1

# The index's statement (its SQL and parameters) per database, reader and filters, as the ORM
# compiled it. Putting it together (the summary's conditions, one firewall query per condition of
# Rule 4.3, the UNION ALL) cost about 10,000 Python calls, 4–5 ms, on every filtered list and
# typed deep page, for a text that depends on nothing but the key: a reader paging through a list
# asks for the same one each time. Only the text is kept, never a row: each call executes it
# and reads the summary and the firewall as they are then. Bounded, emptied when full.
_STATEMENTS: dict = {}
_STATEMENTS_KEPT = 1_000


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | set | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def _statement_key(user, filters):
    """Everything the statement is built from: the reader as the read policy sees it (kind, user,
    their units and those above), every field of the filters, the office's time zone (whole
    days). None when a filter's value cannot be a key (then the statement is built each time)."""
    key = (
        PetitionQuerySet.reader(user),
        tuple((f.name, _hashable(getattr(filters, f.name))) for f in dataclasses.fields(filters)),
        str(office_tz()),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _hidden_days(user, filters) -> list:
    """The petitions the firewall hides from `user`, per office-time day: one query per
    condition of Rule 4.3, each without the rows of the conditions before it, so that every
    petition counts once. Each is a semi-join that starts from the few involvements of the
    user or their units; the conditions ORed (PetitionQuerySet.firewalled) made PostgreSQL
    test both for every petition (26 ms at 10^5, for no row)."""
    conditions = [
        Exists(rows.filter(petition=OuterRef("pk"))) for rows in PetitionQuerySet._involvements(user)
    ]
    out = []
    for i, condition in enumerate(conditions):
        qs = summary_live.filtered_petitions(filters).filter(condition)
        for earlier in conditions[:i]:
            qs = qs.exclude(earlier)
        out.append(
            qs.annotate(kind=Value(_HIDDEN), at=TruncDate("received_at", tzinfo=office_tz()))
            .values("kind", "at")
            .annotate(n=Count("pk"))
            .order_by()
        )
    return out
