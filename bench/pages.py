"""Every role's everyday pages, timed in-process on an existing database (issue 9).

Runs inside Django against DATABASE_URL (bench/run.py passes the database it
filled; by hand: the same environment as bench/load.py). For each persona it signs
in (force_login, as after a real sign-in), requests each page a few times unmeasured,
then `--requests` measured times, and reports p50/p95/mean in milliseconds with the
number of SQL statements of one request. The process's peak RSS at the end is the
most a web worker needed to render every page once, the registration form's suggestions
included (with a stored suggestion model: one is trained first if there is none).

In-process (the test client) rather than over HTTP: the figure is the server's
work — middleware, queries, templates — without the loopback or a queue, which is
what the aims in docs/benchmarks.md are about.

`--jit on` measures the settings before issue 9 (JIT on for the application's
connections), so the effect of switching it off is measured on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
os.environ.setdefault("XINFANG_REQUIRE_2FA", "0")


def _lists(deep_page: int, deep_key: str) -> list[tuple[str, str]]:
    return [
        ("list page 1", "/petitions/"),
        ("list deep page (typed number)", f"/petitions/?page={deep_page}"),
        ("list deep page (next link)", f"/petitions/?page={deep_page}&after={deep_key}"),
        ("list filtered", "/petitions/?status=registered&channel=letter"),
        ("API list page 1", "/api/v1/petitions"),
        ("API list deep page", f"/api/v1/petitions?page={deep_page}"),
    ]


# The statistics page (issue 12): its default twelve months by month, and by week compared with
# the period before (环比), which reads both periods' sections. For a clerk, a leader (the
# secretary-general) and a handling officer, whose unit's share is counted live on PostgreSQL too.
STATISTICS_PAGES = (
    ("statistics page", "/statistics/"),
    ("statistics page, weeks, previous period", "/statistics/?interval=week&compare=previous"),
    ("API statistics by month", "/api/v1/statistics?group_by=month"),
    ("standard report", "/statistics/report/"),
)


# The registration form's panel (issue 10): similar petitions and the category and unit
# suggested, as htmx asks for them while the clerk types. A POST: its form's fields.
INTAKE_PANEL = (
    "registration form's suggestions",
    "/search/intake-panel/",
    {
        "channel": "letter",
        "title": "小区电梯长期故障无人维修",
        "content": "幸福里小区3号楼电梯自今年三月起多次故障停运，物业公司以费用不足为由拖延维修，"
        "老人和孩子上下楼十分困难，请求有关部门督促物业尽快修复并公开维修资金使用情况。",
        "requests": "尽快修复电梯",
    },
)


def personas(
    sample_number: str, deep: tuple[int, str], unit_deep: tuple[int, str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """(label, path) per demo account: a clerk, two leaders and a handling officer. `deep`: the
    page half-way down the office's list and the key that ends the page before it; `unit_deep`:
    the same for the handling officer's own list (their unit's petitions, far fewer: the
    office's deep page lay past its end, and the API answered 404)."""
    lists = _lists(*deep)
    return {
        "clerk": [
            ("home", "/"),
            *lists,
            ("/deadlines/ overdue", "/deadlines/"),
            ("/outstanding/", "/outstanding/"),
            ("queue to_propose", "/queues/to_propose/"),
            ("API queues", "/api/v1/queues"),
            ("petition page", f"/petitions/{sample_number}/"),
            *STATISTICS_PAGES,
            INTAKE_PANEL,
        ],
        "secgen": [
            ("home", "/"),
            *lists,
            ("/outstanding/", "/outstanding/"),
            ("queue to_instruct", "/queues/to_instruct/"),
            ("queue to_sign", "/queues/to_sign/"),
            ("API queues", "/api/v1/queues"),
            *STATISTICS_PAGES,
        ],
        "deputy": [("home", "/"), ("queue to_sign", "/queues/to_sign/"), ("API queues", "/api/v1/queues")],
        "housing": [
            ("home", "/"),
            *_lists(*(unit_deep or deep)),
            ("/deadlines/ overdue", "/deadlines/?scope=unit"),
            ("queue assigned_to_my_unit", "/queues/assigned_to_my_unit/"),
            ("API queues", "/api/v1/queues"),
            *STATISTICS_PAGES,
        ],
    }


def summarise(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)

    def pct(p):
        return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

    return {
        "n": len(ms),
        "p50": round(pct(50), 1),
        "p95": round(pct(95), 1),
        "mean": round(statistics.fmean(ms), 1),
    }


