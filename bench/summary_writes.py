"""What the statistics summary's triggers cost the writers (issue 12): the same writes timed
with the trigger functions of the checkout it runs from, in one transaction that is rolled back
(the functions are installed inside it too, so the database keeps its own). Run it from two
checkouts against the same database to compare their triggers:

    .venv/bin/python bench/summary_writes.py [--n 200]

Per write, one statement each, as the services write: a petition (a copy of an existing one),
two clocks for it, a repeat link to an earlier petition; then meeting n running clocks and
pausing n others one by one. Prints milliseconds per statement (median of the phase).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from xinfang.reports import summary_sql

    timings: dict[str, list[float]] = {}

    def timed(phase, sql, params):
        started = time.perf_counter()
        cursor.execute(sql, params)
        timings.setdefault(phase, []).append((time.perf_counter() - started) * 1000)
        return cursor.fetchone() if cursor.description else None

    with transaction.atomic(), connection.cursor() as cursor:
        summary_sql.install()
        cursor.execute("SELECT id FROM petitions_petition ORDER BY id DESC LIMIT %s", [args.n])
        sources = [r[0] for r in cursor.fetchall()]
        cursor.execute(
            "SELECT id FROM petitions_deadline WHERE met_at IS NULL AND paused_at IS NULL "
            "ORDER BY id LIMIT %s",
            [2 * args.n],
        )
        running = [r[0] for r in cursor.fetchall()]
        for i, source in enumerate(sources):
            (pid,) = timed(
                "petition insert",
                "INSERT INTO petitions_petition (number, year, serial, channel, status, received_at, "
                "anonymous, title, content, requests, important, urgent, is_group, superior_reference, "
                "created_at, updated_at, category_id, first_responder_id, archive_number, outcome, "
                "void_reason) SELECT 'BENCH-' || %s, year, 9000000 + %s, channel, 'registered', now(), "
                "anonymous, title, content, requests, important, urgent, is_group, '', now(), now(), "
                "category_id, first_responder_id, '', '', '' FROM petitions_petition WHERE id = %s "
                "RETURNING id",
                [i, i, source],
            )
            for name, days in (("handling", 60), ("reply", 90)):
                timed(
                    "clock insert",
                    "INSERT INTO petitions_deadline (petition_id, name, rule, starts_at, due_at, calendar_gap) "
                    "VALUES (%s, %s, '4.6', now(), now() + make_interval(days => %s), '')",
                    [pid, name, days],
                )
            timed(
                "repeat link insert",
                "INSERT INTO petitions_petition_repeat_of (from_petition_id, to_petition_id) VALUES (%s, %s)",
                [pid, source],
            )
        for did in running[: args.n]:
            timed("clock met", "UPDATE petitions_deadline SET met_at = now() WHERE id = %s", [did])
        for did in running[args.n :]:
            timed("clock paused", "UPDATE petitions_deadline SET paused_at = now() WHERE id = %s", [did])
        transaction.set_rollback(True)
    out = {"load": os.getloadavg()}
    out.update({phase: round(statistics.median(ms), 2) for phase, ms in timings.items()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
