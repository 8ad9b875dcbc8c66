"""Statistics read from the summary table (reports_statcount) instead of the petitions, on
PostgreSQL, for the questions it can answer exactly. statistics.py asks `applies()` first and
counts the petitions live for everything else (statistics_onepass.py).

How the answer stays equal to a COUNT over what the reader may see (Rule 4.3):

    visible = every petition − the petitions hidden from this reader (the firewall)

The summary holds the first term for every filter and grouping it knows (office-time day or
month, channel, category, status, group flag, repeat flag). The second term is counted live over the few
petitions that involve the reader's unit, a unit above it, or the reader (the firewall's own
indexed EXISTS), with the same filters and groupings, and subtracted. So the path applies to
readers whose visible set is "everything but the firewall": the office's roles; and a handling
officer whose unit has none above it, whose visible set is "their unit's petitions but the
firewall", asked as the office's question filtered to their unit (summary_scope.summary_query).

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

The parts, one concern each: summary_scope.py (which questions the summary answers, and which
of its rows each reads), summary_live.py (the firewall's petitions and today's clocks, counted
live), summary_grouped.py (the page's stored rows in one statement), summary_rates.py (the
on-time rates per clock and unit); this module puts the parts together into answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from django.db.models import F, Q, Sum
from django.utils import timezone

from xinfang.petitions.models import Category
from xinfang.reports.summary_live import _hidden, _hidden_petitions, _office_day, _today
from xinfang.reports.summary_scope import COLUMN, UNIT_SCOPES, _key_of_day, rows_of, with_sign

# Whether the summary answers a question: asked of this module by statistics.py, pages.py and
# standard.py before they read its answers.
from xinfang.reports.summary_scope import applies as applies
from xinfang.reports.summary_scope import summary_query as summary_query


class _Sums:
    # settled: petitions with a met clock and none met late; settled_overdue: those of them
    # overdue now (the standard report's "on time" is the difference).
    __slots__ = ("count", "overdue", "on_time", "late", "settled", "settled_overdue")

    def __init__(self):
        self.count = self.overdue = self.on_time = self.late = 0
        self.settled = self.settled_overdue = 0


def _summary_rows(
    model, query, groups: list[str], sums: dict[str, str], extra: Q | None = None, codes=None, today=None
):
    """(group key, row) for the rows of `model` (StatCount or StatDue) the query selects,
    summed per clock and per the asked groupings. `sums`: name -> summed column; `codes`:
    category id -> code."""
    columns = list(dict.fromkeys(COLUMN.get(k, "unit_id") for k in groups))
    selected, minus = rows_of(model, query, groups, extra, today=today)
    if not minus:
        totals = {name: Sum(column) for name, column in sums.items()}
    else:  # the rows the period subtracts (summary_scope.signed_period), negated
        selected = with_sign(selected, minus)
        totals = {name: Sum(F(column) * F("sign")) for name, column in sums.items()}
    rows = selected.values("clock", *columns).annotate(**totals).order_by()
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
        counted = {"n": "petitions", "settled": "settled", "on_time": "on_time", "late": "late"}
        for key, row in _summary_rows(StatCount, query, groups, counted, codes=codes, today=today):
            sums = out[key]
            if row["clock"] == "":
                sums.count += row["n"]
                sums.settled += row["settled"]
            else:
                sums.on_time += row["on_time"]
                sums.late += row["late"]
    running = {
        "n": "petitions",
        "settled": "settled",
        "clocks": "clocks",
        "on_time": "on_time",
        "late": "late",
    }
    due = Q(due__lt=today)
    for key, row in _summary_rows(StatDue, query, groups, running, due, codes=codes, today=today):
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
    groups = list(query.group_by)
    day, start = _office_day(now)
    if totals and any(k in UNIT_SCOPES for k in groups):
        # A petition sent to two units is a row in each unit's group but one petition in the
        # totals, so the totals are the ungrouped question's, not the sum of the rows. Their
        # live parts are read together: the whole and the groups are two grouping sets.
        # The stored rows of both are one statement too: the totals are the grouping set
        # (clock) beside the rows' (summary_grouped.py, one grouping at a time).
        hidden_sets = _hidden(user, query, [[], groups], start)
        today_sets = _today(user, query, [[], groups], now, start)
        whole_query = replace(query, group_by=[])
        stored_sets = [None, None]
        if len(groups) == 1:
            from xinfang.reports.summary_grouped import stored_grouped

            stored_sets = stored_grouped([whole_query, query], day)
        whole = summary_statistics(
            user, whole_query, hidden_sets[0], today_sets[0], now=now, stored=stored_sets[0]
        )
        rows = summary_statistics(
            user, query, hidden_sets[1], today_sets[1], totals=False, now=now, stored=stored_sets[1]
        )
        return {**whole, "rows": rows["rows"]}

    sums = _stored(query, groups, day) if stored is None else stored
    if hidden is None:
        hidden = _hidden(user, query, [groups], start, settled=settled)[0]
    if today is None:
        today = _today(user, query, [groups], now, start, settled=settled)[0]
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
    rows = _summary_rows(StatCount, query, [], {"n": "petitions"}, Q(clock=""))
    return sum(row["n"] for _key, row in rows) - _hidden_petitions(user, query.filters).count()


def summary_many(user, asks: list[tuple]) -> list[dict[str, dict]]:
    """statistics() for each single grouping of each (query, groupings) in `asks` (the page's
    sections, for its period and the comparison period). The stored rows of every section of
    every period are read in one statement (summary_grouped.py). The live parts (the
    firewall's petitions and today's clocks: costly to build and to run) are one statement each
    for every grouping (GROUPING SETS, summary_live._live) and for every period at once where
    the questions differ only in periods that share no day (_families)."""
    from xinfang.reports.summary_grouped import stored_grouped

    now = timezone.now()
    day, start = _office_day(now)
    # Each grouping of each ask, and ("") the totals of an ask whose first grouping is a unit
    # (one petition sent to two units is one petition there, so they are not the rows' sum).
    grouped = [
        (replace(query, group_by=[g] if g else []), i, g)
        for i, (query, groupings) in enumerate(asks)
        for g in ([""] if groupings[0] in UNIT_SCOPES else []) + list(groupings)
    ]
    stored = stored_grouped([single for single, _i, _g in grouped], day)
    stored_of = {(i, g): sums for (_single, i, g), sums in zip(grouped, stored, strict=True)}
    # (ask, grouping) -> (hidden rows, today's)
    live: dict[tuple[int, str], tuple[list, list]] = {}
    for family in _families(asks):
        query = asks[family[0]][0]
        periods = None
        if len(family) > 1:
            periods = [
                (asks[i][0].filters.received_after, asks[i][0].filters.received_before) for i in family
            ]
            query = replace(query, filters=replace(query.filters, received_after=None, received_before=None))
        # Every grouping of the family, and the totals ("": the set ()) where a unit comes first.
        groupings = list(
            dict.fromkeys(
                g for i in family for g in ([""] if asks[i][1][0] in UNIT_SCOPES else []) + list(asks[i][1])
            )
        )
        if not groupings:
            continue
        sets = [[g] if g else [] for g in groupings]
        hidden = _hidden(user, query, sets, start, periods=periods)
        today = _today(user, query, sets, now, start, periods=periods)
        for position, i in enumerate(family):
            for g, hidden_rows, today_rows in zip(groupings, hidden, today, strict=True):
                live[(i, g)] = (
                    [row for row in hidden_rows if row.get("k_period", 0) == position],
                    [row for row in today_rows if row.get("k_period", 0) == position],
                )
    results: list[dict[str, dict]] = []
    for i, (query, groupings) in enumerate(asks):
        out = {}
        for g in groupings:
            single = replace(query, group_by=[g])
            hidden, today = live[(i, g)]
            if g in COLUMN:
                out[g] = summary_statistics(user, single, hidden, today, now=now, stored=stored_of[(i, g)])
                continue
            rows = summary_statistics(
                user, single, hidden, today, totals=False, now=now, stored=stored_of[(i, g)]
            )
            if g == groupings[0]:  # a unit grouping asked first: its totals, read beside it
                whole = replace(query, group_by=[])
                hidden, today = live[(i, "")]
                rows = {
                    **summary_statistics(user, whole, hidden, today, now=now, stored=stored_of[(i, "")]),
                    "rows": rows["rows"],
                }
            out[g] = rows
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
