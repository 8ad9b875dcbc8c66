"""The Python cost of the statistics page, API and standard report (issue 12): per request, the
wall time (p50, p95), the process's CPU time (p50), the Python function calls (cProfile of one
warm request), the SQL statements, and a digest of the response body (the CSRF tokens, which
change per request, left out) so that two trees can be shown to answer the same. Reads the
database named by DATABASE_URL as it is (writes nothing but the session); run from the
checkout with the bench environment:

    .venv/bin/python bench/statistics_python.py [--rounds 20] [--only statistics/?] [--profile N]

`--profile N` prints the N functions with the most own time of one request per path.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def digest(body: bytes) -> str:
    return hashlib.sha256(CSRF.sub(rb"\1", body)).hexdigest()[:16]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="only paths containing this text")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by own time")
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
    paths = [
        "/statistics/",
        "/statistics/?interval=week&compare=previous",
        "/statistics/?interval=day&from=2026-01-01&to=2026-03-31&compare=year",
        f"/statistics/report/?period={today.year}",
        *[f"/api/v1/statistics?{q.format(**dates)}" for q in QUERIES],
    ]
    print(json.dumps({"load": os.getloadavg()}), flush=True)
    for path in paths:
        if args.only and args.only not in path:
            continue
        first = client.get(path)
        assert first.status_code == 200, path
        client.get(path)  # warm
        walls, cpus = [], []
        for _ in range(args.rounds):
            cpu, started = time.process_time(), time.perf_counter()
            response = client.get(path)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        queries = captured.captured_queries  # a view of the log, which the next request clears
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        out = {
            "path": path,
            "p50_ms": round(percentile(walls, 50), 1),
            "p95_ms": round(percentile(walls, 95), 1),
            "cpu_p50_ms": round(percentile(cpus, 50), 1),
            "calls": stats.total_calls,
            "statements": len(queries),
            "sql_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
            "bytes": len(response.content),
            "digest": digest(response.content),
        }
        print(json.dumps(out, ensure_ascii=False), flush=True)
        if args.profile:
            stats.sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
