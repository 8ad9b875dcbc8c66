"""The stored part of many summary questions read in one statement (the statistics page).

The page asks the summary for one grouping per section (month or week, channel, category,
status, group flag, handling unit, involved unit), and with a comparison period the same
again for the earlier period. Read one question at a time that was two statements per
section and period (reports_statcount and reports_statdue), 35–54 statements per page, each
walking the same rows of the period again.

Here every question whose rows come from the same place (table, period, filters, scope and
grain) is one branch, grouped by `GROUPING SETS ((clock, <column>), ...)`: the rows are read
once and summed once per section. The branches of both tables and both periods are joined by
UNION ALL into one statement. What each question gets is exactly what summary._stored would
have summed for it alone: the same row filter (summary._summary_rows builds it) and the same
folding of days into months or weeks, so the numbers cannot differ (tests compare both).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q

from xinfang.petitions.models import Category
from xinfang.reports.summary import _Sums
from xinfang.reports.summary_scope import (
    COLUMN,
    _key_of_day,
    rows_of,
    scope_to_read,
    sign_sql,
    signed_period_of,
    unit_filter,
)

# The summed columns; reports_statcount has no running clocks (0 in its branches).
SUMS = ("petitions", "settled", "on_time", "late")


@dataclass
class _Branch:
    model: type
    running: bool  # reports_statdue (the running clocks, due before today)
    example: object  # a question of the branch (all share its row filter)
    groups: list[str]  # the grouping whose grain its rows are read at
    # The rows' period (summary_scope._period_q): groupings at different grains share a branch when
    # their periods select the same rows (a period without a whole year: months and days).
    period: Q
    columns: list[str] = field(default_factory=list)
    # (question index, grouping) per summed column
    askers: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def key_columns(self) -> list[str]:
        """The columns the rows are grouped by; "" in `columns` is the set (clock) alone."""
        return [c for c in self.columns if c]


def _same_rows(a, b) -> bool:
    """Two questions (their periods aside) read the same rows: same filters, clock and scope."""
    return (
        a.filters == b.filters
        and a.clock == b.clock
        and scope_to_read(a) == scope_to_read(b)
        and unit_filter(a) == unit_filter(b)
    )


def stored_grouped(questions: list, today: date) -> list[dict[tuple, _Sums]]:
    """For each (query with a single grouping, or none: its totals), what
    summary._stored(query, groups, today) returns, from one statement. Every query must be one
    the summary answers (applies())."""
    from xinfang.reports.models import StatCount, StatDue

    branches: list[_Branch] = []
    for index, query in enumerate(questions):
        groups = list(query.group_by)
        assert len(groups) <= 1, "one grouping or none"
        # "": the question's totals, the grouping set (clock) alone.
        column = COLUMN.get(groups[0], "unit_id") if groups else ""
        period = signed_period_of(query, groups, today)
        tables = [(StatDue, True)] if query.filters.overdue else [(StatCount, False), (StatDue, True)]
        for model, running in tables:
            branch = next(
                (
                    b
                    for b in branches
                    if b.model is model and b.period == period and _same_rows(b.example, query)
                ),
                None,
            )
            if branch is None:
                branch = _Branch(model, running, query, groups, period)
                branches.append(branch)
            if column not in branch.columns:
                branch.columns.append(column)
            branch.askers[column].append((index, groups[0] if groups else None))

    out: list[dict[tuple, _Sums]] = [defaultdict(_Sums) for _ in questions]
    if not branches:
        return out
    wanted = {g for q in questions for g in q.group_by}
    codes = dict(Category.objects.values_list("id", "code")) if "category" in wanted else {}
    parts, params, db = [], [], None
    for number, branch in enumerate(branches):
        extra = Q(due__lt=today) if branch.running else None
        selected, minus = rows_of(branch.model, branch.example, branch.groups, extra, today=today)
        summed = (*SUMS, *(["clocks"] if branch.running else []))
        # The rows the period subtracts (summary_scope.signed_period) are summed negated.
        real = branch.key_columns
        signs = [c for c in ("grain", "day") if minus and c not in real]
        rows = selected.values("clock", *real, *summed, *signs)
        db = rows.db
        try:
            sql, sql_params = rows.query.get_compiler(using=rows.db).as_sql()
        except EmptyResultSet:  # a period that ends before it starts: no row to read
            continue
        value = "r.{}"
        if minus:
            sign, sign_params = sign_sql(minus, "r")
            sql = f"SELECT r.*, {sign} AS sign FROM ({sql}) AS r"  # noqa: S608
            sql_params = (*sign_params, *sql_params)
            value = "r.{} * r.sign"
        columns = ", ".join(f"r.{c}" for c in real)
        if len(real) > 1:
            # Summed first by all the branch's columns at once (one hash of its rows instead of
            # one per grouping set: a year of the petitions' rows is 10^4 of them, summed to 10^3
            # keys here), then grouped by each; cast back so the sums' types stay those of
            # SUM(integer). Same sums.
            sums = ", ".join(f"SUM({value.format(c)})::integer AS {c}" for c in summed)
            sql = f"SELECT r.clock, {columns}, {sums} FROM ({sql}) AS r GROUP BY r.clock, {columns}"  # noqa: S608
            value = "r.{}"
        # Every branch names every key column (the UNION ALL's columns line up); a row's own
        # column is the one GROUPING says it is grouped by, the others are NULL.
        keys = ", ".join(f"r.{c}" if c in real else f"NULL::{_TYPES[c]} AS {c}" for c in _SLOTS)
        clocks = f"SUM({value.format('clocks')})" if branch.running else "0"
        sets = ", ".join(
            [*(f"(r.clock, r.{c})" for c in real), *(["(r.clock)"] if "" in branch.columns else [])]
        )
        mask = f"GROUPING({columns})" if real else "0"
        # Spliced in: the branch number, column names from COLUMN/_SLOTS and the SQL Django
        # compiled (its values stay parameters).
        parts.append(
            f"SELECT {number} AS branch, {mask} AS mask, r.clock, {keys}, "  # noqa: S608
            f"SUM({value.format('petitions')}) AS n, SUM({value.format('settled')}) AS settled, "
            f"SUM({value.format('on_time')}) AS on_time, SUM({value.format('late')}) AS late, {clocks} AS clocks "
            f"FROM ({sql}) AS r GROUP BY GROUPING SETS ({sets})"
        )
        params.extend(sql_params)
    if not parts:
        return out
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = cursor.fetchall()

    # Per (branch, GROUPING mask): where the row's key is and which questions add it, worked
    # out once; a page reads a few thousand rows (a year by day for the weeks, both periods).
    routes: dict[tuple[int, int], tuple[int, list]] = {}
    keys_of: dict[tuple[str, object], object] = {}  # (grouping, stored value) -> group key
    for number, mask, clock, *rest in fetched:
        route = routes.get((number, mask))
        if route is None:
            route = routes[(number, mask)] = _route(branches[number], mask, questions, out)
        slot, askers = route
        value = rest[slot] if slot is not None else None
        n, settled, on_time, late, clocks = rest[len(_SLOTS) :]
        for grouping, sums_of, running, overdue_only in askers:
            if slot is None:  # the totals
                _add(sums_of[()], running, overdue_only, clock, n, settled, on_time, late, clocks)
                continue
            if grouping is None:
                key = value
            else:
                key = keys_of.get((grouping, value))
                if key is None:
                    key = keys_of[(grouping, value)] = _key(grouping, value, codes)
            _add(sums_of[(key,)], running, overdue_only, clock, n, settled, on_time, late, clocks)
    return out


def _route(branch: _Branch, mask: int, questions: list, out: list) -> tuple[int | None, list]:
    """The key's position in a row of `branch` grouped as `mask` says (None: a row of the
    totals), and for each question that asked for that column: (grouping whose key needs
    converting or None, its sums, the branch's table kind, the question's overdue filter)."""
    real = branch.key_columns
    width = len(real)
    # GROUPING(c0, c1, …): bit (width-1-i) is 0 for the column the row is grouped by; every
    # bit 1 (or no column at all): the set (clock) alone, the totals.
    grouped = [i for i in range(width) if not (mask >> (width - 1 - i)) & 1]
    column = real[grouped[0]] if grouped else ""
    askers = [
        (
            grouping if COLUMN.get(grouping) == "day" or grouping == "category" else None,
            out[index],
            branch.running,
            questions[index].filters.overdue,
        )
        for index, grouping in branch.askers[column]
    ]
    return (_SLOTS.index(column) if column else None), askers


def _key(grouping: str, value, codes: dict):
    """A stored key as the grouping's key: a day as its month or week, a category id as its code."""
    if grouping == "category":
        return codes.get(value, value)
    return _key_of_day(grouping, value)


# Every key column any branch groups by, in the UNION ALL's order, with its SQL type (a NULL in
# the first branch must have the type of the values the later branches put in that column).
_SLOTS = ("day", "channel", "category_id", "status", "is_group", "unit_id")
_TYPES = {
    "day": "date",
    "channel": "varchar",
    "category_id": "bigint",
    "status": "varchar",
    "is_group": "boolean",
    "unit_id": "bigint",
}


def _add(sums: _Sums, running: bool, overdue_only, clock, n, settled, on_time, late, clocks) -> None:
    """One summed row into a question's sums, as summary._stored adds it."""
    if not running:
        if clock == "":
            sums.count += n
            sums.settled += settled
        else:
            sums.on_time += on_time
            sums.late += late
        return
    if clock == "":
        sums.overdue += n
        sums.settled_overdue += settled
        if overdue_only:
            sums.count += n
            sums.settled += settled
    else:
        sums.late += clocks
        if overdue_only:
            sums.on_time += on_time
            sums.late += late
