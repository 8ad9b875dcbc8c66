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
growing with every day. A row written under a day that has become past since is re-filed under
DUE_PAST by the next fold (summary_fold_sql.py); until then reads count it the same. Yesterday
keeps its own day so that an application server whose clock is a little behind the database's
around midnight still counts that day as stored, not live.

Clocks change in bulk (imports COPY them, services update several at once), so the clocks'
trigger is statement-level over the transition tables: a petition's earliest running due
before the statement is the table now without the statement's new rows, plus its old rows.
"""

from __future__ import annotations

from xinfang.reports.summary_rollup_sql import DUE_COLUMNS, STAT_COLUMNS, rollup_of, twins, with_rollup

DUE_PAST = "0001-01-01"
# Every change is written once per grain: the day, the month and the year it falls in, so that a
# period reads whole years, then whole months, then the days at its ends (summary_scope._period_q).
GRAINS = "(VALUES ('d'), ('m'), ('y'))"
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

-- 1 when the petition has a met clock and none met late (with no clock overdue now, the
-- standard report counts it "on time"), else 0.
-- PL/pgSQL, not SQL: a session keeps its plan (an SQL function with an aggregate is planned
-- again at every call, 0.14 ms, several times per petition written).
CREATE OR REPLACE FUNCTION reports_stat_settled(p_id bigint) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (count(*) > 0 AND bool_and(met_at <= due_at))::integer
            FROM petitions_deadline WHERE petition_id = p_id AND met_at IS NOT NULL);
END $$;

-- The running clocks of one petition counted (signed) under `p_by` and `p_unit`: the petition
-- under its earliest running due day (with its settled flag, and its met clocks' on time and
-- late), each running clock under its own due day (in scope "" with the clock's own unit, as
-- the decided clocks are).
CREATE OR REPLACE FUNCTION reports_stat_running(
    p_id bigint, p_received timestamptz, p_channel text, p_category bigint, p_status text,
    p_group boolean, p_repeat boolean, p_by text, p_unit bigint, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date := (p_received AT TIME ZONE '{tz}')::date; first timestamptz;
BEGIN
    SELECT min(due_at) INTO first
      FROM petitions_deadline WHERE petition_id = p_id AND {RUNNING_OF_PETITION.format("")};
    IF first IS NULL THEN RETURN; END IF;
    -- Each row twice, the second time the roll-up's (summary_rollup_sql.twins).
    INSERT INTO reports_statdue ({DUE_COLUMNS})
    SELECT g.grain, reports_stat_period(g.grain, d),
           k.channel, k.category_id, k.status, k.is_group, k.is_repeat, k.scope, x.clock, x.unit_id,
           x.due, p_sign * x.petitions, p_sign * x.settled, p_sign * x.clocks, p_sign * x.on_time,
           p_sign * x.late
    FROM (
        SELECT reports_stat_clock(name) AS clock,
               CASE WHEN p_by = '' THEN unit_id ELSE p_unit END AS unit_id,
               reports_stat_due(due_at) AS due, 0 AS petitions, 0 AS settled,
               count(*)::integer AS clocks, 0 AS on_time, 0 AS late
        FROM petitions_deadline WHERE petition_id = p_id AND {RUNNING_OF_PETITION.format("")}
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT '', p_unit, reports_stat_due(first), 1, reports_stat_settled(p_id), 0, 0, 0
        UNION ALL
        SELECT reports_stat_clock(name), CASE WHEN p_by = '' THEN unit_id ELSE p_unit END,
               reports_stat_due(first), 0, 0, 0,
               count(*) FILTER (WHERE met_at <= due_at)::integer,
               count(*) FILTER (WHERE met_at > due_at)::integer
        FROM petitions_deadline WHERE petition_id = p_id AND met_at IS NOT NULL
        GROUP BY 1, 2
    ) x CROSS JOIN {GRAINS} g(grain)
    CROSS JOIN {twins("p_channel", "p_category", "p_status", "p_group", "p_repeat", "p_by")};
END $$;

-- One generic plan, kept by the session: re-planned at every statement (the default's custom
-- plans, chosen because the arrays' sizes change the estimates), this statement cost three
-- times its execution (3.6 against 1.2 ms per clock written at 10^5); the joins it plans stay
-- hash or per-petition index joins at 15,000 clocks a statement.
CREATE OR REPLACE FUNCTION reports_stat_running_clocks() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    ids bigint[]; pids bigint[]; names text[]; uids bigint[]; dues timestamptz[];
    mets timestamptz[]; pauses timestamptz[]; ds integer[];
BEGIN
    {PAUSED}
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg(met_at), array_agg(paused_at), array_agg(1)
          INTO ids, pids, names, uids, dues, mets, pauses, ds FROM reports_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg(met_at), array_agg(paused_at), array_agg(-1)
          INTO ids, pids, names, uids, dues, mets, pauses, ds FROM reports_old;
    ELSE
        SELECT array_agg(id), array_agg(petition_id), array_agg(name), array_agg(unit_id),
               array_agg(due_at), array_agg(met_at), array_agg(paused_at), array_agg(d)
          INTO ids, pids, names, uids, dues, mets, pauses, ds FROM (
            SELECT id, petition_id, name, unit_id, due_at, met_at, paused_at, -1 AS d FROM reports_old
            UNION ALL
            SELECT id, petition_id, name, unit_id, due_at, met_at, paused_at, 1 FROM reports_new) x;
    END IF;
    -- Only running and met clocks count: a statement that moved neither changes nothing.
    IF ids IS NULL OR NOT EXISTS (
        SELECT 1 FROM unnest(mets, pauses) AS x(met_at, paused_at)
        WHERE met_at IS NOT NULL OR paused_at IS NULL) THEN
        RETURN NULL;
    END IF;
    WITH ch AS (
        SELECT * FROM unnest(ids, pids, names, uids, dues, mets, pauses, ds)
            AS x(id, pid, name, unit_id, due_at, met_at, paused_at, d)),
    -- The statement's petitions, read once (a petition already deleted in this transaction took
    -- its clocks out itself, so it has no row here), looked up per petition: estimated from a
    -- function's rows, a plain join hashed every petition (200 ms for one clock met at 10^5).
    pet AS (
        SELECT p.id, (p.received_at AT TIME ZONE '{tz}')::date AS day, p.channel, p.category_id,
               p.status, p.is_group, reports_stat_repeat(p.id) AS is_repeat
        FROM (SELECT DISTINCT pid FROM ch) a
        CROSS JOIN LATERAL (SELECT * FROM petitions_petition WHERE id = a.pid) p),
    -- The clocks of the statement's petitions now, looked up per petition by index.
    now_rows AS (
        SELECT a.pid, dl.id, dl.name, dl.unit_id, dl.due_at, dl.met_at, dl.paused_at
        FROM (SELECT DISTINCT pid FROM ch) a
        CROSS JOIN LATERAL (
            SELECT id, name, unit_id, due_at, met_at, paused_at FROM petitions_deadline
             WHERE petition_id = a.pid) dl),
    -- Each petition's clocks after the statement (side 1) and before it (side -1: now, less
    -- the statement's new rows, plus its old rows), as joins over the whole statement:
    -- compared petition by petition inside a subquery, the transition table was scanned once
    -- per petition (88 s for one INSERT of 15,000 clocks on 5,000 petitions).
    sides AS (
        SELECT 1 AS side, r.* FROM now_rows r
        UNION ALL
        SELECT -1, r.* FROM now_rows r WHERE NOT EXISTS (SELECT 1 FROM ch n WHERE n.d = 1 AND n.id = r.id)
        UNION ALL
        SELECT -1, o.pid, o.id, o.name, o.unit_id, o.due_at, o.met_at, o.paused_at
        FROM ch o WHERE o.d = -1),
    state AS (
        SELECT side, pid, min(due_at) FILTER (WHERE {RUNNING}) AS first_due,
               (count(met_at) > 0 AND count(*) FILTER (WHERE met_at > due_at) = 0)::integer AS settled
        FROM sides GROUP BY side, pid),
    net AS (
        SELECT pid, clock, unit_id, due, sum(petitions)::integer AS petitions,
               sum(settled)::integer AS settled, sum(clocks)::integer AS clocks,
               sum(on_time)::integer AS on_time, sum(late)::integer AS late
        FROM (
            SELECT pid, reports_stat_clock(name) AS clock, unit_id, reports_stat_due(due_at) AS due,
                   0 AS petitions, 0 AS settled, d AS clocks, 0 AS on_time, 0 AS late
            FROM ch WHERE {RUNNING}
            UNION ALL
            SELECT pid, '', NULL, reports_stat_due(first_due), side, side * settled, 0, 0, 0
            FROM state WHERE first_due IS NOT NULL
            UNION ALL
            SELECT s.pid, reports_stat_clock(s.name), s.unit_id, reports_stat_due(t.first_due), 0, 0, 0,
                   s.side * (s.met_at <= s.due_at)::integer, s.side * (s.met_at > s.due_at)::integer
            FROM sides s JOIN state t ON t.pid = s.pid AND t.side = s.side
            WHERE s.met_at IS NOT NULL AND t.first_due IS NOT NULL
        ) x GROUP BY 1, 2, 3, 4
        HAVING sum(petitions) <> 0 OR sum(settled) <> 0 OR sum(clocks) <> 0 OR sum(on_time) <> 0
            OR sum(late) <> 0),
    -- A petition whose settled flag changed: its own rows in reports_statcount, in every scope.
    moved AS (
        SELECT pid, sum(side * settled)::integer AS settled FROM state
        GROUP BY pid HAVING sum(side * settled) <> 0),
    counted_rows ({STAT_COLUMNS}) AS (
        SELECT g.grain, reports_stat_period(g.grain, p.day), p.channel, p.category_id, p.status,
               p.is_group, p.is_repeat, s.scope, '', s.unit_id, 0, m.settled, 0, 0
        FROM moved m
             JOIN pet p ON p.id = m.pid
             CROSS JOIN LATERAL (
                 SELECT '' AS scope, NULL::bigint AS unit_id
                 UNION ALL SELECT 'unit', u FROM reports_stat_units(m.pid, 'unit') u
                 UNION ALL SELECT 'involved', u FROM reports_stat_units(m.pid, 'involved') u) s
             CROSS JOIN {GRAINS} g(grain)),
    -- With their roll-up, summed over the statement's petitions (summary_rollup_sql).
    counted AS (
        INSERT INTO reports_statcount ({STAT_COLUMNS})
        SELECT {STAT_COLUMNS} FROM counted_rows
        UNION ALL {rollup_of("counted_rows", "reports_statcount")}),
    -- The units each petition is counted under, asked once per petition and scope (not once
    -- per changed clock: a registration's three clocks asked six times).
    units AS (
        SELECT a.pid, s.scope, u.unit_id FROM (SELECT DISTINCT pid FROM net) a
        CROSS JOIN (VALUES ('unit'), ('involved')) s(scope)
        CROSS JOIN LATERAL reports_stat_units(a.pid, s.scope) u(unit_id)),
    scoped AS (
        SELECT n.pid, '' AS scope, n.clock, n.unit_id, n.due, n.petitions, n.settled, n.clocks,
               n.on_time, n.late
        FROM net n
        UNION ALL
        SELECT n.pid, u.scope, n.clock, u.unit_id, n.due, n.petitions, n.settled, n.clocks,
               n.on_time, n.late
        FROM net n JOIN units u ON u.pid = n.pid),
    due_rows ({DUE_COLUMNS}) AS (
        SELECT g.grain, reports_stat_period(g.grain, p.day), p.channel, p.category_id, p.status,
               p.is_group, p.is_repeat, s.scope, s.clock, s.unit_id, s.due, s.petitions, s.settled,
               s.clocks, s.on_time, s.late
        FROM scoped s JOIN pet p ON p.id = s.pid CROSS JOIN {GRAINS} g(grain))
    INSERT INTO reports_statdue ({DUE_COLUMNS})
    SELECT {DUE_COLUMNS} FROM due_rows
    UNION ALL {rollup_of("due_rows", "reports_statdue")};
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
DROP FUNCTION IF EXISTS reports_stat_running(bigint, timestamptz, text, bigint, text, boolean, boolean,
                                             text, bigint, integer);
DROP FUNCTION IF EXISTS reports_stat_settled(bigint);
DROP FUNCTION IF EXISTS reports_stat_due(timestamptz);
DROP FUNCTION IF EXISTS reports_stat_due_day(date);
"""