def _deep_of(petitions, cursor) -> tuple[int, str]:
    """The page half-way down `petitions` (25 a page, newest first) and the key of the row that
    ends the page before it (what the "next" link of that page carries)."""
    deep_page = max(1, petitions.count() // 25 // 2)
    if cursor is None or deep_page == 1:
        return deep_page, "0.1"  # a database too small for a deep page (the smoke test)
    return deep_page, cursor(petitions.order_by("-received_at", "-id")[(deep_page - 1) * 25 - 1])


def ensure_suggestion_model(examples: int) -> dict:
    """A suggestion model to score with, so the registration form's panel is timed, and the
    worker's memory measured, with one loaded: the newest stored one, or else one trained now on
    the newest `examples` petitions, in a process of its own (training loads scikit-learn and
    jieba's full dictionary, which a web worker never does: its peak RSS must not include them)."""
    import subprocess

    from xinfang.search.models import SuggestionModel

    newest = SuggestionModel.objects.order_by("-version").values("version", "examples").first()
    if newest is not None or examples <= 0:
        return {"stored": newest}
    script = (
        "import django, json, time; django.setup()\n"
        "from xinfang.search import suggest\n"
        f"suggest.MAX_EXAMPLES = {int(examples)}\n"
        "t = time.perf_counter(); r = suggest.train()\n"
        "print(json.dumps({'version': r and r.version, 'examples': r and r.examples,"
        " 'seconds': round(time.perf_counter() - t, 1)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, timeout=3600
    )
    return {"trained": json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--jit", choices=("on", "off", "server"), default="off")
    parser.add_argument("--only", default="", help="comma-separated personas")
    parser.add_argument("--pages", default="", help="comma-separated parts of page labels (e.g. home,queue)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--suggestion-examples",
        type=int,
        default=2000,
        help="with no stored suggestion model, train one on this many of the newest petitions first (0: no)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the start-up objects to the collector (before round 12; the worker freezes them)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    if not args.no_gc_freeze:
        # The worker's start: the application and its URLconf loaded, then gc.freeze() (wsgi.py).
        import xinfang.wsgi  # noqa: F401
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    from xinfang.accounts.models import ApiToken, User
    from xinfang.petitions.models import Petition

    if args.jit != "server" and connection.vendor == "postgresql":

        def set_jit(sender, connection, **kwargs):
            with connection.cursor() as cursor:
                cursor.execute(f"SET jit = {args.jit}")

        connection_created.connect(set_jit, weak=False)
        connection.close()

    total = Petition.objects.count()
    sample = Petition.objects.order_by("id").values_list("number", flat=True)[total // 2]
    deep_page = max(1, total // 25 // 2)  # half-way down the clerk's list
    try:
        from xinfang.petitions.paging import cursor
    except ImportError:  # a tree from before keyset pages: the key is ignored there
        cursor = None
    deep_page, deep_key = _deep_of(Petition.objects.all(), cursor)
    results: dict = {"petitions": total, "jit": args.jit, "gc_freeze": not args.no_gc_freeze, "personas": {}}
    wanted = {p for p in args.only.split(",") if p}
    if not wanted or "clerk" in wanted:
        results["suggestion_model"] = ensure_suggestion_model(args.suggestion_examples)
    handler = User.objects.get(username="housing")
    unit_deep = (deep_page, deep_key)
    if not wanted or "housing" in wanted:
        unit_deep = _deep_of(Petition.objects.visible_to(handler), cursor)
        results["housing_deep_page"] = unit_deep[0]
    for username, pages in personas(sample, (deep_page, deep_key), unit_deep).items():
        if wanted and username not in wanted:
            continue
        user = User.objects.get(username=username)
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HOST="127.0.0.1")
        client.force_login(user)
        _token, raw = ApiToken.issue(user)
        api_headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        rows = {}
        chosen = [p for p in args.pages.split(",") if p]
        for label, path, *posted in pages:
            if chosen and not any(part in label for part in chosen):
                continue
            extra = api_headers if path.startswith("/api/") else {}

            def request(path=path, extra=extra, posted=posted, client=client):
                if posted:
                    return client.post(path, posted[0], **extra)
                return client.get(path, **extra)

            status = None
            for _ in range(args.warmup):
                status = request().status_code
            statements = []

            def count(execute, sql, params, many, context, statements=statements):
                statements.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                status = request().status_code
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                request()
                timings.append(time.perf_counter() - started)
            rows[label] = {**summarise(timings), "queries": len(statements), "status": status}
            print(f"  {username:8} {label:28} {rows[label]}", file=sys.stderr, flush=True)
        results["personas"][username] = rows
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
