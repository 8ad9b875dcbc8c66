"""The summary's roll-up rows: the same counts without the petitions' own keys (PostgreSQL).

Every row of reports_statcount and reports_statdue is keyed by channel, category, status, group
and repeat flag besides the day, scope, clock and unit. A question that filters by none of those
and groups by none of them (the statistics page without filters: intake by day or week, the
sections by handling and involved unit, the totals) summed every such row: at 10^5 petitions a
year by handling unit was 66,000 rows for 1,600 (day, clock, unit) keys, and a year by day
66,000 rows for 1,400.

So each row written to a scope "", "unit" or "involved" is also counted under that scope's
roll-up ("all", "unit:all", "involved:all") with the five keys set to one value ('', 0, '',
false, false). A statement-level trigger on each summary table appends the roll-up deltas of
whatever a statement inserted, summed by the roll-up key: the triggers' deltas, a rebuild's
and count_new's rows alike, so the roll-up is the sum of its scope's rows whatever wrote them.
It does not look at the pause switch (xinfang.stat_paused): while paused nothing reaches the
summary to roll up, and count_new, which writes the paused petitions' rows, needs them rolled
up. Compaction folds the roll-up rows with the others in one statement, so it switches the
trigger off for its transaction (xinfang.stat_rollup_off) instead of rolling up the folded rows
again. readers: summary.scope_to_read().
"""

from __future__ import annotations

from xinfang.reports.summary_due_sql import DUE_COLUMNS, STAT_COLUMNS

# The scopes rolled up and their roll-up scope.
ROLLUP = {"": "all", "unit": "unit:all", "involved": "involved:all"}
_BASE = ", ".join(f"'{scope}'" for scope in ROLLUP)
_TARGET = "CASE scope " + " ".join(f"WHEN '{s}' THEN '{r}'" for s, r in ROLLUP.items()) + " END"
# The roll-up rows' value of the five keys they leave out.
_CONSTANTS = "'', 0::bigint, '', false, false"

ROLLUP_SQL = f"""
CREATE OR REPLACE FUNCTION reports_rollup_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The roll-up's own rows (and a statement with none of the rolled-up scopes) stop here.
    IF current_setting('xinfang.stat_rollup_off', true) = 'on'
       OR NOT EXISTS (SELECT 1 FROM reports_new WHERE scope IN ({_BASE})) THEN
        RETURN NULL;
    END IF;
    INSERT INTO reports_statcount ({STAT_COLUMNS})
    SELECT grain, day, {_CONSTANTS}, {_TARGET}, clock, unit_id,
           sum(petitions), sum(settled), sum(on_time), sum(late)
    FROM reports_new WHERE scope IN ({_BASE})
    GROUP BY grain, day, scope, clock, unit_id
    HAVING sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(on_time) <> 0 OR sum(late) <> 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('xinfang.stat_rollup_off', true) = 'on'
       OR NOT EXISTS (SELECT 1 FROM reports_new WHERE scope IN ({_BASE})) THEN
        RETURN NULL;
    END IF;
    INSERT INTO reports_statdue ({DUE_COLUMNS})
    SELECT grain, day, {_CONSTANTS}, {_TARGET}, clock, unit_id, due,
           sum(petitions), sum(settled), sum(clocks), sum(on_time), sum(late)
    FROM reports_new WHERE scope IN ({_BASE})
    GROUP BY grain, day, scope, clock, unit_id, due
    HAVING sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(clocks) <> 0 OR sum(on_time) <> 0
        OR sum(late) <> 0;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS reports_rollup_count ON reports_statcount;
CREATE TRIGGER reports_rollup_count AFTER INSERT ON reports_statcount
    REFERENCING NEW TABLE AS reports_new FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_count();
DROP TRIGGER IF EXISTS reports_rollup_due ON reports_statdue;
CREATE TRIGGER reports_rollup_due AFTER INSERT ON reports_statdue
    REFERENCING NEW TABLE AS reports_new FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_due();
"""  # noqa: S608

ROLLUP_DROP_SQL = """
DROP TRIGGER IF EXISTS reports_rollup_count ON reports_statcount;
DROP TRIGGER IF EXISTS reports_rollup_due ON reports_statdue;
DROP FUNCTION IF EXISTS reports_rollup_count();
DROP FUNCTION IF EXISTS reports_rollup_due();
"""

# The roll-up of rows already in the tables (the migration that adds it): the statement's own
# rows are roll-up rows, so the trigger leaves them be.
ROLLUP_BACKFILL_SQL = f"""
DELETE FROM reports_statcount WHERE scope IN ({", ".join(f"'{r}'" for r in ROLLUP.values())});
DELETE FROM reports_statdue WHERE scope IN ({", ".join(f"'{r}'" for r in ROLLUP.values())});
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

# Compaction folds every row, the roll-up's included: no roll-up of the folded rows.
ROLLUP_OFF_SQL = "SELECT set_config('xinfang.stat_rollup_off', 'on', true)"
ROLLUP_ON_SQL = "SELECT set_config('xinfang.stat_rollup_off', 'off', true)"
