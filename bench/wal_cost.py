"""WAL written per petition on PostgreSQL, for docs/scaling.md: petitions registered and
taken through the whole procedure with the services (as tests/workflow drives them),
then the server's WAL between the two positions read back with pg_waldump and summed
for this database's relations only (other databases on the server write WAL at the
same time). Run on a scratch database with the demo organisation, on the database
server's machine, as a user who may read its pg_wal directory:

    DATABASE_URL=postgresql://…/xf_scratch XINFANG_SECRET_KEY=… .venv/bin/python bench/wal_cost.py \\
        --pg-wal /var/lib/postgresql/15/main/pg_wal --password bench-pass-2026
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

RECORD = re.compile(r"len \(rec/tot\):\s*(\d+)/\s*(\d+)")
_numbers = itertools.count(1)


def steps(password):
    """registered → archived: the procedure's usual path (tests/workflow/conftest.py)."""
    return [
        ("clerk", "propose", lambda u: {"opinion": "拟转市住建局办理"}),
        ("secgen", "instruct", lambda u: {"instruction": "请市住建局核实处理。"}),
        (
            "clerk",
            "assign",
            lambda u: {"assignments": [{"unit": u["HOUSING"].pk, "role": "lead", "kind": "assignment"}]},
        ),
        ("housing", "submit_result", lambda u: {"findings": "经核实属实", "result": "已修复路灯"}),
        ("housing", "sign_off", lambda u: {"password": password}),
        ("deputy", "sign_off", lambda u: {"password": password}),
        ("clerk", "reply", lambda u: {"method": "written", "content": "已书面答复"}),
        ("clerk", "close", lambda u: {"outcome": "问题已解决"}),
        ("clerk", "archive", lambda u: {"archive_number": f"WAL-{os.getpid()}-{next(_numbers)}"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, default=30)
    parser.add_argument("--pg-wal", required=True, type=Path)
    parser.add_argument("--password", default="demo-pass-2026", help="the demo accounts' password")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xinfang.accounts.models import Unit, User
    from xinfang.audit.access import record
    from xinfang.audit.services import Context
    from xinfang.petitions.actions import perform
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    users = {u.username: u for u in User.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    path = steps(args.password)

    def register():
        data = {
            "channel": "letter",
            "received_at": timezone.now().isoformat(),
            "petitioners": [{"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000"}],
            "title": "小区路灯损坏",
            "content": "小区路灯坏了三个月无人修理，多次向物业反映未果，请求有关部门督促修复。",
            "category": "urban_construction",
        }
        return register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))[0]

    def lsn():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        dboid = str(cursor.fetchone()[0])

    def measure(units_of_work):
        """Each unit measured alone and summed: the server recycles WAL segments quickly while
        other databases write, so a long window may be gone before pg_waldump reads it."""
        total, statements = {"bytes": 0, "full_page_image_bytes": 0, "records": 0}, 0
        for work in units_of_work:
            start = lsn()
            with CaptureQueriesContext(connection) as queries:
                work()
            for key, value in wal(args.pg_wal, start, lsn(), dboid).items():
                total[key] += value
            statements += len(queries)
        return total, statements

    perform_all = lambda p: [perform(Context(actor=users[a]), p, act, body(units)) for a, act, body in path]  # noqa: E731
    perform_all(register())  # warm caches; not counted
    n = args.petitions
    registrations, reg_statements = measure([register] * n)
    made = [register() for _ in range(n)]
    lifecycles, life_statements = measure([lambda p=p: perform_all(p) for p in made])
    entries, _ = measure(
        [
            lambda i=i: record("petition.view", object_type="petition", object_ref=f"XF-{i}")
            for i in range(n * 10)
        ]
    )
    actions = n * len(path)
    out = {
        "petitions": n,
        "per_registration": {**_per(registrations, n), "statements": round(reg_statements / n, 1)},
        "per_action": {**_per(lifecycles, actions), "statements": round(life_statements / actions, 1)},
        "actions_per_petition": len(path),
        "per_access_log_entry": _per(entries, n * 10),
    }
    print(json.dumps(out, indent=1))


def wal(pg_wal: Path, start: str, end: str, dboid: str) -> dict:
    """Bytes of WAL between two positions: this database's records, their full-page images,
    and records tied to no relation (commits, mostly), which are counted too."""
    waldump = shutil.which("pg_waldump") or next(Path("/usr/lib/postgresql").glob("*/bin/pg_waldump"))
    done = subprocess.run(
        [str(waldump), "-p", str(pg_wal), "-s", start, "-e", end], capture_output=True, text=True, check=False
    )
    if done.returncode and "end of WAL" not in done.stderr:
        raise SystemExit(f"pg_waldump failed: {done.stderr.strip()}")
    text = done.stdout
    ours = fpi = records = 0
    ours_tx, commits = set(), {}
    for line in text.splitlines():
        match = RECORD.search(line)
        if not match:
            continue
        rec, tot = int(match[1]), int(match[2])
        tx = re.search(r"tx:\s*(\d+)", line)
        relation = re.search(r"rel \d+/(\d+)/", line)
        if relation is None:
            if "COMMIT" in line and tx:
                commits[tx[1]] = tot
            continue
        if relation[1] != dboid:
            continue
        records += 1
        ours += tot
        fpi += tot - rec
        if tx:
            ours_tx.add(tx[1])
    # Commit records name no relation: those of this database's transactions are counted.
    unrelated = sum(size for tx, size in commits.items() if tx in ours_tx)
    return {"bytes": ours + unrelated, "full_page_image_bytes": fpi, "records": records}


def _per(measured: dict, count: int) -> dict:
    return {
        "wal_bytes": round(measured["bytes"] / count),
        "of_which_full_pages": round(measured["full_page_image_bytes"] / count),
        "wal_records": round(measured["records"] / count, 1),
    }


if __name__ == "__main__":
    main()
