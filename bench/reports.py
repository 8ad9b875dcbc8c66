"""Benchmark of the reports (issue 12): statistics p95, a 10⁵-row ledger export (time and the
exporting process's peak RSS) and a 10⁵-row import, on a throwaway database.

    .venv/bin/python bench/reports.py                       # SQLite, 100,000 petitions
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/xf_bench_reports .venv/bin/python bench/reports.py
    .venv/bin/python bench/reports.py --petitions 20000 --import-rows 5000 --requests 50
    # An existing, filled database (e.g. a copy of the shared 10⁶ one), left as it is: no fill,
    # no import; the ledger export takes the newest --export-rows petitions the clerk sees.
    # DATABASE_URL and XINFANG_SECRET_KEY (needed to open the sealed personal data) from the
    # environment of that database:
    .venv/bin/python bench/reports.py --existing --export-rows 100000 --requests 20
    .venv/bin/python bench/reports.py --stage import --petitions 20000   # the import only

The PostgreSQL database named by BENCH_DATABASE_URL is dropped and created (and dropped at the
end). Petitions are bulk-filled (bench/bulk.py); 30 % get a handling unit. Statistics are timed
in-process through Django's test client (view, query, JSON or HTML), warm: each query once
before the measured rounds. The export runs in a child process so that its peak RSS is its own.
The import reads a CSV written from the generator (half closed matters with their handling units,
a tenth naming an involved unit, visits and calls with their reception note) and goes through
import_ledger like the page: dry run, then the import (bulk). `--row-by-row N` first imports N
other rows of the same kind through the row-by-row path (register_petition per row), the
"before" figure.
Results are printed and written to bench/results/reports-<db>.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

QUERIES = (
    "group_by=month",
    "group_by=channel",
    "group_by=category",
    "group_by=unit",
    "group_by=status",
    "group_by=month,channel",
    "group_by=category&channel=letter",
    "group_by=unit&overdue=true",
    "group_by=month&from={year_ago}&to={today}",
    "group_by=channel&from={month_start}&to={today}",
)


def options():
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, default=int(os.environ.get("BENCH_PETITIONS", 100_000)))
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="measured rounds per statistics query")
    parser.add_argument("--row-by-row", type=int, default=1000, help="rows imported one by one first")
    parser.add_argument("--stage", default="all", choices=["all", "export", "import"])
    parser.add_argument("--format", default="xlsx")
    parser.add_argument("--existing", action="store_true", help="measure DATABASE_URL as it is (no fill)")
    parser.add_argument("--export-rows", type=int, default=0, help="export only the newest N petitions")
    parser.add_argument("--formats", default="xlsx,csv", help="ledger formats to export")
    parser.add_argument("--no-statistics", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="the results file (bench/results/ by default)")
    args = parser.parse_args()
    if args.existing and "--import-rows" not in sys.argv:
        args.import_rows = 0
    return args


def existing_environment() -> tuple[dict, str]:
    """The database named by DATABASE_URL, not filled (only --import-rows writes to it); a data
    directory of our own. bench/run.py calls this on the database it has just measured."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres", "sqlite")) or not os.environ.get("XINFANG_SECRET_KEY"):
        sys.exit("--existing needs DATABASE_URL and the database's XINFANG_SECRET_KEY")
    kind = "postgresql" if url.startswith("postgres") else "sqlite"
    data = ROOT / "var" / f"bench-reports-existing-{kind}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "static").mkdir(parents=True)
    env = {
        **os.environ,
        "XINFANG_DATA_DIR": str(data),
        "XINFANG_HTTPS": "0",
        "XINFANG_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "xinfang.settings",
    }
    return env, f"{kind}-existing"


def environment() -> tuple[dict, str]:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    kind = "postgresql" if url.startswith("postgres") else "sqlite"
    data = ROOT / "var" / f"bench-reports-{kind}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "static").mkdir(parents=True)
    env = {
        **os.environ,
        "XINFANG_DATA_DIR": str(data),
        "XINFANG_SECRET_KEY": secrets.token_urlsafe(64),
        "XINFANG_HTTPS": "0",
        "XINFANG_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "xinfang.settings",
    }
    if url:
        env["DATABASE_URL"] = url
        maintenance, name = url.rsplit("/", 1)
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            subprocess.run(["psql", f"{maintenance}/postgres", "-qc", sql], check=True)  # noqa: S607
    else:
        env.pop("DATABASE_URL", None)
    return env, kind


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def setup_django():
    import django

    django.setup()


