"""Search benchmark (issue 10): p50/p95 of searches and similar-petition look-ups, index size,
and registration throughput without and with the index, on a fresh or an existing database.

    .venv/bin/python bench/search.py --petitions 100000                       # SQLite
    .venv/bin/python bench/search.py --petitions 100000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/xf_bench_search  # dropped and recreated
    DATABASE_URL=… XINFANG_SECRET_KEY=… XINFANG_DATA_DIR=… \\
        .venv/bin/python bench/search.py --existing [--rebuild]              # a filled database

`--existing` uses the database the environment names (DJANGO settings as for `manage.py`),
migrates it, and measures the petitions already there (e.g. a copy of a 10⁶ database); the
index is rebuilt (timed) only with `--rebuild` or when it is empty. The registrations at the end
add `--register` × 2 petitions to it.

The petitions are bulk-filled (bench/bulk.py) and then indexed with `rebuild` (timed), as a
deployment upgrading to the search app would; with BENCH_REAL_MESSAGES=1 real citizen texts from
../shared/data/citizen-messages are mixed in when present (never committed). Searches run
through the same selector as the list page and the API (count + first page + snippets), as the
clerk. Results print as JSON and go to bench/results/search-<database>.json (not committed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

PAGE = 25


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "n": len(ordered),
    }


def _environment(args) -> None:
    data_dir = (ROOT / "var" / "bench" / f"search-{'pg' if args.database_url else 'sqlite'}").resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "static").mkdir(parents=True)
    url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    if args.database_url:
        from bench.run import recreate_postgres

        why = recreate_postgres(url)
        if why:
            raise SystemExit(f"cannot reach PostgreSQL: {why}")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "xinfang.settings",
            "DATABASE_URL": url,
            "XINFANG_DATA_DIR": str(data_dir),
            "XINFANG_SECRET_KEY": "bench-search-" + "x" * 48,
            "XINFANG_HTTPS": "0",
            "XINFANG_STATIC_MANIFEST": "0",
            "XINFANG_LOG_LEVEL": "WARNING",
        }
    )


def _time_search(user, q: str, repeat: int) -> dict:
    """What the list page does for `q` (selectors.list_page): the count up to the search's cap,
    which decides the order, the first page and the snippets. The page's overdue marks
    (selectors.mark_overdue, not the search's) are timed apart: on an unanalysed SQLite
    database they cost seconds by themselves."""
    from xinfang.petitions.selectors import (
        list_page,
        mark_overdue,
        parse_filters,
        search_snippets,
    )

    samples, overdue = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        filters = parse_filters({"q": q})
        listed = list_page(user, filters, {}, per_page=PAGE)
        search_snippets(listed.page.object_list, q)
        samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        mark_overdue(listed.page.object_list)
        overdue.append(time.perf_counter() - started)
    count = listed.page.paginator.count
    shown = f"{listed.cap:,}+" if count > listed.cap else count
    return {
        "q": q,
        "matches": shown,
        "order": listed.order,
        **_percentiles(samples),
        "overdue_marks_p50_ms": _percentiles(overdue)["p50_ms"],
    }


def _api_client():
    """One test client for the whole run, its middleware loaded now, as a worker's handler loads
    it once at start (wsgi.py). A client per term loaded the middleware on that term's first
    request (WhiteNoise indexing every static file among it), which was then the term's p95, and
    left each client's objects to the collector (docs/benchmarks.md, round 14)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.handler.load_middleware()
    return client


def _time_api(client, user, q: str, repeat: int) -> dict:
    """GET /api/v1/petitions?q= in-process (Django's test client, a session for `user`):
    the view, its count, page, snippets and JSON, without a network or a server."""
    client.force_login(user)
    samples, body = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/api/v1/petitions", {"q": q, "page_size": PAGE})
        samples.append(time.perf_counter() - started)
        body = response.json() if response.status_code == 200 else {"error": response.status_code}
    capped = body.get("count_capped")
    return {
        "matches": f"{body.get('count')}{'+' if capped else ''}",
        "order": body.get("order", "relevance (before the bound)"),
        **_percentiles(samples),
    }


def _index_size() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                "WHERE relname IN ('search_searchdocument', 'search_matterband', 'petitions_petition')"
            )
            return {name: round(size / 2**20, 1) for name, size in cursor.fetchall()} | {"unit": "MiB"}
        try:
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' OR name = 'petitions_petition' "
                "GROUP BY name"
            )
            return {name: round(size / 2**20, 1) for name, size in cursor.fetchall()} | {"unit": "MiB"}
        except Exception as exc:  # dbstat is an optional SQLite module
            return {"error": str(exc)}


