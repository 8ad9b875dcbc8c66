"""Benchmark stage run inside Django (a subprocess of bench/run.py, with the
database chosen by DATABASE_URL): migrate, create the demo organisation,
optionally bulk-fill petitions (`--bulk`, bench/bulk.py: a data loader, not a
service-layer figure), register petitions through the service layer, and print
the measurements as JSON.

Only check_registration + register_petition are timed; the synthetic petitions are
generated beforehand in batches, so the generator's own cost is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, required=True)
    parser.add_argument("--bulk", type=int, default=0, help="bulk-fill this many petitions first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="three years of history, statuses spread over the procedure, many clerks and units (bench/spread.py)",
    )
    parser.add_argument(
        "--no-search-index",
        action="store_true",
        help="leave the search index empty after a bulk fill (pages and registration do not read it)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=0, help="stop registering after this long (0: never)"
    )
    parser.add_argument(
        "--skip",
        type=int,
        default=0,
        help="draw (untimed) and drop this many generated petitions first: the database is a copy "
        "of a prepared fill of that many (bench/run.py), and the registrations continue after it",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.generator import PetitionGenerator, demo_unit_ids, real_messages
    from xinfang.accounts.demo import create_demo_organisation, database_is_empty
    from xinfang.accounts.models import ApiToken, User
    from xinfang.audit.models import Source
    from xinfang.audit.services import Context
    from xinfang.petitions.models import Petition
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    (Path(settings.DATA_DIR) / "static").mkdir(exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    if args.skip and connection.vendor == "postgresql":
        # A copy of a prepared fill: the migrations just applied may have added columns and
        # indexes that have no statistics yet (and autovacuum may be off).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if database_is_empty():
        create_demo_organisation("bench-pass-2026")
    clerk = User.objects.get(username="clerk")
    ctx = Context(actor=clerk, source=Source.COMMAND)
    units = demo_unit_ids()
    messages = real_messages(ROOT) if os.environ.get("BENCH_REAL_MESSAGES") == "1" else []
    gen = PetitionGenerator(
        args.seed, units=units, messages=messages, **({"days": 3 * 365} if args.realistic else {})
    )

    for _ in gen.registrations(args.skip):
        pass
    bulk = None
    if args.bulk:
        from contextlib import ExitStack

        from bench.bulk import DEFERRED, bulk_fill, deferred_indexes, keys_checked_once

        def progress(done, seconds):
            if done % 20_000 == 0 or done == args.bulk:
                print(
                    f"  bulk-filled {done:,} in {seconds:,.0f} s ({done / seconds:,.0f}/s)",
                    file=sys.stderr,
                    flush=True,
                )

        from xinfang.reports import summary_sql

        # The foreign keys of everything written up to the search index are checked once at the
        # end (bench/bulk.py), not row by row at every commit; closed after the index's rebuild.
        checks = ExitStack()
        checks.enter_context(keys_checked_once())
        # The statistics summary's triggers work row by row in PL/pgSQL (about two thirds of
        # the fill's time at 10^5 and more); the loader pauses them for its connection and
        # recounts the summary once at the end with the same rebuild `manage.py
        # rebuild_statistics` runs, which the tests hold equal to what the triggers keep.
        summary_sql.pause_session()
        if connection.vendor == "postgresql":
            # A fill that fails is thrown away, so no commit of it needs to wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
        shape = None
        if args.realistic:
            # Drawn as each petition is written (bench/spread.py): no second pass over the rows.
            from bench.spread import Shape

            shape = Shape()
        follower = None
        try:
            with deferred_indexes() as deferred:
                if connection.vendor == "postgresql" and not args.no_search_index:
                    # The search index is written beside the fill by a second process
                    # (bench/follow_index.py), the same rows `rebuild_search_index` writes.
                    from bench.follow_index import Follower

                    follower = Follower()
                bulk = bulk_fill(args.bulk, gen=gen, actor=clerk, progress=progress, shape=shape)
                started = time.perf_counter()
            bulk["deferred_indexes"] = len(deferred)
            bulk["index_build_seconds"] = round(time.perf_counter() - started, 1)
            if shape is not None:
                bulk["spread"] = shape.summary()
            if connection.vendor == "postgresql":
                # The fill analyzed its tables as they doubled; the recount and the index below
                # plan from statistics of the whole fill.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE " + ", ".join(DEFERRED))
        except BaseException:
            if follower is not None:
                follower.stop()
            raise
        finally:
            summary_sql.resume_session()
        # bulk_create sends no petition_text_changed: index what it wrote, as registration would.
        from xinfang.search.index import rebuild

        recount = None
        if connection.vendor == "postgresql":
            # The statistics' recount is the database's work alone and reads none of the search
            # tables: it runs on a second connection while the search index is finished (the
            # second process's last batches and its index builds), so both cores work.
            recount = _Beside(_recount_and_vacuum)
        else:
            started = time.perf_counter()
            summary_sql.rebuild()
            bulk["statistics_rebuild_seconds"] = round(time.perf_counter() - started, 1)
        if follower is not None:
            started = time.perf_counter()
            bulk["search_index"] = follower.finish()
            bulk["search_index_seconds"] = round(time.perf_counter() - started, 1)
        elif not args.no_search_index:
            started = time.perf_counter()
            rebuild()
            bulk["search_index_seconds"] = round(time.perf_counter() - started, 1)
        if recount is not None:
            bulk.update(recount.join())
        started = time.perf_counter()
        checks.close()
        bulk["foreign_key_check_seconds"] = round(time.perf_counter() - started, 1)
        if connection.vendor == "postgresql":
            # A deployment's autovacuum analyzes tables after large changes (and may be
            # off on a scratch server): without statistics the repeat look-up of every
            # registration walks all petitions (~0.5 s each at 10⁵). SQLite never
            # analyzes by itself, so it is left as a deployment would have it.
            # VACUUM too: autovacuum would also have set the visibility map of the rows the
            # fill wrote. Without it no index-only scan skips the table, and every home and
            # queue count visits the rows: at 10⁶ the clerk's home took 870 ms instead of
            # about 60 (round 8, docs/benchmarks.md). The tables other than the search index's
            # were vacuumed beside the index's rebuild (_recount_and_vacuum); their pages are
            # all visible now, so this pass skips them.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("RESET synchronous_commit")  # the timed registrations wait as a service's do
            bulk["analyze_seconds"] = round(time.perf_counter() - started, 1)

    batch_seconds: list[tuple[int, float]] = []  # (petitions, seconds) per batch
    done = 0
    last_report = time.monotonic()
    stopped_early = False
    while done < args.petitions:
        if args.max_seconds and sum(s for _n, s in batch_seconds) >= args.max_seconds:
            stopped_early = True  # the time budget is spent: report the rate and a projection
            break
        size = min(BATCH, args.petitions - done)
        batch = list(gen.registrations(size))
        started = time.perf_counter()
        for data in batch:
            register_petition(ctx=ctx, data=check_registration(data))
        batch_seconds.append((size, time.perf_counter() - started))
        done += size
        if time.monotonic() - last_report > 60 or done == args.petitions:
            elapsed = sum(s for _n, s in batch_seconds)
            print(
                f"  registered {done:,} in {elapsed:,.0f} s ({done / elapsed:,.0f}/s)",
                file=sys.stderr,
                flush=True,
            )
            last_report = time.monotonic()

    total_seconds = sum(s for _n, s in batch_seconds)
    if stopped_early:
        print(f"  time budget spent: stopped at {done:,} of {args.petitions:,}", file=sys.stderr, flush=True)
    first = batch_seconds[0] if batch_seconds else (0, 0.0)
    last = batch_seconds[-1] if batch_seconds else (0, 0.0)
    _token, raw = ApiToken.issue(clerk)
    numbers = list(Petition.objects.order_by("serial").values_list("number", flat=True)[:1])
    result = {
        "database": connection.vendor,
        "server_version": _server_version(connection),
        "petitions": Petition.objects.count(),
        "requested": args.petitions,
        "registered": done,
        "stopped_early": stopped_early,
        "projected_seconds_for_requested": round(args.petitions * total_seconds / done, 0) if done else None,
        "service_seconds": round(total_seconds, 3),
        "service_per_second": round(done / total_seconds, 1) if total_seconds else None,
        "first_batch": {
            "petitions": first[0],
            "per_second": round(first[0] / first[1], 1) if first[1] else None,
        },
        "last_batch": {"petitions": last[0], "per_second": round(last[0] / last[1], 1) if last[1] else None},
        "bulk": bulk,
        "number_pattern": numbers[0].rsplit("-", 1)[0] if numbers else "",
        "units": units,
        "token": raw,
        "real_messages": len(messages),
    }
    connection.close()
    print(json.dumps(result), flush=True)


class _Beside:
    """Runs `work` (returning a dict of figures) on a thread of its own, hence on a database
    connection of its own (Django's are per thread); join() returns its figures or raises
    what it raised."""

    def __init__(self, work):
        import threading

        self.figures: dict = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,))
        self.thread.start()

    def _run(self, work) -> None:
        from django.db import connection

        try:
            self.figures = work()
        except BaseException as error:  # handed to join()
            self.error = error
        finally:
            connection.close()

    def join(self) -> dict:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.figures


def _recount_and_vacuum() -> dict:
    """The statistics summary recounted (with the triggers on: this connection never paused
    them), then the fill's tables other than the search index's vacuumed and analyzed."""
    from django.db import connection

    from xinfang.reports import summary_sql

    started = time.perf_counter()
    # The migrations have just installed the triggers; re-creating them would lock the
    # petitions' tables exclusively against the index rebuild's reads (a deadlock).
    summary_sql.rebuild(reinstall=False)
    figures = {"statistics_rebuild_seconds": round(time.perf_counter() - started, 1)}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename NOT LIKE 'search\\_%'"
        )
        tables = cursor.fetchone()[0]
        cursor.execute(f"VACUUM ANALYZE {tables}")
    figures["vacuum_beside_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _server_version(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if connection.vendor == "sqlite" else "show server_version")
        return str(cursor.fetchone()[0])


if __name__ == "__main__":
    main()
