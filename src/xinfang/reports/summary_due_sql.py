"""The running clocks in the statistics summary (reports_statdue), PostgreSQL side: what the
wall clock will decide later, filed by the day it falls due.

A petition is overdue when the earliest due time of its running clocks (met_at and paused_at
both NULL) has passed; a running clock past its due time counts as late in the on-time rates.
Both depend on the time of the read, so the summary files them by their office-time due day:
each petition with a running clock under the day of its earliest running due (`petitions`),
each running clock under its own due day (`clocks`), with the same received day, channel,
category, status, group flag, scope and unit as reports_statcount. A read then sums the days
before today and counts only today's clocks live (reports/summary.py).

Every due day before yesterday (as the writing transaction sees the date) is filed under one
day, DUE_PAST: for a read only "before today", "today" and "later" differ, and a day that is
past stays past, so the rows of long-overdue clocks fold together (compaction) instead of
growing with every day. Yesterday keeps its own day so that an application server whose clock
is a little behind the database's around midnight still counts that day as stored, not live.

Clocks change in bulk (imports COPY them, services update several at once), so the clocks'
trigger is statement-level over the transition tables: a petition's earliest running due
before the statement is the table now without the statement's new rows, plus its old rows.
"""

from __future__ import annotations

DUE_PAST = "0001-01-01"
# Every change is written once per grain: the day, the month and the year it falls in, so that a
# period reads whole years, then whole months, then the days at its ends (summary._period_q).
GRAINS = "(VALUES ('d'), ('m'), ('y'))"
DUE_COLUMNS = (
    "grain, day, channel, category_id, status, is_group, scope, clock, unit_id, due, petitions, clocks"
)
DUE_KEY = "grain, day, channel, category_id, status, is_group, scope, clock, unit_id, due"
RUNNING = "met_at IS NULL AND paused_at IS NULL"
# The same condition for one petition's clocks, written so that the planner cannot prove it
# implies the predicate of the partial index deadline_running_due (due_at, id): the triggers'
# plans are made once per connection, and on a table that was never analyzed (a new office
# importing its history, a server with autovacuum off) that index looked as cheap as the
# petition's own, so every new petition walked all running clocks of the office.
RUNNING_OF_PETITION = "coalesce({0}met_at, {0}paused_at) IS NULL"
# First statement of every trigger function: while a bulk writer has switched the triggers off
# for its transaction (summary_sql.pause), its new petitions are counted afterwards in one pass
# instead (summary_sql.count_new), so the triggers return at once.
PAUSED = "IF current_setting('xinfang.stat_paused', true) = 'on' THEN RETURN NULL; END IF;"