def _registration_rate(clerk, gen, count: int, *, indexed: bool) -> dict:
    from xinfang.audit.services import Context
    from xinfang.petitions.hooks import petition_text_changed
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition
    from xinfang.search.index import on_text_changed

    if not indexed:
        petition_text_changed.disconnect(dispatch_uid="xinfang.search.index")
    try:
        batch = list(gen.registrations(count))
        started = time.perf_counter()
        for data in batch:
            register_petition(ctx=Context(actor=clerk), data=check_registration(data))
        seconds = time.perf_counter() - started
    finally:
        if not indexed:
            petition_text_changed.connect(on_text_changed, dispatch_uid="xinfang.search.index")
    return {"petitions": count, "per_second": round(count / seconds, 1)}


def _time_similar(user, sample, repeat: int) -> dict:
    """The similar-petition look-up of each sampled petition's text, as at intake (no
    petitioners), `repeat` times each; then once more per text with the statements counted
    (untimed), and the results found. Also this process's CPU time per look-up, which a busy
    machine inflates less than the wall time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinfang.search.similarity import find_similar

    samples, cpu, statements, found = [], [], [], []
    for _round in range(max(1, repeat)):
        for petition in sample:
            started, cpu_started = time.perf_counter(), time.process_time()
            find_similar(user, title=petition.title, content=petition.content, requests=petition.requests)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
    for petition in sample:
        with CaptureQueriesContext(connection) as queries:
            answer = find_similar(
                user, title=petition.title, content=petition.content, requests=petition.requests
            )
        statements.append(len(queries))
        found.append([(s.petition.pk, s.score, s.same_petitioner, s.repeat) for s in answer])
    # Equal digests before and after a change of the look-up: the very same answers.
    digest = hashlib.sha256(json.dumps(found).encode()).hexdigest()[:16]
    return {
        **_percentiles(samples),
        # This process's CPU alone (not the server's): what a loaded machine's queue leaves out.
        "process_cpu": _percentiles(cpu),
        "statements": sorted(set(statements)),
        "results_mean": round(statistics.mean(len(f) for f in found), 2) if found else 0,
        "results_digest": digest,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, default=100_000)
    parser.add_argument("--existing", action="store_true", help="measure the database the environment names")
    parser.add_argument("--rebuild", action="store_true", help="with --existing: rebuild the index first")
    parser.add_argument(
        "--users",
        default="clerk,chair,housing",
        help="demo users to search as (clerk, leader, handling officer)",
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument(
        "--register", type=int, default=300, help="registrations timed without / with the index"
    )
    parser.add_argument(
        "--register-rounds", type=int, default=3, help="alternate without / with the index this many times"
    )
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=0,
        help="PostgreSQL: measure with this random_page_cost instead of the application's 1.1 (settings.py)",
    )

    parser.add_argument("--api", action="store_true", help="also time GET /api/v1/petitions?q= per query")
    parser.add_argument(
        "--skip-register", action="store_true", help="no registrations (leaves the database as is)"
    )
    parser.add_argument(
        "--extra-terms",
        default="",
        help="comma-separated terms searched besides the fixed ones, e.g. terms common enough in a "
        "handling unit's petitions at 10⁵ to pass the rank limit there as 电 does at 10⁶",
    )
    parser.add_argument(
        "--similar-only",
        action="store_true",
        help="only the similar-petition look-ups (no searches, no registrations)",
    )
    parser.add_argument("--similar-texts", type=int, default=30, help="random petitions' texts looked up")
    parser.add_argument("--similar-repeat", type=int, default=1, help="timed look-ups per text")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the start-up objects to the collector (before round 14; the worker freezes them)",
    )
    args = parser.parse_args()
    if not args.existing:
        _environment(args)

    import django

    django.setup()
    if not args.no_gc_freeze:
        # The worker's start, as bench/pages.py measures it: the application and its URLconf
        # loaded, then gc.freeze() (wsgi.py). Otherwise the run's first API request imports every
        # view, and full collections walking the 130,000 start-up objects (100-300 ms each on
        # the shared machine) fall on whichever search crosses the threshold (docs/benchmarks.md).
        import xinfang.wsgi  # noqa: F401
    from django.core.management import call_command
    from django.db import connection

    if args.random_page_cost and connection.vendor == "postgresql":
        options = connection.settings_dict["OPTIONS"]
        options["options"] = re.sub(
            r"-c random_page_cost=\S+", f"-c random_page_cost={args.random_page_cost}", options["options"]
        )

    from bench.bulk import bulk_fill
    from bench.generator import PetitionGenerator, demo_unit_ids, real_messages
    from xinfang.accounts.demo import create_demo_organisation
    from xinfang.accounts.models import User
    from xinfang.petitions.models import Petition, Petitioner
    from xinfang.search.index import rebuild
    from xinfang.search.models import SearchDocument

    call_command("migrate", interactive=False, verbosity=0)
    if not args.existing:
        create_demo_organisation("bench-pass-2026")
    clerk = User.objects.get(username="clerk")
    messages = real_messages(ROOT) if os.environ.get("BENCH_REAL_MESSAGES") == "1" else []
    gen = PetitionGenerator(2026, units=demo_unit_ids(), messages=messages)
    result: dict = {
        "database": connection.vendor,
        "existing": args.existing,
        "real_messages": len(messages),
        "random_page_cost": args.random_page_cost or None,
        "gc_freeze": not args.no_gc_freeze,
        "load_average_before": os.getloadavg(),
    }

    if not args.existing:
        started = time.perf_counter()
        bulk_fill(args.petitions, gen=gen, actor=clerk)
        result["bulk_fill_seconds"] = round(time.perf_counter() - started, 1)
    result["petitions"] = Petition.objects.count()
    if not args.existing or args.rebuild or not SearchDocument.objects.exists():
        started = time.perf_counter()
        rebuild()
        result["index_build_seconds"] = round(time.perf_counter() - started, 1)
        result["load_average_after_build"] = os.getloadavg()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result["index_size"] = _index_size()
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)

    rng = random.Random(7)
    ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True))
    sample = list(Petition.objects.filter(pk__in=rng.sample(ids, args.similar_texts)))
    if args.similar_only:
        del ids  # the harness's (below)
        result["similar_lookup"] = _time_similar(clerk, sample, args.similar_repeat)
        _finish(args, result, connection)
        return
    person = Petitioner.objects.exclude(phone="").exclude(name="").filter(petition_id__gte=ids[len(ids) // 2])
    person = person.order_by("petition_id").first()
    rare_source = Petition.objects.get(pk=rng.choice(ids)).content
    rare = rare_source[len(rare_source) // 2 : len(rare_source) // 2 + 5]
    queries = {
        "1-char": "电",
        "2-char 补偿": "补偿",
        "4-char 拖欠工资": "拖欠工资",
        "rare term": rare,
        "two terms AND": "补偿 拖欠",
        "a name": person.name,
        "a phone": person.phone,
        "part of a number": f"{Petition.objects.get(pk=ids[len(ids) // 3]).number[-6:]}",
    }
    # The list of every petition's id (10^6 at 10^6) is the harness's, not the served process's:
    # each full collection walked its million entries (15-20 ms) inside whichever request it fell on.
    del ids
    for term in filter(None, args.extra_terms.split(",")):
        queries[f"extra {term}"] = term
    result["search"] = {}
    client = _api_client() if args.api else None
    for username in args.users.split(","):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        timings = {label: _time_search(user, q, args.repeat) for label, q in queries.items()}
        for label in ("a name", "a phone"):
            timings[label]["q"] = "(withheld)"
        result["search"][username] = timings
        print(username, json.dumps(timings, ensure_ascii=False), file=sys.stderr, flush=True)
        if args.api:
            api = {label: _time_api(client, user, q, args.repeat) for label, q in queries.items()}
            result.setdefault("api_search", {})[username] = api
            print(username, "API", json.dumps(api, ensure_ascii=False), file=sys.stderr, flush=True)
    result["load_average_after_search"] = os.getloadavg()

    result["similar_lookup"] = _time_similar(clerk, sample, args.similar_repeat)

    if args.skip_register:
        _finish(args, result, connection)
        return
    # Warm both paths (imports, caches) before timing. Then alternate in rounds: at 616,000
    # petitions one batch each gave 2.5/s without the index (first) and 20.7/s with it, the
    # reverse of the earlier 37 → 3.1, so a single batch each measures the order, not the index.
    _registration_rate(clerk, gen, 5, indexed=True)
    rounds = max(1, args.register_rounds)
    for indexed in (False, True):
        result[f"registration_{'with' if indexed else 'without'}_index"] = []
    for _round in range(rounds):
        for indexed in (False, True):
            rate = _registration_rate(clerk, gen, max(1, args.register // rounds), indexed=indexed)
            result[f"registration_{'with' if indexed else 'without'}_index"].append(rate["per_second"])
    _finish(args, result, connection)


def _finish(args, result: dict, connection) -> None:
    result["load_average_end"] = os.getloadavg()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"search-{connection.vendor}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    connection.close()
    if args.database_url and not args.existing and os.environ.get("BENCH_KEEP") != "1":
        from bench.run import drop_postgres

        drop_postgres(args.database_url)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
