"""Deadline benchmarks on PostgreSQL: the overdue sweep and the "overdue" list p95 at
100,000 and 1,000,000 open deadlines (docs/benchmarks.md).

Run with `make bench-deadlines` and DATABASE_URL pointing at a scratch database
(it is migrated and filled; petitions numbered BENCH-… are replaced each run).
BENCH_SIZES overrides the sizes, e.g. BENCH_SIZES="10000".

Sizes run smallest first, each adding to the last (the statistics summary counted once per
size rather than by its row-by-row triggers). Each size: N petitions with one open clock each,
1% of them past due and not yet reminded, the rest due over the next 60 days. Measured: the first sweep (which
claims and notifies the 1%), a second sweep (nothing new: the steady state every
minute), and 30 requests' worth of the overdue list (first page + count) and the
petition list filtered `overdue=true`, reported as p50/p95.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from xinfang.accounts.demo import create_demo_organisation, database_is_empty  # noqa: E402
from xinfang.accounts.models import User  # noqa: E402
from xinfang.deadlines.selectors import DeadlineFilters, deadline_list  # noqa: E402
from xinfang.deadlines.sweep import sweep  # noqa: E402
from xinfang.petitions.categories import seed_categories  # noqa: E402
from xinfang.petitions.models import Category  # noqa: E402
from xinfang.petitions.selectors import PetitionFilters, petition_list  # noqa: E402
from xinfang.reports import summary_sql  # noqa: E402

REPEATS = 30


def clear() -> None:
    """An earlier run's petitions removed, with the statistics summary recounted once for what
    is left (row by row, the summary's triggers would take minutes at 10⁶)."""
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM petitions_petition WHERE number LIKE 'BENCH-%%'", [])
        if not c.fetchone()[0]:
            return
    with transaction.atomic(), connection.cursor() as c:
        summary_sql.pause()
        c.execute("DELETE FROM deadlines_reminder")
        for table in ("notifications_notification", "petitions_deadline"):
            c.execute(
                f"DELETE FROM {table} WHERE petition_id IN "  # noqa: S608 (a table name of ours)
                "(SELECT id FROM petitions_petition WHERE number LIKE 'BENCH-%%')",
                [],
            )
        c.execute("DELETE FROM petitions_petition WHERE number LIKE 'BENCH-%%'", [])
    summary_sql.rebuild(reinstall=False)


def fill(n: int) -> float:
    """The bench's petitions grown to `n` (sizes run smallest first and each adds to the last),
    every reminder and deadline notice of the smaller size removed so that the first sweep
    claims the 1% and the due-soon clocks of all `n` again. Returns the seconds it took.

    The petitions and clocks are written with the statistics summary's triggers paused and
    counted in one pass afterwards (summary_sql.count_new, as the ledger import does): the
    summary equals a recount either way, and its row-by-row triggers made this fill most of
    the bench's time (ten minutes at 10⁶)."""
    started = time.perf_counter()
    clerk = User.objects.get(username="clerk")
    category = Category.objects.first()
    with transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM deadlines_reminder")
        c.execute(
            "DELETE FROM notifications_notification WHERE petition_id IN "
            "(SELECT id FROM petitions_petition WHERE number LIKE 'BENCH-%%')",
            [],
        )
        c.execute("SELECT coalesce(max(serial), 0) FROM petitions_petition WHERE number LIKE 'BENCH-%%'", [])
        (have,) = c.fetchone()
        summary_sql.pause()
        c.execute(
            """
            INSERT INTO petitions_petition (number, year, serial, channel, status, received_at, anonymous, title,
              content, requests, category_id, important, urgent, is_group, superior_reference, first_responder_id,
              outcome, archive_number, void_reason, created_at, updated_at)
            SELECT 'BENCH-' || g, 2026, g, 'letter', 'registered', now() - interval '1 day', false, 'bench ' || g,
              'bench', '', %s, false, false, false, '', %s, '', '', '', now(), now()
            FROM generate_series(%s, %s) g
            RETURNING id
            """,
            [category.pk, clerk.pk, have + 1, n],
        )
        ids = [row[0] for row in c.fetchall()]
        # 1% overdue (not yet reminded), the rest spread over the next 60 days.
        c.execute(
            """
            INSERT INTO petitions_deadline (petition_id, name, rule, starts_at, due_at, calendar_gap)
            SELECT p.id, 'handling', '4.6', p.received_at,
              CASE WHEN p.serial %% 100 = 0 THEN now() - interval '1 hour'
                   ELSE now() + (p.serial %% 1440) * interval '1 hour' END, ''
            FROM petitions_petition p WHERE p.id = ANY(%s)
            """,
            [ids],
        )
        summary_sql.count_new(ids)
    with connection.cursor() as c:
        c.execute("ANALYZE petitions_petition; ANALYZE petitions_deadline; ANALYZE deadlines_reminder")
    return time.perf_counter() - started


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(n: int) -> dict:
    filled = fill(n)
    clerk = User.objects.get(username="clerk")
    first = timed(sweep)
    steady = timed(sweep)

    def overdue_page():
        qs = deadline_list(clerk, DeadlineFilters(state="overdue", scope="all"))
        qs.count()
        list(qs[:50])

    def petition_overdue_page():
        qs = petition_list(clerk, PetitionFilters(status="open", overdue=True))
        qs.count()
        list(qs[:25])

    lists = [timed(overdue_page) for _ in range(REPEATS)]
    petitions = [timed(petition_overdue_page) for _ in range(REPEATS)]
    return {
        "n": n,
        "fill_s": filled,
        "first_sweep_s": first,
        "steady_sweep_s": steady,
        "overdue_list_p50_ms": statistics.median(lists) * 1000,
        "overdue_list_p95_ms": percentile(lists, 95) * 1000,
        "petition_overdue_p50_ms": statistics.median(petitions) * 1000,
        "petition_overdue_p95_ms": percentile(petitions, 95) * 1000,
    }


def main() -> None:
    if connection.vendor != "postgresql":
        # Skipped, not failed: `make bench` runs this first, and the rest of it (SQLite, and the
        # PostgreSQL database bench/run.py creates itself) needs no DATABASE_URL.
        print("bench/deadlines.py measures PostgreSQL: skipped (set DATABASE_URL to a scratch database)")
        return
    call_command("migrate", verbosity=0)
    if database_is_empty():
        seed_categories(Category)
        create_demo_organisation("bench-pass-2026")
    sizes = sorted(int(s) for s in os.environ.get("BENCH_SIZES", "100000 1000000").split())
    clear()
    print(
        f"{'open deadlines':>15} {'1st sweep (1% overdue)':>23} {'steady sweep':>13} "
        f"{'overdue list p50/p95':>21} {'petitions overdue=true p50/p95':>31} {'fill':>8}"
    )
    for n in sizes:
        r = run(n)
        print(
            f"{r['n']:>15,} {r['first_sweep_s']:>21.2f} s {r['steady_sweep_s']:>11.3f} s "
            f"{r['overdue_list_p50_ms']:>9.1f}/{r['overdue_list_p95_ms']:.1f} ms "
            f"{r['petition_overdue_p50_ms']:>19.1f}/{r['petition_overdue_p95_ms']:.1f} ms "
            f"{r['fill_s']:>6.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
