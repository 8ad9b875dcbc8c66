"""The statistics summary's fold (`compact_statistics`, summary_sql.compact) on an existing
database (DATABASE_URL, the environment of bench/load.py), in three timed steps:

1. `--changes` petitions (chosen by a hash of their id, so the same ones on every copy of a
   database) change channel (letter <-> visit, call <-> online: run twice, they are back), in
   one UPDATE that fires the summary's triggers as any writer does: every petition's rows move
   from its old keys to its new ones, about as many appended deltas as registering as many
   petitions writes, but spread over every day of receipt instead of today's keys;
2. a fold of those deltas;
3. a fold with nothing appended since (what the worker does in a quiet minute).

Each step's seconds, the summary's rows before and after, and the machine's load (`uptime`).
Run with the code to measure on the PYTHONPATH (the script imports whichever tree runs it).
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

FLIP = (
    "UPDATE petitions_petition SET channel = CASE channel WHEN 'letter' THEN 'visit' "
    "WHEN 'visit' THEN 'letter' WHEN 'call' THEN 'online' ELSE 'call' END "
    "WHERE id IN (SELECT id FROM petitions_petition ORDER BY md5(id::text) LIMIT %s)"
)


def _load() -> float:
    return os.getloadavg()[0]


def _timed(step) -> dict:
    load = _load()
    started = time.monotonic()
    result = step()
    return {"seconds": round(time.monotonic() - started, 2), "load": round(load, 1), "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=7000, help="petitions whose channel changes")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    from xinfang.reports import summary_sql

    def change() -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FLIP, [args.changes])
            return cursor.rowcount

    def fold() -> int:
        with transaction.atomic():
            return summary_sql.compact()

    out = {"rows_before": summary_sql.row_count()}
    out["change"] = _timed(change)
    out["rows_appended"] = summary_sql.row_count() - out["rows_before"]
    out["fold"] = _timed(fold)
    out["rows_after"] = summary_sql.row_count()
    out["fold_nothing_to_do"] = _timed(fold)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