def due_functions_sql(tz: str) -> str:
    """The functions the petitions' and units' triggers (summary_sql) call, and the clocks'
    statement trigger. `tz` is the office's time zone (already checked by the settings)."""
    tz = tz.replace("'", "")
    return f"""
-- The day a running clock due on office-time day `p_day` is filed under (see DUE_PAST).
CREATE OR REPLACE FUNCTION reports_stat_due_day(p_day date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_day < (now() AT TIME ZONE '{tz}')::date - 1 THEN DATE '{DUE_PAST}' ELSE p_day END
$$;

CREATE OR REPLACE FUNCTION reports_stat_due(p_due timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT reports_stat_due_day((p_due AT TIME ZONE '{tz}')::date)
$$;

-- The running clocks of one petition counted (signed) under `p_by` and `p_unit`: the petition
-- under its earliest running due day, each clock under its due day (in scope "" with the
-- clock's own unit, as the decided clocks are).
CREATE OR REPLACE FUNCTION reports_stat_running(
    p_id bigint, p_received timestamptz, p_channel text, p_category bigint, p_status text,
    p_group boolean, p_by text, p_unit bigint, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date := (p_received AT TIME ZONE '{tz}')::date;
BEGIN
    INSERT INTO reports_statdue ({DUE_COLUMNS})
    SELECT g.grain, reports_stat_period(g.grain, d),
           p_channel, p_category, p_status, p_group, p_by, x.clock, x.unit_id, x.due,
           p_sign * x.petitions, p_sign * x.clocks
    FROM (
        SELECT reports_stat_clock(name) AS clock,
               CASE WHEN p_by = '' THEN unit_id ELSE p_unit END AS unit_id,
               reports_stat_due(due_at) AS due, 0 AS petitions, count(*)::integer AS clocks
        FROM petitions_deadline WHERE petition_id = p_id AND {RUNNING_OF_PETITION.format("")}
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT '', p_unit, reports_stat_due(min(due_at)), 1, 0
        FROM petitions_deadline WHERE petition_id = p_id AND {RUNNING_OF_PETITION.format("")}
        HAVING count(*) > 0
    ) x CROSS JOIN {GRAINS} g(grain);
END $$;

CREATE OR REPLACE FUNCTION reports_stat_running_clocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[]; pids bigint[]; names text[]; uids bigint[]; dues timestamptz[];
    runs boolean[]; ds integer[];
BEGIN
    {PAUSED}
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg({RUNNING}), array_agg(1)
          INTO ids, pids, names, uids, dues, runs, ds FROM reports_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg({RUNNING}), array_agg(-1)
          INTO ids, pids, names, uids, dues, runs, ds FROM reports_old;
    ELSE
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg(running), array_agg(d)
          INTO ids, pids, names, uids, dues, runs, ds FROM (
            SELECT id, petition_id, name, unit_id, due_at, {RUNNING} AS running, -1 AS d
              FROM reports_old
            UNION ALL
            SELECT id, petition_id, name, unit_id, due_at, {RUNNING}, 1 FROM reports_new) x;
    END IF;
    IF ids IS NULL OR NOT (true = ANY(runs)) THEN RETURN NULL; END IF;  -- no running clock moved
    INSERT INTO reports_statdue ({DUE_COLUMNS})
    WITH ch AS (
        SELECT * FROM unnest(ids, pids, names, uids, dues, runs, ds)
            AS x(id, pid, name, unit_id, due_at, running, d)),
    -- The running clocks of the statement's petitions now, looked up per petition by index.
    running_now AS (
        SELECT a.pid, dl.id, dl.due_at FROM (SELECT DISTINCT pid FROM ch) a
        CROSS JOIN LATERAL (
            SELECT id, due_at FROM petitions_deadline
             WHERE petition_id = a.pid AND {RUNNING_OF_PETITION.format("")}) dl),
    -- Each petition's earliest running due after the statement and before it (now, less the
    -- statement's new rows, plus its old rows), as joins over the whole statement: compared
    -- petition by petition inside a subquery, the transition table was scanned once per
    -- petition (88 s for one INSERT of 15,000 clocks on 5,000 petitions).
    after_first AS (SELECT pid, min(due_at) AS due FROM running_now GROUP BY pid),
    before_first AS (
        SELECT pid, min(due_at) AS due FROM (
            SELECT r.pid, r.due_at FROM running_now r
             WHERE NOT EXISTS (SELECT 1 FROM ch n WHERE n.d = 1 AND n.id = r.id)
            UNION ALL
            SELECT o.pid, o.due_at FROM ch o WHERE o.d = -1 AND o.running) y
        GROUP BY pid),
    net AS (
        SELECT pid, clock, unit_id, due, sum(petitions)::integer AS petitions,
               sum(clocks)::integer AS clocks
        FROM (
            SELECT pid, reports_stat_clock(name) AS clock, unit_id, reports_stat_due(due_at) AS due,
                   0 AS petitions, d AS clocks FROM ch WHERE running
            UNION ALL
            SELECT pid, '', NULL, reports_stat_due(due), 1, 0 FROM after_first
            UNION ALL
            SELECT pid, '', NULL, reports_stat_due(due), -1, 0 FROM before_first
        ) x GROUP BY 1, 2, 3, 4 HAVING sum(petitions) <> 0 OR sum(clocks) <> 0),
    -- The units each petition is counted under, asked once per petition and scope (not once
    -- per changed clock: a registration's three clocks asked six times).
    units AS (
        SELECT a.pid, s.scope, u.unit_id FROM (SELECT DISTINCT pid FROM net) a
        CROSS JOIN (VALUES ('unit'), ('involved')) s(scope)
        CROSS JOIN LATERAL reports_stat_units(a.pid, s.scope) u(unit_id)),
    scoped AS (
        SELECT n.pid, '' AS scope, n.clock, n.unit_id, n.due, n.petitions, n.clocks FROM net n
        UNION ALL
        SELECT n.pid, u.scope, n.clock, u.unit_id, n.due, n.petitions, n.clocks
        FROM net n JOIN units u ON u.pid = n.pid)
    SELECT g.grain, reports_stat_period(g.grain, (p.received_at AT TIME ZONE '{tz}')::date),
           p.channel, p.category_id, p.status, p.is_group, s.scope, s.clock, s.unit_id, s.due,
           s.petitions, s.clocks
    -- A petition already deleted in this transaction took its clocks out itself. Looked up
    -- per row (LATERAL): estimated from a function's rows, a plain join hashed every petition
    -- (200 ms for one clock met at 10^5 petitions).
    FROM scoped s
         CROSS JOIN LATERAL (SELECT * FROM petitions_petition WHERE id = s.pid) p
         CROSS JOIN {GRAINS} g(grain);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS reports_stat_running_insert ON petitions_deadline;
DROP TRIGGER IF EXISTS reports_stat_running_update ON petitions_deadline;
DROP TRIGGER IF EXISTS reports_stat_running_delete ON petitions_deadline;
CREATE TRIGGER reports_stat_running_insert AFTER INSERT ON petitions_deadline
    REFERENCING NEW TABLE AS reports_new FOR EACH STATEMENT
    EXECUTE FUNCTION reports_stat_running_clocks();
CREATE TRIGGER reports_stat_running_update AFTER UPDATE ON petitions_deadline
    REFERENCING OLD TABLE AS reports_old NEW TABLE AS reports_new FOR EACH STATEMENT
    EXECUTE FUNCTION reports_stat_running_clocks();
CREATE TRIGGER reports_stat_running_delete AFTER DELETE ON petitions_deadline
    REFERENCING OLD TABLE AS reports_old FOR EACH STATEMENT
    EXECUTE FUNCTION reports_stat_running_clocks();
"""  # noqa: S608


