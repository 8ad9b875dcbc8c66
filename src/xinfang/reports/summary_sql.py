"""The PostgreSQL side of the statistics summary (reports/summary.py): trigger functions that
append a signed delta to reports_statcount for every change of what the statistics count, the
fold that compacts the deltas (its SQL in summary_fold_sql.py), and the full rebuild. The
running clocks' table (reports_statdue) has its own functions in summary_due_sql.py; the
petitions' and units' triggers here call them, and the rebuild and compaction cover both tables.

Why triggers and not the services: the counts must equal a COUNT over the petitions at every
moment (tests compare them with an SQL oracle). Rows reach the tables through the action
framework, but also through bulk loads (bench fills, imports) and corrections; a trigger sees
every one of them in the writing transaction, so the summary cannot drift whatever path wrote.
Deltas are appended, never updated in place: two registrations on the same day never wait for
one counter row, and no pair of transactions can deadlock on the summary.
The office's time zone decides the day; `rebuild_statistics` recreates the functions, so run it
after changing XINFANG_TIME_ZONE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from xinfang.reports.summary_due_sql import (
    DUE_DROP_SQL,
    GRAINS,
    PAUSED,
    due_functions_sql,
    due_rebuild_sql,
    first_due_sql,
)
from xinfang.reports.summary_fold_sql import COMPACT_SQL, due_compact_sql
from xinfang.reports.summary_rollup_sql import ROLLUP, ROLLUP_DROP_SQL, STAT_COLUMNS, twins, with_rollup

COLUMNS = STAT_COLUMNS
# What a petition is counted under: its own row (scope ""), once per handling unit (scope "unit",
# a unit with a standing assignment; unit NULL = none) and per involved unit (scope "involved").
PAIRS = (
    ("unit", "petitions_assignment", "status <> 'withdrawn'"),
    ("involved", "petitions_involvedunit", "TRUE"),
)
# A petition is a repeat petition while it has a row here (reports/filters.py `_repeat`).
REPEATS = "petitions_petition_repeat_of"
# The functions whose arguments changed: CREATE OR REPLACE would add an overload beside them.
OLD_SIGNATURES = """
DROP FUNCTION IF EXISTS reports_stat_emit(timestamptz, text, bigint, text, boolean, text, text, bigint,
                                          integer, integer, integer);
DROP FUNCTION IF EXISTS reports_stat_pair(bigint, timestamptz, text, bigint, text, boolean, text, bigint,
                                          integer);
DROP FUNCTION IF EXISTS reports_stat_running(bigint, timestamptz, text, bigint, text, boolean, text,
                                             bigint, integer);