def fill(count: int) -> dict:
    from django.core.management import call_command

    from bench.bulk import bulk_fill
    from bench.generator import PetitionGenerator, demo_unit_ids
    from xinfang.accounts.demo import create_demo_organisation
    from xinfang.accounts.models import Unit, User
    from xinfang.petitions.models import Petition
    from xinfang.petitions.workflow_models import Assignment

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages use hashed names
    create_demo_organisation("bench-pass-2026")
    clerk = User.objects.get(username="clerk")
    started = time.perf_counter()
    bulk_fill(count, gen=PetitionGenerator(2026, units=demo_unit_ids()), actor=clerk)
    units = list(Unit.objects.filter(kind__in=("department", "public_security")).values_list("id", flat=True))
    ids = list(Petition.objects.values_list("id", flat=True))
    rows = [
        Assignment(
            petition_id=pid, unit_id=units[i % len(units)], role="lead", kind="transfer", assigned_by=clerk
        )
        for i, pid in enumerate(ids)
        if i % 10 < 3
    ]
    Assignment.objects.bulk_create(rows, batch_size=5000)
    from xinfang.petitions import derived

    if ids:
        derived.refresh_range(min(ids), max(ids))  # the lead units just written
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "petitions": len(ids),
        "assigned": len(rows),
        "fill_seconds": round(time.perf_counter() - started, 1),
    }


