"""Per-request breakdown of the statistics (issue 12): for each API query and page of
bench/reports.py, the warm time of a few requests (median, max), the SQL statements one request
issues and the slowest of them. Reads the database named by DATABASE_URL as it is (writes
nothing); run from the checkout with the bench environment:

    .venv/bin/python bench/statistics_paths.py [--rounds 5] [--only page] [--explain]

`--explain` prints EXPLAIN ANALYZE of each request's slowest statement.
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="only paths containing this text")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ["XINFANG_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["XINFANG_HTTPS"] = "0"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.reports import QUERIES, clerk_client

    client, dates = clerk_client()
    today = timezone.localdate()
    paths = [f"/api/v1/statistics?{q.format(**dates)}" for q in QUERIES]
    # Beside the bench's queries: the repeat petitions (the page's repeat number and its link)
    # and the standard report for the year, which the summary answers too since round 6.
    paths.append("/api/v1/statistics?group_by=month&repeat=true")
    paths += ["/statistics/", "/statistics/?interval=week&compare=previous"]
    paths.append(f"/statistics/report/?period={today.year}")
    print(json.dumps({"load": os.getloadavg()}), flush=True)
    for path in paths:
        if args.only and args.only not in path:
            continue
        assert client.get(path).status_code == 200, path  # warm
        samples = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        statements = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        out = {
            "path": path,
            "median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1),
            "statements": len(captured.captured_queries),
            "slowest_ms": [round(float(q["time"]) * 1000, 1) for q in statements[:4]],
            "slowest_sql": statements[0]["sql"][:300] if statements else "",
        }
        print(json.dumps(out, ensure_ascii=False), flush=True)
        if args.explain and statements:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[0]["sql"])
                print("\n".join(r[0] for r in cursor.fetchall()), flush=True)


if __name__ == "__main__":
    main()