"""
# The petition's columns every trigger reads, with its repeat flag.
PETITION = "received_at, channel, category_id, status, is_group, reports_stat_repeat(id) AS is_repeat"


def functions_sql(tz: str) -> str:
    # The only value spliced in is the office's time zone from the settings, an IANA name that
    # settings already checked; quotes are dropped all the same.
    tz = tz.replace("'", "")
    return f"""
{OLD_SIGNATURES}
CREATE OR REPLACE FUNCTION reports_stat_emit(
    p_received timestamptz, p_channel text, p_category bigint, p_status text, p_group boolean,
    p_repeat boolean, p_by text, p_clock text, p_unit bigint, p_petitions integer,
    p_settled integer, p_on_time integer, p_late integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date := (p_received AT TIME ZONE '{tz}')::date;
BEGIN
    IF p_petitions = 0 AND p_settled = 0 AND p_on_time = 0 AND p_late = 0 THEN RETURN; END IF;
    -- Each row twice, the second time the roll-up's (summary_rollup_sql.twins).
    INSERT INTO reports_statcount ({COLUMNS})
    SELECT g.grain, reports_stat_period(g.grain, d), k.channel, k.category_id, k.status,
           k.is_group, k.is_repeat, k.scope, p_clock, p_unit, p_petitions, p_settled, p_on_time,
           p_late
    FROM {GRAINS} g(grain)
    CROSS JOIN {twins("p_channel", "p_category", "p_status", "p_group", "p_repeat", "p_by")};
END $$;

-- The first day of the day, month or year (grain 'd', 'm', 'y') that holds `p_day`. Through
-- timestamp (without time zone), so that the body is as immutable as declared and the planner
-- inlines it (date_trunc of a date is the time-zone dependent timestamptz one).
CREATE OR REPLACE FUNCTION reports_stat_period(p_grain text, p_day date) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_grain WHEN 'd' THEN p_day WHEN 'm' THEN date_trunc('month', p_day::timestamp)::date
                ELSE date_trunc('year', p_day::timestamp)::date END
$$;

CREATE OR REPLACE FUNCTION reports_stat_clock(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_name LIKE 'assignment:%' THEN 'assignment' ELSE p_name END
$$;

CREATE OR REPLACE FUNCTION reports_stat_repeat(p_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM {REPEATS} WHERE from_petition_id = p_id);
END $$;
{due_functions_sql(tz)}
-- One (petition, unit) pair counted under `p_by`, with the petition's decided clocks and its
-- running ones (reports_statdue), signed.
CREATE OR REPLACE FUNCTION reports_stat_pair(
    p_id bigint, p_received timestamptz, p_channel text, p_category bigint, p_status text,
    p_group boolean, p_repeat boolean, p_by text, p_unit bigint, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    PERFORM reports_stat_emit(p_received, p_channel, p_category, p_status, p_group, p_repeat, p_by,
                              '', p_unit, p_sign, p_sign * reports_stat_settled(p_id), 0, 0);
    FOR r IN SELECT reports_stat_clock(name) AS clock,
                    count(*) FILTER (WHERE met_at <= due_at)::integer AS on_time,
                    count(*) FILTER (WHERE met_at > due_at)::integer AS late
             FROM petitions_deadline WHERE petition_id = p_id AND met_at IS NOT NULL GROUP BY 1 LOOP
        PERFORM reports_stat_emit(p_received, p_channel, p_category, p_status, p_group, p_repeat,
                                  p_by, r.clock, p_unit, 0, 0, p_sign * r.on_time, p_sign * r.late);
    END LOOP;
    PERFORM reports_stat_running(p_id, p_received, p_channel, p_category, p_status, p_group,
                                 p_repeat, p_by, p_unit, p_sign);
END $$;

-- The units a petition is counted under now (NULL when it has none), for `p_by`.
CREATE OR REPLACE FUNCTION reports_stat_units(p_id bigint, p_by text) RETURNS SETOF bigint
LANGUAGE plpgsql STABLE ROWS 2 AS $$
BEGIN
    IF p_by = 'unit' THEN
        RETURN QUERY SELECT DISTINCT unit_id FROM petitions_assignment
                     WHERE petition_id = p_id AND status <> 'withdrawn';
        IF NOT FOUND THEN RETURN QUERY SELECT NULL::bigint; END IF;
    ELSE
        RETURN QUERY SELECT DISTINCT unit_id FROM petitions_involvedunit WHERE petition_id = p_id;
        IF NOT FOUND THEN RETURN QUERY SELECT NULL::bigint; END IF;
    END IF;
END $$;

-- Everything one petition is counted under (signed), as its columns and repeat flag say: its
-- own row, its decided and running clocks, and the same per unit it is counted under.
CREATE OR REPLACE FUNCTION reports_stat_whole(
    p_id bigint, p_received timestamptz, p_channel text, p_category bigint, p_status text,
    p_group boolean, p_repeat boolean, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record; b text; u bigint;
BEGIN
    PERFORM reports_stat_emit(p_received, p_channel, p_category, p_status, p_group, p_repeat, '', '',
                              NULL, p_sign, p_sign * reports_stat_settled(p_id), 0, 0);
    PERFORM reports_stat_running(p_id, p_received, p_channel, p_category, p_status, p_group,
                                 p_repeat, '', NULL, p_sign);
    FOREACH b IN ARRAY ARRAY['unit', 'involved'] LOOP
        FOR u IN SELECT * FROM reports_stat_units(p_id, b) LOOP
            PERFORM reports_stat_pair(p_id, p_received, p_channel, p_category, p_status, p_group,
                                      p_repeat, b, u, p_sign);
        END LOOP;
    END LOOP;
    FOR r IN SELECT reports_stat_clock(name) AS clock, unit_id,
                    count(*) FILTER (WHERE met_at <= due_at)::integer AS on_time,
                    count(*) FILTER (WHERE met_at > due_at)::integer AS late
             FROM petitions_deadline WHERE petition_id = p_id AND met_at IS NOT NULL
             GROUP BY 1, 2 LOOP
        PERFORM reports_stat_emit(p_received, p_channel, p_category, p_status, p_group, p_repeat, '',
                                  r.clock, r.unit_id, 0, 0, p_sign * r.on_time, p_sign * r.late);
    END LOOP;
END $$;

-- A petition's change moves everything it is counted under from its old columns to its new
-- ones (or out, or in). Its clocks and units already written are counted with it: a petition
-- deleted before its clocks takes them out here, and their own delete then finds no petition.
CREATE OR REPLACE FUNCTION reports_stat_petition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE rep boolean; d date;
BEGIN
    {PAUSED}
    IF TG_OP = 'UPDATE' AND NEW.received_at = OLD.received_at AND NEW.channel = OLD.channel
       AND NEW.category_id = OLD.category_id AND NEW.status = OLD.status
       AND NEW.is_group = OLD.is_group THEN
        RETURN NULL;
    END IF;
    rep := reports_stat_repeat(COALESCE(NEW.id, OLD.id));
    -- A new petition with nothing of its own written yet (registration writes its clocks and
    -- units after it): what reports_stat_whole would emit, one row per scope ("no unit" under
    -- both unit scopes) and grain, with their roll-up, in ONE statement instead of about
    -- fifteen. No clock, so not settled.
    IF TG_OP = 'INSERT'
       AND NOT EXISTS (SELECT 1 FROM petitions_deadline WHERE petition_id = NEW.id)
       AND NOT EXISTS (SELECT 1 FROM petitions_assignment WHERE petition_id = NEW.id)
       AND NOT EXISTS (SELECT 1 FROM petitions_involvedunit WHERE petition_id = NEW.id) THEN
        d := (NEW.received_at AT TIME ZONE '{tz}')::date;
        INSERT INTO reports_statcount ({COLUMNS})
        SELECT g.grain, reports_stat_period(g.grain, d), k.channel, k.category_id, k.status,
               k.is_group, k.is_repeat, k.scope, '', NULL, 1, 0, 0, 0
        FROM {GRAINS} g(grain) CROSS JOIN (VALUES ({"), (".join(f"'{b}'" for b in ROLLUP)})) s(scope)
        CROSS JOIN {twins("NEW.channel", "NEW.category_id", "NEW.status", "NEW.is_group", "rep", "s.scope")};
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM reports_stat_whole(OLD.id, OLD.received_at, OLD.channel, OLD.category_id,
                                   OLD.status, OLD.is_group, rep, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM reports_stat_whole(NEW.id, NEW.received_at, NEW.channel, NEW.category_id,
                                   NEW.status, NEW.is_group, rep, 1);
    END IF;
    RETURN NULL;
END $$;

-- A petition becomes a repeat petition with its first link and stops being one with its last:
-- everything it is counted under moves between the flag's two values. Statement-level, over
-- the transition tables, like the units' triggers.
CREATE OR REPLACE FUNCTION reports_stat_repeats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pids bigint[]; ds integer[]; r record; p record; n_after integer;
BEGIN
    {PAUSED}
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(from_petition_id), array_agg(1) INTO pids, ds FROM reports_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(from_petition_id), array_agg(-1) INTO pids, ds FROM reports_old;
    ELSE
        SELECT array_agg(pid), array_agg(d) INTO pids, ds FROM (
            SELECT from_petition_id AS pid, -1 AS d FROM reports_old
            UNION ALL SELECT from_petition_id, 1 FROM reports_new) x;
    END IF;
    IF pids IS NULL THEN RETURN NULL; END IF;
    FOR r IN SELECT x.pid, sum(x.d)::integer AS d FROM unnest(pids, ds) AS x(pid, d)
             GROUP BY 1 HAVING sum(x.d) <> 0 LOOP
        SELECT received_at, channel, category_id, status, is_group INTO p
          FROM petitions_petition WHERE id = r.pid;
        CONTINUE WHEN NOT FOUND;  -- a petition deleted first took its rows out itself
        SELECT count(*) INTO n_after FROM {REPEATS} WHERE from_petition_id = r.pid;
        IF (n_after > 0) <> (n_after - r.d > 0) THEN
            PERFORM reports_stat_whole(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                       p.is_group, n_after - r.d > 0, -1);
            PERFORM reports_stat_whole(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                       p.is_group, n_after > 0, 1);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- One decided clock of petition `p_id` counted (signed) under the petition and its units.
CREATE OR REPLACE FUNCTION reports_stat_decided(
    p_id bigint, p_name text, p_unit bigint, p_on_time integer, p_late integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record; b text; u bigint;
BEGIN
    SELECT {PETITION} INTO p FROM petitions_petition WHERE id = p_id;
    IF NOT FOUND THEN RETURN; END IF;  -- the petition's own delete already took its clocks out
    PERFORM reports_stat_emit(p.received_at, p.channel, p.category_id, p.status, p.is_group,
                              p.is_repeat, '', reports_stat_clock(p_name), p_unit, 0, 0, p_on_time,
                              p_late);
    FOREACH b IN ARRAY ARRAY['unit', 'involved'] LOOP
        FOR u IN SELECT * FROM reports_stat_units(p_id, b) LOOP
            PERFORM reports_stat_emit(p.received_at, p.channel, p.category_id, p.status,
                p.is_group, p.is_repeat, b, reports_stat_clock(p_name), u, 0, 0, p_on_time, p_late);
        END LOOP;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION reports_stat_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {PAUSED}
    IF TG_OP = 'UPDATE' AND NEW.petition_id = OLD.petition_id AND NEW.name = OLD.name
       AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id
       AND (NEW.met_at IS NULL) = (OLD.met_at IS NULL)
       AND (NEW.met_at IS NULL OR (NEW.met_at <= NEW.due_at) = (OLD.met_at <= OLD.due_at)) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.met_at IS NOT NULL THEN
        PERFORM reports_stat_decided(OLD.petition_id, OLD.name, OLD.unit_id,
            -(OLD.met_at <= OLD.due_at)::integer, -(OLD.met_at > OLD.due_at)::integer);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.met_at IS NOT NULL THEN
        PERFORM reports_stat_decided(NEW.petition_id, NEW.name, NEW.unit_id,
            (NEW.met_at <= NEW.due_at)::integer, (NEW.met_at > NEW.due_at)::integer);
    END IF;
    RETURN NULL;
END $$;
{_pair_trigger("unit", "petitions_assignment", "status <> 'withdrawn'")}
{_pair_trigger("involved", "petitions_involvedunit", "TRUE")}
DROP TRIGGER IF EXISTS reports_stat_petition ON petitions_petition;
CREATE TRIGGER reports_stat_petition AFTER INSERT OR UPDATE OR DELETE ON petitions_petition
    FOR EACH ROW EXECUTE FUNCTION reports_stat_petition();
DROP TRIGGER IF EXISTS reports_stat_deadline ON petitions_deadline;
CREATE TRIGGER reports_stat_deadline AFTER INSERT OR UPDATE OR DELETE ON petitions_deadline
    FOR EACH ROW EXECUTE FUNCTION reports_stat_deadline();
DROP TRIGGER IF EXISTS reports_stat_repeat_insert ON {REPEATS};
DROP TRIGGER IF EXISTS reports_stat_repeat_update ON {REPEATS};
DROP TRIGGER IF EXISTS reports_stat_repeat_delete ON {REPEATS};
CREATE TRIGGER reports_stat_repeat_insert AFTER INSERT ON {REPEATS}
    REFERENCING NEW TABLE AS reports_new FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_repeats();
CREATE TRIGGER reports_stat_repeat_update AFTER UPDATE ON {REPEATS}
    REFERENCING OLD TABLE AS reports_old NEW TABLE AS reports_new
    FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_repeats();
CREATE TRIGGER reports_stat_repeat_delete AFTER DELETE ON {REPEATS}
    REFERENCING OLD TABLE AS reports_old FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_repeats();
"""  # noqa: S608


def _pair_trigger(scope: str, table: str, live: str) -> str:
    """A petition enters a unit's count when its first standing row for that unit appears and
    leaves it when the last one goes (and "no unit" the other way round). Statement-level, over
    the statement's transition tables: a row-level AFTER trigger already sees every row of a
    multi-row statement (bulk inserts), so "before" is "after" minus the statement's own rows.
    The services change a petition's assignments under the petition's lock."""
    return f"""
CREATE OR REPLACE FUNCTION reports_stat_{scope}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pids bigint[]; uids bigint[]; ds integer[];
    r record; p record; n_after integer;
BEGIN
    {PAUSED}
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(petition_id), array_agg(unit_id), array_agg(1) INTO pids, uids, ds
          FROM reports_new WHERE {live};
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(petition_id), array_agg(unit_id), array_agg(-1) INTO pids, uids, ds
          FROM reports_old WHERE {live};
    ELSE
        SELECT array_agg(pid), array_agg(uid), array_agg(d) INTO pids, uids, ds FROM (
            SELECT petition_id AS pid, unit_id AS uid, -1 AS d FROM reports_old WHERE {live}
            UNION ALL
            SELECT petition_id, unit_id, 1 FROM reports_new WHERE {live}) x;
    END IF;
    IF pids IS NULL THEN RETURN NULL; END IF;
    FOR r IN SELECT x.pid, x.uid, sum(x.d)::integer AS d FROM unnest(pids, uids, ds) AS x(pid, uid, d)
             GROUP BY 1, 2 HAVING sum(x.d) <> 0 LOOP
        SELECT {PETITION} INTO p FROM petitions_petition WHERE id = r.pid;
        CONTINUE WHEN NOT FOUND;
        SELECT count(*) INTO n_after FROM {table} WHERE petition_id = r.pid AND unit_id = r.uid AND {live};
        IF n_after - r.d = 0 AND n_after > 0 THEN
            PERFORM reports_stat_pair(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                      p.is_group, p.is_repeat, '{scope}', r.uid, 1);
        ELSIF n_after - r.d > 0 AND n_after = 0 THEN
            PERFORM reports_stat_pair(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                      p.is_group, p.is_repeat, '{scope}', r.uid, -1);
        END IF;
    END LOOP;
    FOR r IN SELECT x.pid, sum(x.d)::integer AS d FROM unnest(pids, ds) AS x(pid, d)
             GROUP BY 1 HAVING sum(x.d) <> 0 LOOP
        SELECT {PETITION} INTO p FROM petitions_petition WHERE id = r.pid;
        CONTINUE WHEN NOT FOUND;
        SELECT count(*) INTO n_after FROM {table} WHERE petition_id = r.pid AND {live};
        IF n_after - r.d = 0 AND n_after > 0 THEN
            PERFORM reports_stat_pair(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                      p.is_group, p.is_repeat, '{scope}', NULL, -1);
        ELSIF n_after - r.d > 0 AND n_after = 0 THEN
            PERFORM reports_stat_pair(r.pid, p.received_at, p.channel, p.category_id, p.status,
                                      p.is_group, p.is_repeat, '{scope}', NULL, 1);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS reports_stat_{scope} ON {table};
DROP TRIGGER IF EXISTS reports_stat_{scope}_insert ON {table};
DROP TRIGGER IF EXISTS reports_stat_{scope}_update ON {table};
DROP TRIGGER IF EXISTS reports_stat_{scope}_delete ON {table};
CREATE TRIGGER reports_stat_{scope}_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS reports_new FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_{scope}();
CREATE TRIGGER reports_stat_{scope}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS reports_old NEW TABLE AS reports_new
    FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_{scope}();
CREATE TRIGGER reports_stat_{scope}_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS reports_old FOR EACH STATEMENT EXECUTE FUNCTION reports_stat_{scope}();
"""  # noqa: S608


DROP_SQL = (
    ROLLUP_DROP_SQL
    + DUE_DROP_SQL
    + OLD_SIGNATURES
    + f"""
DROP TRIGGER IF EXISTS reports_stat_petition ON petitions_petition;
DROP TRIGGER IF EXISTS reports_stat_deadline ON petitions_deadline;
DROP TRIGGER IF EXISTS reports_stat_unit_insert ON petitions_assignment;
DROP TRIGGER IF EXISTS reports_stat_unit_update ON petitions_assignment;
DROP TRIGGER IF EXISTS reports_stat_unit_delete ON petitions_assignment;
DROP TRIGGER IF EXISTS reports_stat_involved_insert ON petitions_involvedunit;
DROP TRIGGER IF EXISTS reports_stat_involved_update ON petitions_involvedunit;
DROP TRIGGER IF EXISTS reports_stat_involved_delete ON petitions_involvedunit;
DROP TRIGGER IF EXISTS reports_stat_repeat_insert ON {REPEATS};
DROP TRIGGER IF EXISTS reports_stat_repeat_update ON {REPEATS};
DROP TRIGGER IF EXISTS reports_stat_repeat_delete ON {REPEATS};
DROP FUNCTION IF EXISTS reports_stat_petition();
DROP FUNCTION IF EXISTS reports_stat_deadline();
DROP FUNCTION IF EXISTS reports_stat_unit();
DROP FUNCTION IF EXISTS reports_stat_involved();
DROP FUNCTION IF EXISTS reports_stat_repeats();
DROP FUNCTION IF EXISTS reports_stat_decided(bigint, text, bigint, integer, integer);
DROP FUNCTION IF EXISTS reports_stat_units(bigint, text);
DROP FUNCTION IF EXISTS reports_stat_whole(bigint, timestamptz, text, bigint, text, boolean, boolean,
                                           integer);
DROP FUNCTION IF EXISTS reports_stat_pair(bigint, timestamptz, text, bigint, text, boolean, boolean,
                                          text, bigint, integer);
DROP FUNCTION IF EXISTS reports_stat_emit(timestamptz, text, bigint, text, boolean, boolean, text, text,
                                          bigint, integer, integer, integer, integer);
DROP FUNCTION IF EXISTS reports_stat_repeat(bigint);
DROP FUNCTION IF EXISTS reports_stat_clock(text);
DROP FUNCTION IF EXISTS reports_stat_period(text, date);
"""
)

# The petitions count_new counts: those in its temporary table (a subquery the planner flattens
# into a join, so only their rows of each table are read).
BATCH = "(SELECT pp.* FROM petitions_petition pp WHERE pp.id IN (SELECT id FROM reports_batch))"
# The temporary tables are looked up by petition id. Inside an import's transaction the planner
# still has the statistics from before it: a petition table of the old size whose petitions all
# had handling units, so it expected one petition without a unit where an import of 10⁵ rows
# brings tens of thousands, and probed the batch once per such petition. Without an index each
# probe read the whole batch (the recount of a 10⁵-row import into a 10⁵ database: 662 s in one
# statement); with a key each probe is one index look-up (0.9 s).
TEMP_KEYS = """ALTER TABLE reports_repeats ADD PRIMARY KEY (petition_id);
ALTER TABLE reports_settled ADD PRIMARY KEY (petition_id);"""
IN_BATCH = "petition_id IN (SELECT id FROM reports_batch)"
# The batch's petitions with their two flags, written once: joined as a subquery, each of the
# recount's ten joins read them again from the petitions' table and probed both flags' tables.
BATCH_PETITIONS = """DROP TABLE IF EXISTS pg_temp.reports_batch_petitions;
CREATE TEMP TABLE reports_batch_petitions AS {flagged};
ALTER TABLE reports_batch_petitions ADD PRIMARY KEY (id);
ANALYZE reports_batch_petitions;"""


def _rebuild_sql(tz: str, *, batch: bool = False, folded: bool = True) -> str:
    """Recount everything (the tables emptied first) or, with `batch`, append the rows of the
    petitions in the temporary table reports_batch, the other rows kept: the summary is a sum
    over petitions, so a petition's rows are the same whichever way they are written. A recount
    writes one row per key into the emptied tables, so its rows are folded ones; a batch's are
    pending (their keys may have rows already), as the triggers' are. `folded=False`: the
    tables have no `pending` column yet (a migration before reports 0011 recounting)."""
    folded = folded and not batch
    tz = tz.replace("'", "")
    day = f"(p.received_at AT TIME ZONE '{tz}')::date"
    only = IN_BATCH if batch else "TRUE"
    # The petitions with their two flags, read from temporary tables of the flagged ones (one
    # pass over the links and the met clocks instead of a lookup per petition).
    flagged = f"""SELECT {"q.id, q.received_at, q.channel, q.category_id, q.status, q.is_group" if batch else "q.*"},
        rp.petition_id IS NOT NULL AS is_repeat, (st.petition_id IS NOT NULL)::integer AS settled
        FROM {BATCH if batch else "petitions_petition"} q
        LEFT JOIN reports_repeats rp ON rp.petition_id = q.id
        LEFT JOIN reports_settled st ON st.petition_id = q.id"""  # noqa: S608
    # A batch's petitions are read once, into a keyed temporary table of the columns counted,
    # flags included: the statements below join them ten times (BATCH_PETITIONS says why).
    petitions = "reports_batch_petitions" if batch else f"({flagged})"
    keys = "p.channel, p.category_id, p.status, p.is_group, p.is_repeat"
    pairs = " UNION ALL ".join(
        f"""SELECT DISTINCT '{by}' AS scope, petition_id, unit_id FROM {table} WHERE {live} AND {only}
            UNION ALL SELECT '{by}', p.id, NULL FROM {petitions} p WHERE NOT EXISTS (
                SELECT 1 FROM {table} WHERE petition_id = p.id AND {live})"""  # noqa: S608
        for by, table, live in PAIRS
    )
    # Every petition's rows, summed by key, with their roll-up (summary_rollup_sql.with_rollup)
    # in the same statement; ordered by scope, grain, day: in the reads' index order, so a read
    # touches few pages.
    rows = f"""
SELECT g.grain, reports_stat_period(g.grain, x.day),
       x.channel, x.category_id, x.status, x.is_group, x.is_repeat, x.scope, x.clock, x.unit_id,
       sum(x.petitions), sum(x.settled), sum(x.on_time), sum(x.late)
FROM (
    SELECT {day} AS day, {keys}, '' AS scope, '' AS clock, NULL::bigint AS unit_id,
           count(*)::integer AS petitions, sum(p.settled)::integer AS settled, 0 AS on_time, 0 AS late
    FROM {petitions} p GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    SELECT {day}, {keys}, '', reports_stat_clock(d.name), d.unit_id, 0, 0,
           count(*) FILTER (WHERE d.met_at <= d.due_at)::integer,
           count(*) FILTER (WHERE d.met_at > d.due_at)::integer
    FROM petitions_deadline d JOIN {petitions} p ON p.id = d.petition_id
    WHERE d.met_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    UNION ALL
    SELECT {day}, {keys}, pr.scope, '', pr.unit_id, count(*)::integer, sum(p.settled)::integer, 0, 0
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    UNION ALL
    SELECT {day}, {keys}, pr.scope, reports_stat_clock(d.name), pr.unit_id, 0, 0,
           count(*) FILTER (WHERE d.met_at <= d.due_at)::integer,
           count(*) FILTER (WHERE d.met_at > d.due_at)::integer
    FROM reports_pairs pr JOIN {petitions} p ON p.id = pr.petition_id
         JOIN petitions_deadline d ON d.petition_id = p.id
    WHERE d.met_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
) x CROSS JOIN {GRAINS} g(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""  # noqa: S608
    return f"""
{"" if batch else "TRUNCATE reports_statcount;"}
DROP TABLE IF EXISTS pg_temp.reports_repeats;
CREATE TEMP TABLE reports_repeats AS
    SELECT DISTINCT from_petition_id AS petition_id FROM {REPEATS}
    WHERE {only.replace("petition_id", "from_petition_id")};
DROP TABLE IF EXISTS pg_temp.reports_settled;
CREATE TEMP TABLE reports_settled AS
    SELECT petition_id FROM petitions_deadline WHERE met_at IS NOT NULL AND {only}
    GROUP BY petition_id HAVING bool_and(met_at <= due_at);
{TEMP_KEYS}
ANALYZE reports_repeats; ANALYZE reports_settled;
{BATCH_PETITIONS.format(flagged=flagged) if batch else ""}
DROP TABLE IF EXISTS pg_temp.reports_pairs;
CREATE TEMP TABLE reports_pairs AS {pairs};
CREATE INDEX ON reports_pairs (petition_id);
ANALYZE reports_pairs;
{with_rollup("reports_statcount", rows, order="ORDER BY 8, 1, 2", folded=folded)};
{first_due_sql(only)}
{due_rebuild_sql(tz, petitions, truncate=not batch, folded=folded)}
DROP TABLE reports_pairs;
DROP TABLE reports_first_due;
DROP TABLE reports_repeats;
DROP TABLE reports_settled;
{"DROP TABLE reports_batch_petitions;" if batch else ""}
{"" if batch else "ANALYZE reports_statcount; ANALYZE reports_statdue;"}
"""  # noqa: S608


def install(schema_editor=None) -> None:
    """(Re)create the functions and triggers; PostgreSQL only."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(functions_sql(settings.TIME_ZONE))
        # The roll-up's trigger of migration 0008: the functions write the roll-up themselves now.
        cursor.execute(ROLLUP_DROP_SQL)


def rebuild(schema_editor=None, *, reinstall: bool = True) -> None:
    """Recompute the whole summary from the petitions and clocks, writers held off meanwhile.
    `reinstall=False`: the functions and triggers are known to be current (the migrations
    just ran), and re-creating the triggers would take an exclusive lock on the petitions'
    tables, waiting for every reader (the bench recounts while the search index is rebuilt
    on another connection, whose reads would then deadlock with it)."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    # Its own transaction (a savepoint inside the caller's): the lock below is refused outside
    # one, and the truncate and the recount must land together.
    with transaction.atomic(using=conn.alias):
        if reinstall:
            install(schema_editor)
        with conn.cursor() as cursor:
            # SHARE: readers go on, writers wait, so no change falls between the count and the triggers.
            cursor.execute(
                "LOCK TABLE petitions_petition, petitions_deadline, petitions_assignment, "
                "petitions_involvedunit IN SHARE MODE"
            )
            cursor.execute(_rebuild_sql(settings.TIME_ZONE, folded=_has_pending(cursor)))


def _has_pending(cursor) -> bool:
    """Whether the summary tables have their `pending` column (reports 0011): the migrations
    before it recount with this module's SQL too."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'reports_statcount'::regclass "
        "AND attname = 'pending' AND NOT attisdropped)"
    )
    return cursor.fetchone()[0]


def pause() -> None:
    """Switch the summary's triggers off for the rest of this transaction (PostgreSQL; a
    rollback to an earlier savepoint switches them on again). For a writer of many new petitions
    (the ledger import): row by row, the triggers cost the petitions' COPY about 2 ms a
    petition (several statements each, measured at 10⁴ rows), and the clocks' statement trigger
    grows with the square of a statement's rows. Everything written while paused must belong
    to the petitions then given to count_new, which counts them in one pass."""
    _set_paused("on", local=True)


def resume() -> None:
    _set_paused("off", local=True)


def pause_session() -> None:
    """pause() for the whole connection, across its commits, until resume_session(): for a
    data loader that writes batch by batch with the database to itself (bench/load.py) and then
    recounts with rebuild(). Never in the application: other transactions on the connection
    would not be counted."""
    _set_paused("on", local=False)


def resume_session() -> None:
    _set_paused("off", local=False)


def _set_paused(value: str, *, local: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('xinfang.stat_paused', %s, %s)", [value, local])


def count_new(ids) -> None:
    """Append the summary rows of the petitions `ids`, written whole (their clocks, units and
    assignments included) in this transaction while the triggers were paused: the rows a
    rebuild would count for them, so the summary equals a recount again."""
    ids = list(ids)
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        create_batch(cursor, ids)
        cursor.execute(_rebuild_sql(settings.TIME_ZONE, batch=True))
        cursor.execute("DROP TABLE reports_batch")


def create_batch(cursor, ids: list[int]) -> None:
    """The temporary table of the petitions count_new counts, keyed (TEMP_KEYS says why)."""
    cursor.execute("DROP TABLE IF EXISTS pg_temp.reports_batch")
    cursor.execute("CREATE TEMP TABLE reports_batch (id bigint PRIMARY KEY) ON COMMIT DROP")
    cursor.execute("INSERT INTO reports_batch SELECT DISTINCT unnest(%s::bigint[])", [ids])
    # Its size, so that the planner looks the batch's rows up by index instead of reading
    # every petition.
    cursor.execute("ANALYZE reports_batch")


def compact() -> int:
    """Fold the appended deltas: every key with a pending row (or, in reports_statdue, a due day
    now past) becomes one folded row, the other keys are left alone (summary_fold_sql says how
    and why that is exact under concurrent writers). Returns the folded rows written, -1 when
    another fold holds the lock. One at a time."""
    if connection.vendor != "postgresql":
        return 0
    # One transaction: the lock is the transaction's. The roll-up rows fold with the others
    # (their own keys).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('reports_statcount'))")
        if not cursor.fetchone()[0]:
            return -1
        # The keys and the deleted rows are sorted to be grouped: a large catch-up (10⁵ keys)
        # sorted on disk with the default 4 MB.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(COMPACT_SQL)
        rows = cursor.rowcount
        cursor.execute(due_compact_sql(settings.TIME_ZONE))
        rows += cursor.rowcount
        return rows


def row_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM reports_statcount) + (SELECT count(*) FROM reports_statdue)"
        )
        return cursor.fetchone()[0]