def due_rebuild_sql(tz: str, petitions: str, *, truncate: bool, folded: bool) -> str:
    """Refill reports_statdue; expects the temporary tables reports_pairs and reports_first_due
    of summary_sql's rebuild (every petition's counted units per scope, its earliest running
    due). `petitions`: the petitions counted, with their is_repeat and settled flags; without
    `truncate` (summary_sql.count_new) their rows are added, the table kept. `folded`: written
    as folded rows (summary_sql._rebuild_sql says when)."""
    tz = tz.replace("'", "")
    day = f"(p.received_at AT TIME ZONE '{tz}')::date"
    keys = "p.channel, p.category_id, p.status, p.is_group, p.is_repeat"
    rows = f"""
SELECT g.grain, reports_stat_period(g.grain, x.day),
       x.channel, x.category_id, x.status, x.is_group, x.is_repeat, x.scope, x.clock, x.unit_id,
       x.due, sum(x.petitions), sum(x.settled), sum(x.clocks), sum(x.on_time), sum(x.late)
FROM (
    SELECT {day} AS day, {keys}, '' AS scope,
           reports_stat_clock(d.name) AS clock, d.unit_id, reports_stat_due(d.due_at) AS due,
           0 AS petitions, 0 AS settled, count(*)::integer AS clocks, 0 AS on_time, 0 AS late
    FROM petitions_deadline d JOIN {petitions} p ON p.id = d.petition_id
    WHERE d.met_at IS NULL AND d.paused_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    UNION ALL
    SELECT {day}, {keys}, '', '', NULL::bigint, reports_stat_due(f.first_due), count(*)::integer,
           sum(p.settled)::integer, 0, 0, 0
    FROM reports_first_due f JOIN {petitions} p ON p.id = f.petition_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    UNION ALL
    -- The met clocks of the petitions with a running one, under the petition's first due day.
    SELECT {day}, {keys}, '', reports_stat_clock(d.name), d.unit_id, reports_stat_due(f.first_due),
           0, 0, 0, count(*) FILTER (WHERE d.met_at <= d.due_at)::integer,
           count(*) FILTER (WHERE d.met_at > d.due_at)::integer
    FROM reports_first_due f JOIN {petitions} p ON p.id = f.petition_id
         JOIN petitions_deadline d ON d.petition_id = p.id
    WHERE d.met_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    UNION ALL
    SELECT {day}, {keys}, pr.scope, reports_stat_clock(d.name), pr.unit_id, reports_stat_due(d.due_at),
           0, 0, count(*)::integer, 0, 0
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN petitions_deadline d ON d.petition_id = p.id
    WHERE d.met_at IS NULL AND d.paused_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    UNION ALL
    SELECT {day}, {keys}, pr.scope, '', pr.unit_id, reports_stat_due(f.first_due), count(*)::integer,
           sum(p.settled)::integer, 0, 0, 0
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN reports_first_due f ON f.petition_id = p.id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    UNION ALL
    SELECT {day}, {keys}, pr.scope, reports_stat_clock(d.name), pr.unit_id,
           reports_stat_due(f.first_due), 0, 0, 0,
           count(*) FILTER (WHERE d.met_at <= d.due_at)::integer,
           count(*) FILTER (WHERE d.met_at > d.due_at)::integer
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN reports_first_due f ON f.petition_id = p.id
         JOIN petitions_deadline d ON d.petition_id = p.id
    WHERE d.met_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
) x CROSS JOIN {GRAINS} g(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"""  # noqa: S608
    # With their roll-up in the same statement; scope, grain, day: the reads' index order
    # (summary_sql's rebuild).
    return f"""
{"TRUNCATE reports_statdue;" if truncate else ""}
{with_rollup("reports_statdue", rows, order="ORDER BY 8, 1, 2", folded=folded)};
"""


def first_due_sql(only: str = "TRUE") -> str:
    """The temporary table of each petition's earliest running due, for the petitions `only`
    admits (a condition on petition_id)."""
    return f"""
DROP TABLE IF EXISTS pg_temp.reports_first_due;
CREATE TEMP TABLE reports_first_due AS
    SELECT petition_id, min(due_at) AS first_due FROM petitions_deadline WHERE {RUNNING} AND {only}
    GROUP BY petition_id;
ALTER TABLE reports_first_due ADD PRIMARY KEY (petition_id);
ANALYZE reports_first_due;
"""  # noqa: S608
