"""The summary's roll-up rows: the same counts without the petitions' own keys (PostgreSQL).

Every row of reports_statcount and reports_statdue is keyed by channel, category, status, group
and repeat flag besides the day, scope, clock and unit. A question that filters by none of those
and groups by none of them (the statistics page without filters: intake by day or week, the
sections by handling and involved unit, the totals) summed every such row: at 10^5 petitions a
year by handling unit was 66,000 rows for 1,600 (day, clock, unit) keys, and a year by day
66,000 rows for 1,400.

So each row written to a scope "", "unit" or "involved" is also counted under that scope's
roll-up ("all", "unit:all", "involved:all") with the five keys set to one value ('', 0, '',
false, false). Every statement that writes summary rows writes their roll-up in the same
statement (summary_sql, summary_due_sql): a trigger function that writes one petition's rows
writes each row twice, once with the petition's keys and once with the roll-up's (`twins`);
a statement over many petitions (the clocks' statement trigger, a rebuild, count_new) sums its
rows by the roll-up key and appends those sums (`with_rollup`). An earlier version rolled up
by a statement trigger on each summary table, one more statement for every summary INSERT:
a repeat link, which moves everything a petition is counted under in a few dozen small
INSERTs, paid about 2 ms for it at 10^5 instead of about 1 ms now (docs/benchmarks.md). What is
left is the rows themselves: the roll-up doubles the rows a write inserts. Compaction folds the
roll-up rows with the others (their keys are distinct). readers: summary_scope.scope_to_read().
"""

from __future__ import annotations

# The columns of the two summary tables (here, the module every writer of them imports): a row's
# key (reports_statdue's with its due day after it), then its counts. The fold groups by the key
# and inserts its sums under these columns, so both are written from the one list.
KEY_COLUMNS = (
    "grain",
    "day",
    "channel",
    "category_id",
    "status",
    "is_group",
    "is_repeat",
    "scope",
    "clock",
    "unit_id",
)
STAT_COLUMNS = ", ".join([*KEY_COLUMNS, "petitions", "settled", "on_time", "late"])
DUE_COLUMNS = ", ".join([*KEY_COLUMNS, "due", "petitions", "settled", "clocks", "on_time", "late"])
# The scopes rolled up and their roll-up scope.
ROLLUP = {"": "all", "unit": "unit:all", "involved": "involved:all"}
_BASE = ", ".join(f"'{scope}'" for scope in ROLLUP)
# The roll-up rows' value of the five keys they leave out.
_CONSTANTS = "'', 0::bigint, '', false, false"
# The five keys and the scope, the names `twins` gives them.
KEYS = "channel, category_id, status, is_group, is_repeat, scope"


def rollup_scope(scope: str) -> str:
    """SQL: the roll-up scope of the scope `scope` (an expression)."""
    return f"CASE {scope} " + " ".join(f"WHEN '{s}' THEN '{r}'" for s, r in ROLLUP.items()) + " END"


_TARGET = rollup_scope("scope")


def twins(channel: str, category: str, status: str, group: str, repeat: str, scope: str) -> str:
    """SQL for a FROM item of two rows, k(channel, category_id, status, is_group, is_repeat,
    scope): the given keys, then the roll-up's. Joined to one petition's rows (all with the same
    keys, so the roll-up of a row is the row itself under the roll-up's keys), it writes the
    detail rows and their roll-up in one INSERT. LATERAL: the keys may be the columns of an
    earlier FROM item."""
    return (
        f"LATERAL (VALUES ({channel}, {category}, {status}, {group}, {repeat}, {scope}), "
        f"({_CONSTANTS}, {rollup_scope(scope)})) k({KEYS})"
    )


def rollup_of(source: str, table: str) -> str:
    """SQL: a SELECT of the roll-up of the rows `source` (a CTE's name; rows of `table`,
    reports_statcount or reports_statdue, all in rolled-up scopes): summed by the roll-up key,
    zero sums left out, in the table's columns."""
    due = table == "reports_statdue"
    key = "grain, day, scope, clock, unit_id" + (", due" if due else "")
    sums = (
        ("petitions", "settled", "clocks", "on_time", "late")
        if due
        else ("petitions", "settled", "on_time", "late")
    )
    return f"""SELECT grain, day, {_CONSTANTS}, {_TARGET}, clock, unit_id, {"due, " if due else ""}
       {", ".join(f"sum({c})" for c in sums)}
FROM {source} GROUP BY {key} HAVING {" OR ".join(f"sum({c}) <> 0" for c in sums)}"""  # noqa: S608


def with_rollup(table: str, rows: str, *, order: str = "", folded: bool = False) -> str:
    """An INSERT into `table` of the rows `rows` (a SELECT of the table's columns, in their
    order, all in rolled-up scopes) and, in the same statement, of their roll-up (rollup_of).
    The rows are a CTE (named by the table's columns), computed once for both halves.
    `folded`: the rows are one per key and the table held none of their keys (a recount into
    the emptied table), so they are written as folded rows, not pending ones
    (summary_fold_sql)."""
    columns = DUE_COLUMNS if table == "reports_statdue" else STAT_COLUMNS
    pending = ", pending" if folded else ""
    return f"""WITH rollup_rows ({columns}) AS ({rows})
INSERT INTO {table} ({columns}{pending})
SELECT *{", false" if folded else ""} FROM (
SELECT {columns} FROM rollup_rows
UNION ALL
{rollup_of("rollup_rows", table)}) written
{order}"""  # noqa: S608


# The trigger of the earlier version, dropped by install() (and by DROP_SQL).
ROLLUP_DROP_SQL = """
DROP TRIGGER IF EXISTS reports_rollup_count ON reports_statcount;
DROP TRIGGER IF EXISTS reports_rollup_due ON reports_statdue;
DROP FUNCTION IF EXISTS reports_rollup_count();
DROP FUNCTION IF EXISTS reports_rollup_due();
"""

_ROLLUP_SCOPES = ", ".join(f"'{r}'" for r in ROLLUP.values())
# Every roll-up row (before a backfill, and when a migration that wrote them is undone).
ROLLUP_DELETE_SQL = f"""
DELETE FROM reports_statcount WHERE scope IN ({_ROLLUP_SCOPES});
DELETE FROM reports_statdue WHERE scope IN ({_ROLLUP_SCOPES});
"""  # noqa: S608

# The roll-up of rows already in the tables (the migration that adds it, 0008).
ROLLUP_BACKFILL_SQL = (
    ROLLUP_DELETE_SQL
    + f"""
INSERT INTO reports_statcount ({STAT_COLUMNS})
SELECT grain, day, {_CONSTANTS}, {_TARGET}, clock, unit_id,
       sum(petitions), sum(settled), sum(on_time), sum(late)
FROM reports_statcount WHERE scope IN ({_BASE})
GROUP BY grain, day, scope, clock, unit_id
HAVING sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(on_time) <> 0 OR sum(late) <> 0
ORDER BY 8, 1, 2;
INSERT INTO reports_statdue ({DUE_COLUMNS})
SELECT grain, day, {_CONSTANTS}, {_TARGET}, clock, unit_id, due,
       sum(petitions), sum(settled), sum(clocks), sum(on_time), sum(late)
FROM reports_statdue WHERE scope IN ({_BASE})
GROUP BY grain, day, scope, clock, unit_id, due
HAVING sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(clocks) <> 0 OR sum(on_time) <> 0
    OR sum(late) <> 0
ORDER BY 8, 1, 2;
ANALYZE reports_statcount;
ANALYZE reports_statdue;
"""  # noqa: S608
)