DUE_DROP_SQL = """
DROP TRIGGER IF EXISTS reports_stat_running_insert ON petitions_deadline;
DROP TRIGGER IF EXISTS reports_stat_running_update ON petitions_deadline;
DROP TRIGGER IF EXISTS reports_stat_running_delete ON petitions_deadline;
DROP FUNCTION IF EXISTS reports_stat_running_clocks();
DROP FUNCTION IF EXISTS reports_stat_running(bigint, timestamptz, text, bigint, text, boolean, text,
                                             bigint, integer);
DROP FUNCTION IF EXISTS reports_stat_due(timestamptz);
DROP FUNCTION IF EXISTS reports_stat_due_day(date);
"""


def due_rebuild_sql(tz: str, petitions: str = "petitions_petition") -> str:
    """Refill reports_statdue; expects the temporary tables reports_pairs and reports_first_due
    of summary_sql's rebuild (every petition's counted units per scope, its earliest running
    due). With `petitions` a subset of the petitions (summary_sql.count_new), their rows are
    added instead, the table kept."""
    tz = tz.replace("'", "")
    day = f"(p.received_at AT TIME ZONE '{tz}')::date"
    truncate = "TRUNCATE reports_statdue;" if petitions == "petitions_petition" else ""
    return f"""
{truncate}
INSERT INTO reports_statdue ({DUE_COLUMNS})
SELECT g.grain, reports_stat_period(g.grain, x.day),
       x.channel, x.category_id, x.status, x.is_group, x.scope, x.clock, x.unit_id, x.due,
       sum(x.petitions), sum(x.clocks)
FROM (
    SELECT {day} AS day, p.channel, p.category_id, p.status, p.is_group, '' AS scope,
           reports_stat_clock(d.name) AS clock, d.unit_id, reports_stat_due(d.due_at) AS due,
           0 AS petitions, count(*)::integer AS clocks
    FROM petitions_deadline d JOIN {petitions} p ON p.id = d.petition_id
    WHERE d.met_at IS NULL AND d.paused_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    UNION ALL
    SELECT {day}, p.channel, p.category_id, p.status, p.is_group, '', '', NULL::bigint,
           reports_stat_due(f.first_due), count(*)::integer, 0
    FROM reports_first_due f JOIN {petitions} p ON p.id = f.petition_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    UNION ALL
    SELECT {day}, p.channel, p.category_id, p.status, p.is_group, pr.scope, reports_stat_clock(d.name),
           pr.unit_id, reports_stat_due(d.due_at), 0, count(*)::integer
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN petitions_deadline d ON d.petition_id = p.id
    WHERE d.met_at IS NULL AND d.paused_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    UNION ALL
    SELECT {day}, p.channel, p.category_id, p.status, p.is_group, pr.scope, '', pr.unit_id,
           reports_stat_due(f.first_due), count(*)::integer, 0
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN reports_first_due f ON f.petition_id = p.id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
) x CROSS JOIN {GRAINS} g(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ORDER BY 7, 1, 2;  -- scope, grain, day: the reads' index order (summary_sql's rebuild)
"""  # noqa: S608


def first_due_sql(only: str = "TRUE") -> str:
    """The temporary table of each petition's earliest running due, for the petitions `only`
    admits (a condition on petition_id)."""
    return f"""
DROP TABLE IF EXISTS pg_temp.reports_first_due;
CREATE TEMP TABLE reports_first_due AS
    SELECT petition_id, min(due_at) AS first_due FROM petitions_deadline WHERE {RUNNING} AND {only}
    GROUP BY petition_id;
"""  # noqa: S608


# Deltas folded into one row per key; due days that have become "before yesterday" since they
# were written fold into DUE_PAST (reports_stat_due maps them again).
DUE_COMPACT_SQL = f"""
WITH gone AS (DELETE FROM reports_statdue RETURNING {DUE_COLUMNS})
INSERT INTO reports_statdue ({DUE_COLUMNS})
SELECT grain, day, channel, category_id, status, is_group, scope, clock, unit_id,
       reports_stat_due_day(due),
       sum(petitions), sum(clocks) FROM gone
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 HAVING sum(petitions) <> 0 OR sum(clocks) <> 0
ORDER BY scope, grain, day
"""  # noqa: S608