def clerk_client():
    """A test client signed in as the demo clerk, and the dates the statistics QUERIES name
    (also bench/statistics_paths.py and bench/statistics_python.py)."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from xinfang.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="clerk"))
    today = timezone.localdate()
    dates = {
        "today": today.isoformat(),
        "year_ago": (today - timedelta(days=365)).isoformat(),
        "month_start": today.replace(day=1).isoformat(),
    }
    return client, dates


def time_statistics(requests: int) -> dict:
    client, dates = clerk_client()
    out = {}
    for label, paths in (
        ("api", [f"/api/v1/statistics?{q.format(**dates)}" for q in QUERIES]),
        ("page", ["/statistics/", "/statistics/?interval=week&compare=previous"]),
        ("standard_report", ["/statistics/report/?period=" + time.strftime("%Y")]),
    ):
        for path in paths:
            assert client.get(path).status_code == 200, path  # warm
        rounds = max(5, requests if label == "api" else requests // 5)
        samples = []
        budget = time.perf_counter() + float(os.environ.get("BENCH_STATISTICS_SECONDS", 300))
        for _ in range(rounds):
            if samples and time.perf_counter() > budget:
                break  # a loaded machine: fewer rounds, said in the output ("requests")
            for path in paths:
                started = time.perf_counter()
                client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
        out[label] = {
            "requests": len(samples),
            "p50_ms": round(percentile(samples, 50), 1),
            "p95_ms": round(percentile(samples, 95), 1),
        }
        print(json.dumps({label: out[label]}), flush=True)
    return out


def export_stage(fmt: str, limit: int) -> None:
    """Child process: write the ledger as the clerk sees it (with `limit`, the petitions received
    on or after the day of the limit-th newest: a list filtered by date, as an office exports
    it); print time and peak RSS."""
    from django.utils import timezone

    from xinfang.accounts.models import User
    from xinfang.petitions.selectors import parse_filters, petition_list
    from xinfang.reports.ledger import csv_stream, ledger_cells, write_xlsx

    clerk = User.objects.get(username="clerk")
    target = Path(os.environ["XINFANG_DATA_DIR"]) / f"ledger.{fmt}"
    params = {}
    # Fewer petitions than the limit: the whole ledger.
    oldest = petition_list(clerk, parse_filters({})).values_list("received_at", flat=True)[limit - 1 : limit]
    if limit and oldest:
        params["received_after"] = timezone.localdate(oldest[0]).isoformat()
    started = time.perf_counter()
    rows = ledger_cells(clerk, parse_filters(params))
    if fmt == "csv":
        done = [0]
        with target.open("wb") as handle:
            for part in csv_stream(rows, progress=lambda n: done.__setitem__(0, n)):
                handle.write(part)
        count = done[0]
    else:
        with target.open("wb") as handle:
            count = write_xlsx(rows, handle)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(rss_mb, 1),
                "bytes": target.stat().st_size,
            }
        )
    )


def ledger_csv(rows: int, *, seed: int, prefix: str) -> bytes:
    """A CSV ledger of `rows` generated matters (original numbers `prefix`-n)."""
    import csv
    import io

    from bench.generator import PetitionGenerator, demo_unit_ids
    from xinfang.accounts.models import Unit
    from xinfang.petitions.models import Category

    names = dict(Category.objects.values_list("code", "name"))
    handling = list(
        Unit.objects.filter(kind__in=("department", "public_security"), parent__isnull=True).values_list(
            "name", flat=True
        )
    )
    gen = PetitionGenerator(seed, units=demo_unit_ids())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "编号",
            "收到日期",
            "信访方式",
            "信访人",
            "身份证号",
            "联系电话",
            "住址",
            "问题分类",
            "标题",
            "主要问题",
            "诉求",
            "承办单位",
            "被反映单位",
            "办理状态",
            "办理结果",
            "答复日期",
        ]
    )
    channels = {"letter": "来信", "visit": "来访", "call": "来电", "online": "网上信访"}
    for i in range(rows):
        data = gen.registration()
        person = (data.get("petitioners") or [{}])[0]
        closed = i % 2 == 0
        writer.writerow(
            [
                f"{prefix}-{i:07d}",
                data["received_at"][:10],
                channels.get(data["channel"], "来信"),
                person.get("name", ""),
                person.get("id_number", ""),
                person.get("phone", ""),
                person.get("address", ""),
                names[data["category"]],
                data["title"],
                data["content"],
                data.get("requests", ""),
                handling[i % len(handling)] if closed else "",
                handling[(i + 1) % len(handling)] if i % 10 == 3 else "",
                "已办结" if closed else "办理中",
                "已答复" if closed else "",
                data["received_at"][:10] if closed else "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process, when the server
    runs on this machine (read from /proc); None otherwise. The database's own share of an
    import, which the importing process's CPU time leaves out."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_stage(rows: int, row_by_row: int = 0) -> dict:
    """`row_by_row` rows imported one by one (before), then `rows` rows: dry run and bulk import."""
    from xinfang.accounts.models import User
    from xinfang.audit.models import Source
    from xinfang.audit.services import Context
    from xinfang.reports.importing.service import import_ledger

    ctx = Context(actor=User.objects.get(username="clerk"), source=Source.COMMAND)
    out: dict = {"rows": rows, "load_before": os.getloadavg()}
    if row_by_row:
        content = ledger_csv(row_by_row, seed=8, prefix="ONE")
        started, cpu = time.perf_counter(), time.process_time()
        report = import_ledger(ctx=ctx, filename="one.csv", content=content, dry_run=False, bulk_write=False)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        out["row_by_row"] = {
            "rows": row_by_row,
            "created": report.created,
            "errors": report.errors[:3],
            "seconds": round(seconds, 1),
            "ms_per_row": round(1000 * seconds / row_by_row, 1),
            "cpu_ms_per_row": round(1000 * cpu / row_by_row, 1),
        }
        print(json.dumps(out["row_by_row"]), flush=True)
    content = ledger_csv(rows, seed=7, prefix="OLD")
    # Wall time on a loaded machine is mostly waiting for a core: this process's CPU time is
    # reported too (the database server's is not in it).
    started, cpu = time.perf_counter(), time.process_time()
    checked = import_ledger(ctx=ctx, filename="bench.csv", content=content, dry_run=True)
    check_seconds, check_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"dry_run_seconds": round(check_seconds, 1), "errors": checked.errors[:3]}), flush=True)
    started, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu()
    report = import_ledger(ctx=ctx, filename="bench.csv", content=content, dry_run=False)
    import_seconds, import_cpu = time.perf_counter() - started, time.process_time() - cpu
    if db_cpu is not None:
        db_cpu = round(backend_cpu() - db_cpu, 1)
    out.update(
        {
            "valid": checked.valid,
            "errors": len(checked.errors),
            "created": report.created,
            "dry_run_seconds": round(check_seconds, 1),
            "dry_run_cpu_seconds": round(check_cpu, 1),
            "import_seconds": round(import_seconds, 1),
            "import_cpu_seconds": round(import_cpu, 1),
            "import_database_cpu_seconds": db_cpu,
            # This process's peak resident memory so far (with --stage import, the import's own).
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "bytes": len(content),
            "load_after": os.getloadavg(),
        }
    )
    return out


def main() -> None:
    args = options()
    if args.stage == "export":
        setup_django()
        export_stage(args.format, args.export_rows)
        return
    env, kind = existing_environment() if args.existing else environment()
    os.environ.update(env)
    setup_django()
    result = {"database": kind, "load": os.getloadavg()}
    if args.existing:
        from django.core.management import call_command

        from xinfang.petitions.models import Petition

        call_command("collectstatic", interactive=False, verbosity=0)
        result["petitions"] = Petition.objects.count()
    else:
        result["fill"] = fill(args.petitions)
    print(json.dumps(result), flush=True)
    if args.stage == "import":
        result["import"] = import_stage(args.import_rows, args.row_by_row)
        finish(result, env, kind, existing=args.existing, out=args.out)
        return
    if not args.no_statistics:
        result["statistics"] = time_statistics(args.requests)
        print(json.dumps(result["statistics"]), flush=True)
    for fmt in args.formats.split(","):
        child = subprocess.run(  # noqa: S603
            [
                sys.executable,
                __file__,
                "--stage",
                "export",
                "--format",
                fmt,
                "--export-rows",
                str(args.export_rows),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result[f"export_{fmt}"] = json.loads(child.stdout.strip().splitlines()[-1])
        print(json.dumps(result[f"export_{fmt}"]), flush=True)
    if args.import_rows:
        result["import"] = import_stage(args.import_rows, args.row_by_row)
    finish(result, env, kind, existing=args.existing, out=args.out)


def finish(result: dict, env: dict, kind: str, *, existing: bool = False, out: Path | None = None) -> None:
    result["load_after"] = os.getloadavg()
    if out is None:
        out = (
            ROOT
            / "bench"
            / "results"
            / f"reports-{kind}{'-import' if 'statistics' not in result else ''}.json"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if env.get("DATABASE_URL") and not existing:
        from django.db import connections

        connections.close_all()
        maintenance, name = env["DATABASE_URL"].rsplit("/", 1)
        subprocess.run(
            ["psql", f"{maintenance}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=False
        )  # noqa: S607


if __name__ == "__main__":
    main()
