"""The PostgreSQL side of the statistics summary (reports/summary.py): trigger functions that
append a signed delta to reports_statcount for every change of what the statistics count, the
fold that compacts the deltas, and the full rebuild.

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
from django.db import connection

COLUMNS = "grain, day, channel, category_id, status, is_group, clock, unit_id, petitions, on_time, late"


def functions_sql(tz: str) -> str:
    # The only value spliced in is the office's time zone from the settings, an IANA name that
    # settings already checked; quotes are dropped all the same.
    tz = tz.replace("'", "")
    return f"""
CREATE OR REPLACE FUNCTION reports_stat_emit(
    p_received timestamptz, p_channel text, p_category bigint, p_status text, p_group boolean,
    p_clock text, p_unit bigint, p_petitions integer, p_on_time integer, p_late integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date := (p_received AT TIME ZONE '{tz}')::date;
BEGIN
    IF p_petitions = 0 AND p_on_time = 0 AND p_late = 0 THEN RETURN; END IF;
    INSERT INTO reports_statcount ({COLUMNS}) VALUES
      ('d', d, p_channel, p_category, p_status, p_group, p_clock, p_unit, p_petitions, p_on_time, p_late),
      ('m', date_trunc('month', d)::date, p_channel, p_category, p_status, p_group, p_clock, p_unit,
       p_petitions, p_on_time, p_late);
END $$;

CREATE OR REPLACE FUNCTION reports_stat_clock(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_name LIKE 'assignment:%' THEN 'assignment' ELSE p_name END
$$;

CREATE OR REPLACE FUNCTION reports_stat_petition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.received_at = OLD.received_at AND NEW.channel = OLD.channel
       AND NEW.category_id = OLD.category_id AND NEW.status = OLD.status
       AND NEW.is_group = OLD.is_group THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM reports_stat_emit(OLD.received_at, OLD.channel, OLD.category_id, OLD.status,
                                  OLD.is_group, '', NULL, -1, 0, 0);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM reports_stat_emit(NEW.received_at, NEW.channel, NEW.category_id, NEW.status,
                                  NEW.is_group, '', NULL, 1, 0, 0);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- The petition's decided clocks move with it to its new day, channel, category, status.
        FOR r IN SELECT reports_stat_clock(name) AS clock, unit_id,
                        count(*) FILTER (WHERE met_at <= due_at)::integer AS on_time,
                        count(*) FILTER (WHERE met_at > due_at)::integer AS late
                 FROM petitions_deadline WHERE petition_id = NEW.id AND met_at IS NOT NULL
                 GROUP BY 1, 2 LOOP
            PERFORM reports_stat_emit(OLD.received_at, OLD.channel, OLD.category_id, OLD.status,
                                      OLD.is_group, r.clock, r.unit_id, 0, -r.on_time, -r.late);
            PERFORM reports_stat_emit(NEW.received_at, NEW.channel, NEW.category_id, NEW.status,
                                      NEW.is_group, r.clock, r.unit_id, 0, r.on_time, r.late);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_stat_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.petition_id = OLD.petition_id AND NEW.name = OLD.name
       AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id
       AND (NEW.met_at IS NULL) = (OLD.met_at IS NULL)
       AND (NEW.met_at IS NULL OR (NEW.met_at <= NEW.due_at) = (OLD.met_at <= OLD.due_at)) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.met_at IS NOT NULL THEN
        SELECT received_at, channel, category_id, status, is_group INTO p
          FROM petitions_petition WHERE id = OLD.petition_id;
        IF FOUND THEN
            PERFORM reports_stat_emit(p.received_at, p.channel, p.category_id, p.status, p.is_group,
                reports_stat_clock(OLD.name), OLD.unit_id, 0,
                -(OLD.met_at <= OLD.due_at)::integer, -(OLD.met_at > OLD.due_at)::integer);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.met_at IS NOT NULL THEN
        SELECT received_at, channel, category_id, status, is_group INTO p
          FROM petitions_petition WHERE id = NEW.petition_id;
        PERFORM reports_stat_emit(p.received_at, p.channel, p.category_id, p.status, p.is_group,
            reports_stat_clock(NEW.name), NEW.unit_id, 0,
            (NEW.met_at <= NEW.due_at)::integer, (NEW.met_at > NEW.due_at)::integer);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS reports_stat_petition ON petitions_petition;
CREATE TRIGGER reports_stat_petition AFTER INSERT OR UPDATE OR DELETE ON petitions_petition
    FOR EACH ROW EXECUTE FUNCTION reports_stat_petition();
DROP TRIGGER IF EXISTS reports_stat_deadline ON petitions_deadline;
CREATE TRIGGER reports_stat_deadline AFTER INSERT OR UPDATE OR DELETE ON petitions_deadline
    FOR EACH ROW EXECUTE FUNCTION reports_stat_deadline();
"""  # noqa: S608


DROP_SQL = """
DROP TRIGGER IF EXISTS reports_stat_petition ON petitions_petition;
DROP TRIGGER IF EXISTS reports_stat_deadline ON petitions_deadline;
DROP FUNCTION IF EXISTS reports_stat_petition();
DROP FUNCTION IF EXISTS reports_stat_deadline();
DROP FUNCTION IF EXISTS reports_stat_emit(timestamptz, text, bigint, text, boolean, text, bigint,
                                          integer, integer, integer);
DROP FUNCTION IF EXISTS reports_stat_clock(text);
"""

_KEY = "grain, day, channel, category_id, status, is_group, clock, unit_id"


def _rebuild_sql(tz: str) -> str:
    tz = tz.replace("'", "")
    day = f"(p.received_at AT TIME ZONE '{tz}')::date"
    return f"""
TRUNCATE reports_statcount;
INSERT INTO reports_statcount ({COLUMNS})
SELECT g.grain, CASE WHEN g.grain = 'd' THEN x.day ELSE date_trunc('month', x.day)::date END,
       x.channel, x.category_id, x.status, x.is_group, x.clock, x.unit_id,
       sum(x.petitions), sum(x.on_time), sum(x.late)
FROM (
    SELECT {day} AS day, p.channel, p.category_id, p.status, p.is_group, '' AS clock,
           NULL::bigint AS unit_id, count(*)::integer AS petitions, 0 AS on_time, 0 AS late
    FROM petitions_petition p GROUP BY 1, 2, 3, 4, 5
    UNION ALL
    SELECT {day}, p.channel, p.category_id, p.status, p.is_group, reports_stat_clock(d.name),
           d.unit_id, 0, count(*) FILTER (WHERE d.met_at <= d.due_at)::integer,
           count(*) FILTER (WHERE d.met_at > d.due_at)::integer
    FROM petitions_deadline d JOIN petitions_petition p ON p.id = d.petition_id
    WHERE d.met_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7
) x CROSS JOIN (VALUES ('d'), ('m')) g(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
ANALYZE reports_statcount;
"""  # noqa: S608


COMPACT_SQL = f"""
WITH gone AS (DELETE FROM reports_statcount RETURNING {COLUMNS})
INSERT INTO reports_statcount ({COLUMNS})
SELECT {_KEY}, sum(petitions), sum(on_time), sum(late) FROM gone
GROUP BY {_KEY} HAVING sum(petitions) <> 0 OR sum(on_time) <> 0 OR sum(late) <> 0
"""  # noqa: S608


def install(schema_editor=None) -> None:
    """(Re)create the functions and triggers; PostgreSQL only."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(functions_sql(settings.TIME_ZONE))


def rebuild(schema_editor=None) -> None:
    """Recompute the whole summary from the petitions and clocks, writers held off meanwhile."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    install(schema_editor)
    with conn.cursor() as cursor:
        # SHARE: readers go on, writers wait, so no change falls between the count and the triggers.
        cursor.execute("LOCK TABLE petitions_petition, petitions_deadline IN SHARE MODE")
        cursor.execute(_rebuild_sql(settings.TIME_ZONE))


def compact() -> int:
    """Fold the appended deltas into one row per key; returns the rows left. One at a time."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('reports_statcount'))")
        if not cursor.fetchone()[0]:
            return -1
        cursor.execute(COMPACT_SQL)
        return cursor.rowcount


def row_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_statcount")
        return cursor.fetchone()[0]
