"""Part of a number (issue 10): what the list's capped count costs for the last six digits of
random petitions' numbers, read from `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL.

    # the environment of bench/load.py: DATABASE_URL, XINFANG_SECRET_KEY, … as for manage.py
    .venv/bin/python bench/part_of_number.py [--terms 300] [--seed 16] [--user clerk]

For each term: the statement the list's search counts with for an office-wide reader (the
visible petitions narrowed by the search, ids only, LIMIT SEARCH_RANK_LIMIT + 1, with the
search's PROBE_WORK_MEM as read_ids sets it), explained with ANALYZE and BUFFERS. Reported per
term and as p50 / p90 / p95 / max: the index probe's candidates (the rows of the GIN index's
Bitmap Index Scan), the index pages it touched (shared hit + read), the matches, and the
statement's execution and planning time. The same seed picks the same petitions on a copy of
the same database, so two trees can be measured alternately. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

GIN = "search_document_grams"


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _explain(sql: str, params) -> dict:
    from django.db import connection, transaction

    from xinfang.search.query import PROBE_WORK_MEM

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{PROBE_WORK_MEM}'")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        (explained,) = cursor.fetchone()
    explained = explained[0] if isinstance(explained, list) else json.loads(explained)[0]
    probes = [n for n in _nodes(explained["Plan"]) if n.get("Index Name") == GIN]
    return {
        "candidates": sum(n["Actual Rows"] for n in probes),
        "index_pages": sum(n["Shared Hit Blocks"] + n["Shared Read Blocks"] for n in probes),
        "index_pages_read": sum(n["Shared Read Blocks"] for n in probes),
        "matches": explained["Plan"]["Actual Rows"],
        "execution_ms": explained["Execution Time"],
        "planning_ms": explained["Planning Time"],
        "gin_probe": bool(probes),
    }


def _quantiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(share):
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50": at(0.5), "p90": at(0.9), "p95": at(0.95), "max": ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, default=300)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--user", default="clerk")
    parser.add_argument("--digits", type=int, default=6, help="how many of the number's last characters")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.db import connection

    from xinfang.accounts.models import User
    from xinfang.petitions import selectors
    from xinfang.petitions.models import Petition

    if connection.vendor != "postgresql":
        raise SystemExit("EXPLAIN (ANALYZE, BUFFERS) is PostgreSQL's")
    user = User.objects.get(username=args.user)
    ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(args.seed).sample(ids, args.terms)
    numbers = dict(Petition.objects.filter(pk__in=chosen).values_list("pk", "number"))
    rows = []
    load = [os.getloadavg()[0]]
    for pk in chosen:
        term = numbers[pk][-args.digits :]
        filters = selectors.parse_filters({"q": term})
        listed = selectors._filtered(user, filters)
        qs = selectors._searched(user, listed, filters, units=None, rank=False)
        found = qs.order_by().values_list("pk", flat=True)[: selectors.SEARCH_RANK_LIMIT + 1]
        sql, params = found.query.sql_with_params()
        rows.append({"term": term, **_explain(sql, params)})
    load.append(os.getloadavg()[0])
    summary = {
        key: _quantiles([r[key] for r in rows])
        for key in ("candidates", "index_pages", "index_pages_read", "matches", "execution_ms", "planning_ms")
    }
    result = {
        "database": connection.settings_dict["NAME"],
        "terms": len(rows),
        "gin_probes": sum(r["gin_probe"] for r in rows),
        "load_average": load,
        "summary": summary,
        "rows": rows,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
