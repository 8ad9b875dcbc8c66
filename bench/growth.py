"""A simulation of 10⁷ petitions' worth of audit rows on PostgreSQL, for docs/scaling.md:
generate lean petitions, their events over the years and a year of access log straight
in SQL (generate_series, no services: a data shape, not a service-layer figure), then
print table and index sizes and the plans (EXPLAIN ANALYZE, BUFFERS) of the queries
that read those tables, partition pruning included.

Run it on a scratch database only (it migrates it and fills it):

    DATABASE_URL=postgresql://…/xf_scratch XINFANG_SECRET_KEY=… \\
        .venv/bin/python bench/growth.py --petitions 10000000 --plans plans.txt

Bounded: rows are lean (short titles, small event data) so that 10⁷ petitions fit in
about 15 GB; the per-row sizes it prints scale the figures to fuller rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

CHUNK = 500_000

PETITIONS = """
INSERT INTO petitions_petition (id, number, year, serial, channel, status, received_at, anonymous, title,
    content, requests, important, urgent, is_group, superior_reference, created_at, updated_at, category_id,
    first_responder_id, archive_number, outcome, void_reason)
SELECT g, 'XF-' || g, extract(year FROM r)::int, g, 'letter',
    CASE WHEN g > %(open_from)s THEN (ARRAY['registered','assigned','instructed','proposed','confirmed',
        'replied','closed'])[1 + g %% 7] ELSE 'archived' END,
    r, false, '关于第' || g || '号住房问题的来信', '', '', false, false, false, '', r, r,
    %(category)s, (%(clerks)s::bigint[])[1 + g %% %(nclerks)s], '', '', ''
FROM (SELECT g, %(start)s::timestamptz + (g::float8 / %(total)s) * (%(end)s::timestamptz - %(start)s::timestamptz) AS r
      FROM generate_series(%(low)s, %(high)s) g) s
"""

# Events per petition: registration, then one step every ~10 days; the last ones may still lie ahead.
EVENTS = """
INSERT INTO audit_event (seq, at, action, data, source, request_id, prev_hash, hash, actor_id, petition_id,
    state, version)
SELECT s, least(p.received_at + (s - 1) * interval '10 days' + (p.id %% 3600) * interval '1 second', now()),
    (ARRAY['petition.registered','petition.assigned','petition.replied','petition.closed',
           'petition.archived'])[s],
    CASE WHEN s = 1 THEN jsonb_build_object('number', p.number, 'channel', 'letter', 'category', 'housing')
         ELSE jsonb_build_object('unit', p.id %% 40) END,
    'web', md5(p.id::text || s), md5(p.id::text || s - 1) || md5(s - 1 || p.id::text),
    md5(p.id::text || s) || md5(s || p.id::text), p.first_responder_id, p.id,
    md5('state' || p.id || s) || md5(s || 'state' || p.id), 2
FROM petitions_petition p CROSS JOIN generate_series(1, %(per)s) s
WHERE p.id BETWEEN %(low)s AND %(high)s
"""

ACCESS = """
INSERT INTO audit_accesslog (at, user_id, username, unit_id, ip, action, object_type, object_ref, outcome,
    detail, request_id)
SELECT now() - (g::float8 / %(total)s) * %(span)s::interval, u.id, u.username, u.unit_id,
    ('10.0.' || (g %% 200) || '.' || (g %% 250))::inet,
    (ARRAY['petition.view','petition.list','petition.view','search','petition.export'])[1 + g %% 5],
    'petition', 'XF-' || (1 + (g::bigint * 7919) %% %(petitions)s),
    CASE WHEN g %% 50 = 0 THEN 'denied' ELSE 'allowed' END, '', md5(g::text)
