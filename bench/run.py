"""`make bench`: registration throughput and API latencies at 10⁵ petitions, on
SQLite and on PostgreSQL. What each figure means: docs/benchmarks.md.

For each database in turn, on a fresh database:
  1. bench/load.py (a subprocess with the database in DATABASE_URL) migrates,
     creates the demo organisation and registers N synthetic petitions. When N is
     above S (BENCH_SERVICE_PETITIONS), N − S are first bulk-filled with
     bulk_create (bench/bulk.py: a data loader, reported separately, not a
     service-layer figure) and the last S go through the service layer
     (check_registration + register_petition); otherwise all N do;
  2. gunicorn (2 workers, loopback only) serves that database; M petitions are
     POSTed to /api/v1/petitions from 4 client threads;
  3. the list and detail endpoints are timed client-side, one request at a time.
Everything is bounded in count and stops by itself; gunicorn is stopped at the end.

Environment (or the matching option): BENCH_PETITIONS (default 100000),
BENCH_SQLITE_PETITIONS (SQLite's size: BENCH_PETITIONS, at most 100000, by default),
BENCH_SERVICE_PETITIONS (5000; BENCH_NO_BULK=1 or --no-bulk registers all N
through the service layer),
BENCH_API_PETITIONS (2000), BENCH_REQUESTS (300 per endpoint), BENCH_QUICK=1
(2000 / 200 / 50), BENCH_DATABASES (sqlite,postgresql), BENCH_DATABASE_URL
(postgresql://postgres@127.0.0.1:5432/xf_bench_load; created and dropped here),
BENCH_DIR (var/bench), BENCH_REAL_MESSAGES=1 (mix in local real texts if present),
BENCH_MAX_LOAD_MINUTES (25: the service-layer load of one database stops after
this long and reports its rate and the projected time for all N; the HTTP part
then runs at the size reached), BENCH_REALISTIC=1 (the bulk fill gets a working
office's shape, bench/spread.py), BENCH_SEARCH_INDEX=0 (skip the search index
rebuild after the bulk fill: no figure here reads it but the `q` search),
BENCH_PAGES_REQUESTS (10; 0 skips bench/pages.py, every role's pages timed
in-process on the same database after the reads), BENCH_PREPARED=0 (fill
PostgreSQL anew: by default the bulk fill is kept as a prepared database named
after the fill's code and size, and later runs start from a copy of it, migrated
forward; see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.api_load import Server, measure_reads, register_over_http  # noqa: E402
from bench.generator import PetitionGenerator  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/xf_bench_load"
BENCH_SECRET = "bench-only-secret-" + "k" * 48  # a throwaway database; never a deployment's key


def options() -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK", "") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", default=quick, help="2000 petitions, 200 over HTTP, 50 reads"
    )
    parser.add_argument("--petitions", type=int, default=None)
    parser.add_argument(
        "--sqlite-petitions",
        type=int,
        default=int(os.environ.get("BENCH_SQLITE_PETITIONS") or 0) or None,
        help="SQLite's size (default: --petitions, at most 100,000)",
    )
    parser.add_argument("--api-petitions", type=int, default=None)
    parser.add_argument(
        "--service-petitions",
        type=int,
        default=int(os.environ.get("BENCH_SERVICE_PETITIONS") or 5000),
        help="how many of the petitions go through the service layer; the rest are bulk-filled first",
    )
    parser.add_argument(
        "--no-bulk",
        action="store_true",
        default=os.environ.get("BENCH_NO_BULK", "") == "1",
        help="register every petition through the service layer",
    )
    parser.add_argument("--requests", type=int, default=None, help="measured requests per read endpoint")
    parser.add_argument("--databases", default=os.environ.get("BENCH_DATABASES", "sqlite,postgresql"))
    parser.add_argument(
        "--max-load-minutes", type=float, default=float(os.environ.get("BENCH_MAX_LOAD_MINUTES") or 25)
    )
    parser.add_argument("--service-only", action="store_true", help="skip the HTTP part")
    parser.add_argument(
        "--realistic",
        action="store_true",
        default=os.environ.get("BENCH_REALISTIC", "") == "1",
        help="bulk fill with a working office's shape (bench/spread.py)",
    )
    parser.add_argument(
        "--no-search-index",
        action="store_true",
        default=os.environ.get("BENCH_SEARCH_INDEX", "") == "0",
        help="skip the search index rebuild after the bulk fill",
    )
    parser.add_argument(
        "--pages-requests",
        type=int,
        default=int(os.environ.get("BENCH_PAGES_REQUESTS") or (1 if quick else 10)),
        help="measured requests per page in bench/pages.py (0: skip it)",
    )
    parser.add_argument(
        "--reports-rows",
        type=int,
        default=int(os.environ.get("BENCH_REPORTS_ROWS") or (500 if quick else 100_000)),
        help="bench/reports.py on each database after the pages: a ledger export of the newest N "
        "petitions and an import of N rows (0: skip it)",
    )
    parser.add_argument(
        "--reports-requests",
        type=int,
        default=int(os.environ.get("BENCH_REPORTS_REQUESTS") or (1 if quick else 20)),
        help="measured rounds per statistics query in bench/reports.py",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        default=os.environ.get("BENCH_PREPARED", "") == "0",
        help="fill PostgreSQL anew instead of copying a prepared fill (BENCH_PREPARED=0)",
    )
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench")))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    defaults = (2000, 200, 50) if args.quick else (100_000, 2000, 300)
    env_names = ("BENCH_PETITIONS", "BENCH_API_PETITIONS", "BENCH_REQUESTS")
    for attr, env, default in zip(
        ("petitions", "api_petitions", "requests"), env_names, defaults, strict=True
    ):
        if getattr(args, attr) is None:
            setattr(args, attr, int(os.environ.get(env) or default))
    if args.sqlite_petitions is None:
        args.sqlite_petitions = min(args.petitions, SQLITE_DEFAULT_CAP)
    _split(args, args.petitions)
    return args


# The embedded database is the small office's: issue 10 measures it at 10⁵ while PostgreSQL is
# measured at 10⁶, and a second fill of 10⁶ would double a run that must fit in 30 minutes.
SQLITE_DEFAULT_CAP = 100_000


def _split(args, petitions: int) -> None:
    """Sets how many of `petitions` are bulk-filled and how many go through the service layer."""
    args.petitions = petitions
    if args.no_bulk or petitions <= args.service_petitions:
        args.bulk, args.service = 0, petitions
    else:
        args.bulk, args.service = petitions - args.service_petitions, args.service_petitions


def sized_for(kind: str, args) -> argparse.Namespace:
    """`args` with the petitions, bulk fill and service-layer share of database `kind`."""
    sized = argparse.Namespace(**vars(args))
    _split(sized, args.sqlite_petitions if kind == "sqlite" else args.petitions)
    return sized


def base_env(data_dir: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XINFANG_", "DJANGO_", "PYTHONPATH"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "xinfang.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "DATABASE_URL": database_url,
            "XINFANG_DATA_DIR": str(data_dir),
            "XINFANG_SECRET_KEY": BENCH_SECRET,
            "XINFANG_HTTPS": "0",
            "XINFANG_STATIC_MANIFEST": "0",
            "XINFANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "XINFANG_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_postgres(url: str) -> str | None:
    """Drop and create the benchmark database; returns why not, if the server is unreachable."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        return "psycopg is not installed"
    admin_url, name = _maintenance_url(url)
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def drop_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin_url, name = _maintenance_url(url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# What a prepared fill depends on besides its size and shape: the code that generates and
# writes it. The application's migrations are not part of it: a copy is migrated forward.
FILL_SOURCES = ("bench/generator.py", "bench/bulk.py", "bench/spread.py", "bench/load.py")


def prepared_name(pg_url: str, args) -> tuple[str, str]:
    """The prepared fill's database name, and the prefix its other versions share."""
    digest = hashlib.sha256()
    for path in FILL_SOURCES:
        digest.update((ROOT / path).read_bytes())
    digest.update(f"{args.bulk}:{args.realistic}:{args.no_search_index}".encode())
    _admin, name = _maintenance_url(pg_url)
    prefix = f"{name[:30]}_prepared_{args.bulk}_"
    return prefix + digest.hexdigest()[:10], prefix


def run_load(args, env: dict, *options: str) -> dict:
    """Runs bench/load.py with `options` and the fill's shape (--realistic, --no-search-index)
    of `args`; returns the JSON it prints last."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            *options,
            *(["--realistic"] if args.realistic else []),
            *(["--no-search-index"] if args.no_search_index else []),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _file_copy(conn):
    """The clause that copies a database file by file (PostgreSQL 15 and later). The default
    strategy writes every page of the copy to the WAL as well, which suits small templates; the
    10⁶-petition fill is 10 GB, and copying it that way was a minute and a half of the run."""
    from psycopg import sql

    return sql.SQL(" STRATEGY = FILE_COPY" if conn.info.server_version >= 150000 else "")


def prepare_postgres(args, pg_url: str, env: dict) -> dict:
    """Makes the (empty, just created) benchmark database a copy of the prepared fill of
    args.bulk petitions, filling and keeping that fill first if there is none for this
    code. Copying a 10⁶-petition database takes a minute or two; filling it, most of an
    hour. The fill's own figures are kept as the prepared database's comment."""
    import psycopg
    from psycopg import sql

    admin_url, name = _maintenance_url(pg_url)
    prepared, prefix = prepared_name(pg_url, args)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [prepared]
        ).fetchone()
        if found is not None:
            started = time.monotonic()
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(prepared)
                )
                + _file_copy(conn)
            )
            return {
                "prepared": prepared,
                "reused": True,
                "copy_seconds": round(time.monotonic() - started, 1),
                "fill": json.loads(found[0] or "{}"),
            }
    print(f"[postgresql] no prepared fill for this code: filling {args.bulk:,} petitions once …", flush=True)
    started = time.monotonic()
    fill = run_load(args, env, "--petitions", "0", "--bulk", str(args.bulk))["bulk"]
    fill["wall_seconds"] = round(time.monotonic() - started, 1)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        # Older fills of the same size (the code changed since) would only take disk space.
        for (old,) in conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
            [prefix, prepared],
        ).fetchall():
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(old)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(prepared), sql.Identifier(name))
            + _file_copy(conn)
        )
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(prepared), sql.Literal(json.dumps(fill))
            )
        )
    return {"prepared": prepared, "reused": False, "fill": fill}


def bench_database(kind: str, args, pg_url: str) -> dict:
    data_dir = (args.dir / kind).resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if kind == "sqlite":
        url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    else:
        why = recreate_postgres(pg_url)
        if why:
            print(f"[{kind}] skipped: cannot reach PostgreSQL ({why})", flush=True)
            return {"skipped": why}
        url = pg_url
    env = base_env(data_dir, url)
    if args.bulk:
        print(
            f"[{kind}] bulk-filling {args.bulk:,} petitions (bulk_create), then registering "
            f"{args.service:,} through the service layer …",
            flush=True,
        )
    else:
        print(f"[{kind}] registering {args.service:,} petitions through the service layer …", flush=True)
    started = time.monotonic()
    prepared = None
    fill = ["--bulk", str(args.bulk)]
    if kind == "postgresql" and args.bulk and not args.fresh:
        prepared = prepare_postgres(args, pg_url, env)
        fill = ["--bulk", "0", "--skip", str(args.bulk)]
    load = run_load(
        args,
        env,
        "--petitions",
        str(args.service),
        *fill,
        "--max-seconds",
        str(args.max_load_minutes * 60),
    )
    token = load.pop("token")
    if prepared is not None:
        load["bulk"] = prepared.pop("fill")
        load["prepared"] = prepared
    result = {"load": load, "load_wall_seconds": round(time.monotonic() - started, 1)}
    if not args.service_only:
        server = Server(env, data_dir / "gunicorn.log")
        try:
            server.wait_ready(token)
            print(
                f"[{kind}] POSTing {args.api_petitions:,} petitions to {server.base} from 4 threads …",
                flush=True,
            )
            gen = PetitionGenerator(7, units=load["units"])
            bodies = list(gen.registrations(args.api_petitions))
            result["api_registration"] = register_over_http(server.base, token, bodies, threads=4)
            total = load["petitions"] + result["api_registration"]["created"]
            result["worker_catch_up"] = worker_catch_up(env)
            print(
                f"[{kind}] timing reads at {total:,} petitions, {args.requests} requests each …", flush=True
            )
            result["reads"] = measure_reads(
                server.base,
                token,
                number_pattern=load["number_pattern"],
                serials=load["petitions"],
                requests=args.requests,
                seed=11,
            )
            result["petitions_at_read_time"] = total
        finally:
            server.stop()
    if args.pages_requests:
        # Every role's everyday pages on the same data (issue 9): a clerk, two leaders and a
        # handling officer, in-process, with the worker's peak RSS.
        print(f"[{kind}] timing every role's pages, {args.pages_requests} requests each …", flush=True)
        pages = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "pages.py"),
                "--requests",
                str(args.pages_requests),
                "--warmup",
                "0" if args.quick else "2",
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        result["pages"] = json.loads(pages.stdout)
    if args.reports_rows:
        result["reports"] = run_reports(args, env, data_dir / "reports.json")
    if kind == "postgresql" and os.environ.get("BENCH_KEEP") != "1":
        drop_postgres(pg_url)
    return result


def worker_catch_up(env: dict) -> dict:
    """What the worker does every minute (`make worker`: reports.compact_statistics) and had no
    chance to do while thousands of petitions were registered in a few minutes: the statistics
    summary's appended changes folded. Without it the reads below would count a year of an
    office's registrations row by row, which no office running the worker ever does."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "rebuild_statistics", "--compact"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return {"compact_seconds": round(time.monotonic() - started, 1), "output": done.stdout.strip()}


def run_reports(args, env: dict, out: Path) -> dict:
    """Issue 12's figures on the database just measured, last because its import adds rows:
    the statistics page and API, a ledger export of the newest `reports_rows` petitions (time,
    the exporting process's peak RSS) and an import of as many rows. On the same database
    rather than one of bench/reports.py's own, which would be a second fill of the same size
    (at 10⁶ as long as this run's). `make bench-reports` still fills its own."""
    rows = str(args.reports_rows)
    print(
        f"[statistics, a ledger export of {args.reports_rows:,} rows and an import of as many, "
        "bench/reports.py …]",
        flush=True,
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "reports.py"),
            "--existing",
            "--requests",
            str(args.reports_requests),
            "--export-rows",
            rows,
            "--import-rows",
            rows,
            "--row-by-row",
            "0",
            "--out",
            str(out),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def table(results: dict) -> str:
    dbs = [k for k, v in results["databases"].items() if "skipped" not in v]
    rows: list[tuple[str, ...]] = [("", *dbs)]

    def row(label, get):
        values = []
        for db in dbs:
            try:
                values.append(get(results["databases"][db]))
            except (KeyError, TypeError):
                values.append("–")
        rows.append((label, *values))

    row("BULK LOAD (bulk_create, not the service layer)", lambda r: f"{r['load']['bulk']['petitions']:,}")
    row(
        "  bulk-fill petitions/s (incl. generation)",
        lambda r: f"{r['load']['bulk']['per_second']:,.0f} ({r['load']['bulk']['seconds']:,.0f} s)",
    )
    row(
        "  prepared fill (PostgreSQL)",
        lambda r: (
            f"copied ({r['load']['prepared']['copy_seconds']:,.0f} s)"
            if r["load"]["prepared"]["reused"]
            else "filled now, kept for the next run"
        ),
    )
    row("petitions registered (service layer)", lambda r: f"{r['load']['registered']:,}")
    row(
        "  time budget hit: projected time for all",
        lambda r: (
            f"{r['load']['projected_seconds_for_requested'] / 60:,.0f} min for {r['load']['requested']:,}"
            if r["load"]["stopped_early"]
            else "no"
        ),
    )
    row("  registrations/s, whole run", lambda r: f"{r['load']['service_per_second']:,.0f}")
    row("  registrations/s, first 1,000", lambda r: f"{r['load']['first_batch']['per_second']:,.0f}")
    row("  registrations/s, last 1,000", lambda r: f"{r['load']['last_batch']['per_second']:,.0f}")
    row("petitions POSTed over HTTP (4 threads)", lambda r: f"{r['api_registration']['requests']:,}")
    row("  registrations/s over HTTP", lambda r: f"{r['api_registration']['per_second']:,.0f}")
    row(
        "  POST p50 / p95 ms", lambda r: "{p50:.0f} / {p95:.0f}".format(**r["api_registration"]["latency_ms"])
    )
    row("petitions in the database for reads", lambda r: f"{r['petitions_at_read_time']:,}")
    first = next((results["databases"][db] for db in dbs if "reads" in results["databases"][db]), None)
    for name in (first or {}).get("reads", {}):
        row(
            f"GET {name}: p50 / p95 / mean ms",
            lambda r, n=name: "{p50:.1f} / {p95:.1f} / {mean:.1f}".format(**r["reads"][n]),
        )
    first_pages = next((results["databases"][db] for db in dbs if "pages" in results["databases"][db]), None)
    for persona, pages in (first_pages or {}).get("pages", {}).get("personas", {}).items():
        for label in pages:
            row(
                f"{persona} {label}: p50 / p95 ms (SQL)",
                lambda r, p=persona, n=label: "{p50:.0f} / {p95:.0f} ({queries})".format(
                    **r["pages"]["personas"][p][n]
                ),
            )
    if first_pages:
        row("web worker peak RSS MB (pages)", lambda r: f"{r['pages']['peak_rss_mb']:.0f}")
    for label in ("api", "page", "standard_report"):
        row(
            f"statistics {label}: p50 / p95 ms",
            lambda r, n=label: "{p50_ms:.0f} / {p95_ms:.0f}".format(**r["reports"]["statistics"][n]),
        )
    for fmt in ("xlsx", "csv"):
        row(
            f"ledger export {fmt}: rows, s, peak RSS MB",
            lambda r, f=fmt: "{rows:,} / {seconds:.1f} / {peak_rss_mb:.0f}".format(
                **r["reports"][f"export_{f}"]
            ),
        )
    row(
        "ledger import: rows, dry run s, import s (CPU s)",
        lambda r: (
            "{created:,} / {dry_run_seconds:.1f} / {import_seconds:.1f} ({import_cpu_seconds:.1f})".format(
                **r["reports"]["import"]
            )
        ),
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    for db, r in results["databases"].items():
        if "skipped" in r:
            lines.append(f"{db}: skipped ({r['skipped']})")
    return "\n".join(lines)


def main() -> None:
    args = options()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL
    results = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "config": {
            "petitions": args.petitions,
            "sqlite_petitions": args.sqlite_petitions,
            "bulk_petitions": args.bulk,
            "service_petitions": args.service,
            "api_petitions": args.api_petitions,
            "requests_per_endpoint": args.requests,
            "gunicorn_workers": 2,
            "client_threads": 4,
            "realistic": args.realistic,
            "search_index": not args.no_search_index,
            "pages_requests": args.pages_requests,
        },
        "databases": {},
    }
    for kind in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if kind not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown database {kind!r}: use sqlite and/or postgresql")
        results["databases"][kind] = bench_database(kind, sized_for(kind, args), pg_url)
    for r in results["databases"].values():
        r.get("load", {}).pop("units", None)  # ids of this run's units: of no use later
    results["finished_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    print()
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.out}")


if __name__ == "__main__":
    main()
