"""The fold of the statistics summary's appended deltas (PostgreSQL; summary_sql.compact, run by
the worker's `compact_statistics` every minute and by `rebuild_statistics --compact`).

The triggers append one signed delta row per change (summary_sql, summary_due_sql). Every row
they, and count_new, insert is *pending* (the column's default); a folded row is not. A fold
replaces every row of each key that has a pending row by one folded row holding the key's sum,
and leaves every other key alone: its cost follows the changes since the last fold, not the
size of the summary (rewriting the whole table took 102 s at 10⁶ petitions, longer than the
worker's minute). The partial indexes `statcount_pending` / `statdue_pending` find the pending
rows, deleted by id; `statcount_key` / `statdue_key` (the whole key, partial: folded rows
only, so the triggers never write to them) find each touched key's folded row.

Why a flag on the rows and not a mark such as "the largest id folded": ids are taken when a row
is inserted, not when its transaction commits, so a transaction that inserted early and commits
late has rows below a mark that a fold in between already passed; they would never be folded
(or, with a mark on time, folded twice). A pending row stays pending until a fold deletes it.

Why it is exact under concurrency (READ COMMITTED): each table's fold is ONE statement, so one
snapshot decides both which keys are touched and which rows are deleted; the folded row is the
sum of exactly the rows that statement's DELETE returned. A row committed after that snapshot
is neither deleted nor summed: it stays, pending, beside the new folded row, and the next fold
finds its key (the reads sum every row of a key, so it counts meanwhile too). A row is thus
summed into exactly one folded row, never lost, never twice. Only folds delete summary rows
(the rebuild truncates, under its own lock), and folds run one at a time (the advisory lock in
summary_sql.compact), so no fold's DELETE meets a row another fold deleted.

A key's unit is NULL for the petitions without a unit: keys are compared with IS NOT DISTINCT
FROM for that column (GROUP BY and DISTINCT already treat NULLs as equal).

reports_statdue's rows are also *re-filed*: a due day that has become "before yesterday" since it
was written belongs under DUE_PAST (summary_due_sql), where a recount puts it. Reads sum every
due day before today, so a row not yet re-filed reads the same; re-filing keeps one row per key,
as a recount has them. Such rows are found by the due day itself (index `statdue_due`: the
folded rows not under DUE_PAST, most of them running clocks due later; a pending row is folded
anyway), so only the day that has just become past is read, once, on the first fold of an
office day; their keys fold with the pending ones, each row under reports_stat_due_day of its
due day.
"""

from __future__ import annotations

from xinfang.reports.summary_due_sql import DUE_PAST
from xinfang.reports.summary_rollup_sql import DUE_COLUMNS, STAT_COLUMNS
from xinfang.reports.summary_rollup_sql import KEY_COLUMNS as KEY


def _same_key(row: str, key: str, columns=KEY) -> str:
    """SQL: row `row` has the key of row `key`; a NULL unit equals a NULL unit."""
    return " AND ".join(
        f"{row}.{c} IS NOT DISTINCT FROM {key}.{c}" if c == "unit_id" else f"{row}.{c} = {key}.{c}"
        for c in columns
    )


_KEY = ", ".join(KEY)
_NONZERO = "sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(on_time) <> 0 OR sum(late) <> 0"

# The pending rows (all of them: their keys are the touched ones) and the folded rows of the
# touched keys, deleted and summed, one folded row per key that does not sum to zero, in the
# reads' index order (scope, grain, day). The pending rows are found by the partial index on
# them and deleted by id; the folded rows by the key index, which holds only folded rows (so
# the triggers, which insert pending rows only, never write to it). MATERIALIZED: computed once.
COMPACT_SQL = f"""
WITH appended AS MATERIALIZED (
    SELECT id, {_KEY} FROM reports_statcount WHERE pending),
touched AS MATERIALIZED (SELECT DISTINCT {_KEY} FROM appended),
gone AS (
    DELETE FROM reports_statcount WHERE id IN (
        SELECT id FROM appended
        UNION ALL
        SELECT f.id FROM touched k JOIN reports_statcount f ON {_same_key("f", "k")} AND NOT f.pending)
    RETURNING {STAT_COLUMNS})
INSERT INTO reports_statcount ({STAT_COLUMNS}, pending)
SELECT {_KEY}, sum(petitions), sum(settled), sum(on_time), sum(late), false FROM gone
GROUP BY {_KEY} HAVING {_NONZERO}
ORDER BY scope, grain, day
"""  # noqa: S608


def due_compact_sql(tz: str) -> str:
    """The same for reports_statdue, whose key has the due day too. A folded row whose due day
    is now before yesterday (`stale`, found by the index on the folded rows' due days) is
    touched as if pending, and every row is summed under reports_stat_due_day of its due day
    (the installed function, which maps it to DUE_PAST). `tz`: the office's time zone, for the
    day that bounds the stale rows (reports_stat_due_day's bound, written out so that the index
    serves it)."""
    tz = tz.replace("'", "")
    bound = f"(now() AT TIME ZONE '{tz}')::date - 1"

    def stale(due: str) -> str:
        return f"({due} > DATE '{DUE_PAST}' AND {due} < {bound})"

    filed = ", ".join(KEY) + ", reports_stat_due_day(due)"
    return f"""
WITH appended AS MATERIALIZED (
    SELECT id, {_KEY}, reports_stat_due_day(due) AS due FROM reports_statdue WHERE pending),
touched AS MATERIALIZED (
    SELECT {_KEY}, due FROM appended
    UNION
    SELECT {_KEY}, reports_stat_due_day(due) FROM reports_statdue WHERE NOT pending AND {stale("due")}),
gone AS (
    DELETE FROM reports_statdue WHERE id IN (
        SELECT id FROM appended
        UNION ALL
        SELECT f.id FROM touched k JOIN reports_statdue f ON {_same_key("f", "k")} AND NOT f.pending
            AND (f.due = k.due OR k.due = DATE '{DUE_PAST}' AND {stale("f.due")}))
    RETURNING {DUE_COLUMNS})
INSERT INTO reports_statdue ({DUE_COLUMNS}, pending)
SELECT {filed}, sum(petitions), sum(settled), sum(clocks), sum(on_time), sum(late), false
FROM gone GROUP BY {filed}
HAVING {_NONZERO} OR sum(clocks) <> 0
ORDER BY scope, grain, day
"""  # noqa: S608