FROM generate_series(%(low)s, %(high)s) g
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, username, unit_id FROM accounts_user) u
    ON u.k = g %% %(nusers)s
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, default=10_000_000)
    parser.add_argument("--events-per-petition", type=int, default=2)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--access-entries", type=int, default=6_000_000, help="the last 12 months' access log"
    )
    parser.add_argument("--plans", type=Path, help="write the plans to this file")
    parser.add_argument(
        "--unlogged", action="store_true", help="audit partitions UNLOGGED (no WAL: faster, scratch only)"
    )
    parser.add_argument("--skip-fill", action="store_true", help="only sizes and plans (already filled)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if not args.skip_fill:
        call_command("migrate", interactive=False, verbosity=0)
        fill(connection, args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report = {"sizes": sizes(connection), "plans": plans(connection, args)}
    if args.plans:
        args.plans.write_text("\n\n".join(f"-- {name}\n{text}" for name, text in report["plans"].items()))
    summary = {k: v for k, v in report.items() if k != "plans"}
    summary["plan_ms"] = {name: _execution_ms(text) for name, text in report["plans"].items()}
    print(json.dumps(summary, indent=1, ensure_ascii=False))


def fill(connection, args) -> None:
    from xinfang.accounts.demo import create_demo_organisation, database_is_empty
    from xinfang.accounts.models import User
    from xinfang.audit import retention
    from xinfang.petitions.categories import seed_categories
    from xinfang.petitions.models import Category

    if database_is_empty():
        create_demo_organisation("bench-pass-2026")
    seed_categories(Category)
    end = datetime.now(UTC)
    start = end - timedelta(days=365 * args.years)
    months, moment = [], start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while moment <= end:
        months.append(moment)
        moment = (moment + timedelta(days=32)).replace(day=1)
    retention.add_months("audit_event", months)
    retention.add_months("audit_accesslog", months[-14:])
    if args.unlogged:
        with connection.cursor() as cursor:
            for table in ("audit_event", "audit_accesslog"):
                cursor.execute(
                    "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table]
                )
                for (leaf,) in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {leaf} SET UNLOGGED")
    clerks = list(User.objects.order_by("id").values_list("id", flat=True))
    common = {
        "total": args.petitions,
        "start": start,
        "end": end,
        "category": Category.objects.order_by("id").values_list("id", flat=True).first(),
        "clerks": clerks,
        "nclerks": len(clerks),
        "open_from": int(args.petitions * 0.97),
        "per": args.events_per_petition,
        "petitions": args.petitions,
        "span": "365 days",
        "nusers": len(clerks),
    }
    timings = {}
    for name, sql, total in (
        ("petitions", PETITIONS, args.petitions),
        ("events", EVENTS, args.petitions),
        ("access_log", ACCESS, args.access_entries),
    ):
        started = time.monotonic()
        with connection.cursor() as cursor:
            for low in range(1, total + 1, CHUNK):
                cursor.execute(sql, {**common, "low": low, "high": min(low + CHUNK - 1, total)})
                print(f"{name}: {min(low + CHUNK - 1, total):,} of {total:,}", file=sys.stderr, flush=True)
        timings[name] = round(time.monotonic() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('petitions_petition', 'id'), %s)", [args.petitions]
        )
    print(json.dumps({"fill_seconds": timings}), file=sys.stderr)


def sizes(connection) -> dict:
    """Per table: rows, heap and index bytes summed over its partitions."""
    out = {}
    with connection.cursor() as cursor:
        for table in ("petitions_petition", "audit_event", "audit_accesslog"):
            cursor.execute(
                "SELECT count(*), coalesce(sum(pg_table_size(c.oid)), 0), coalesce(sum(pg_indexes_size(c.oid)), 0), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass) "
                "FROM pg_class c WHERE c.oid = %s::regclass OR c.oid IN "
                "(SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                [table, table, table],
            )
            relations, heap, index, _ = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (a constant)
            rows = cursor.fetchone()[0]
            out[table] = {
                "relations": relations,
                "rows": rows,
                "heap_mb": round(heap / 2**20),
                "index_mb": round(index / 2**20),
                "bytes_per_row": round((heap + index) / rows) if rows else None,
            }
    return out


def plans(connection, args) -> dict[str, str]:
    """The statements the screens run on these tables, as the ORM writes them (roughly:
    the auditor's screens and the timeline are single-table; the list is its first page)."""
    middle = args.petitions // 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM petitions_petition WHERE id = %s", [middle])
        registered = cursor.fetchone()[0]
    queries = {
        "timeline (one petition's events, all months)": (
            "SELECT e.*, u.username FROM audit_event e LEFT JOIN accounts_user u ON u.id = e.actor_id "
            "WHERE e.petition_id = %s ORDER BY e.seq",
            [middle],
        ),
        "timeline as the application reads it (from the day before registration: pruned)": (
            "SELECT e.*, u.username FROM audit_event e LEFT JOIN accounts_user u ON u.id = e.actor_id "
            "WHERE e.petition_id = %s AND e.at >= %s ORDER BY e.seq",
            [middle, registered - timedelta(days=1)],
        ),
        "append, before: the chain's last event (every month probed; now the head is read)": (
            "SELECT seq, hash FROM audit_event WHERE petition_id = %s ORDER BY seq DESC LIMIT 1",
            [middle],
        ),
        "auditor: events newest first, page 1": (
            "SELECT e.id, e.seq, e.at, e.action, e.source, e.hash, e.prev_hash, p.number, u.username "
            "FROM audit_event e JOIN petitions_petition p ON p.id = e.petition_id "
            "LEFT JOIN accounts_user u ON u.id = e.actor_id ORDER BY e.at DESC, e.id DESC LIMIT 50",
            [],
        ),
        "auditor: events of one petition number": (
            "SELECT e.id, e.seq, e.at, e.action FROM audit_event e JOIN petitions_petition p ON p.id = e.petition_id "
            "WHERE p.number = %s ORDER BY e.at DESC, e.id DESC LIMIT 50",
            [f"XF-{middle}"],
        ),
        "auditor: access log newest first, page 1": (
            "SELECT a.*, u.username FROM audit_accesslog a LEFT JOIN accounts_user u ON u.id = a.user_id "
            "ORDER BY a.at DESC, a.id DESC LIMIT 50",
            [],
        ),
        "auditor: access log of one day (pruned to its month)": (
            "SELECT a.* FROM audit_accesslog a WHERE a.at >= now() - interval '40 days' "
            "AND a.at <= now() - interval '39 days' ORDER BY a.at DESC, a.id DESC LIMIT 50",
            [],
        ),
        "auditor: access log of one user": (
            "SELECT a.* FROM audit_accesslog a WHERE a.username = 'clerk' ORDER BY a.at DESC, a.id DESC LIMIT 50",
            [],
        ),
        "auditor: who read one petition": (
            "SELECT a.* FROM audit_accesslog a WHERE a.object_ref = %s ORDER BY a.at DESC, a.id DESC LIMIT 50",
            [f"XF-{middle}"],
        ),
        "petition list page 1 (newest first)": (
            "SELECT id, number, status, title, received_at FROM petitions_petition "
            "ORDER BY received_at DESC, id DESC LIMIT 25",
            [],
        ),
        "petition list filtered by status, page 1": (
            "SELECT id, number, status, title, received_at FROM petitions_petition WHERE status = 'replied' "
            "ORDER BY received_at DESC, id DESC LIMIT 25",
            [],
        ),
        "petition by number (search by number)": (
            "SELECT id, number, status FROM petitions_petition WHERE number = %s",
            [f"XF-{middle}"],
        ),
    }
    out = {}
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the application's connections (issue 9)
        for name, (sql, params) in queries.items():
            # The second run is the one kept: a web worker's connection has its caches warm.
            for _ in range(2):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                out[name] = "\n".join(row[0] for row in cursor.fetchall())
    return out


def _execution_ms(plan: str) -> dict:
    """Planning and execution times, and the partitions the plan still held."""
    out = {"partitions_in_plan": plan.count(" on audit_event_p") + plan.count(" on audit_accesslog_p")}
    for line in plan.splitlines():
        for label in ("Planning Time:", "Execution Time:"):
            if line.startswith(label):
                out[label.split()[0].lower()] = float(line.split()[2])
    return out


if __name__ == "__main__":
    main()
