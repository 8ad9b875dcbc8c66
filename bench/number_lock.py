"""What the server does while the year's number is locked, statement by statement (issue 9).

bench/registration.py times the lock from the client (each statement's round trip, the Python
between them, the COMMIT). This runs the same registrations (check_registration +
register_petition, each in its own transaction, as the API) with PostgreSQL's auto_explain
loaded in the session and its plans sent to this client as notices: every statement the server
runs between the number's statement and the COMMIT's return (the triggers' and the foreign
keys' checks included, which the COMMIT runs for deferred constraints), with each plan node's
own time, its buffers and its WAL, summed per registration. EXPLAIN's timing slows the server
down: compare the parts with each other, not with bench/registration.py's times.

Needs a role that may LOAD auto_explain (a superuser: the bench's). Run as
`python bench/number_lock.py --count 100` with the environment of bench/load.py, on a copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

_SETTINGS = {
    "log_min_duration": "0",
    "log_analyze": "on",
    "log_buffers": "on",
    "log_wal": "on",
    "log_timing": "on",
    "log_triggers": "on",
    "log_nested_statements": "on",
    "log_format": "json",
    "log_level": "notice",
}


def _node_label(node: dict) -> str:
    kind = node.get("Node Type", "?")
    if kind == "ModifyTable":
        kind = node.get("Operation", kind)
    name = node.get("Relation Name") or node.get("CTE Name") or node.get("Index Name") or ""
    return f"{kind} {name}".strip()


def _walk(node: dict, out: dict, statement: str) -> None:
    children = node.get("Plans", [])
    loops = node.get("Actual Loops", 1) or 1
    own = node.get("Actual Total Time", 0.0) * loops - sum(
        c.get("Actual Total Time", 0.0) * (c.get("Actual Loops", 1) or 1) for c in children
    )
    key = (statement, _node_label(node))
    out[key]["ms"] += max(own, 0.0)
    out[key]["n"] += 1
    for child in children:
        _walk(child, out, statement)


def _statement_label(text: str) -> str:
    # The number's message may begin with the deferred checks (numbering.py): named by its last.
    text = text.rsplit("; ", 1)[-1] if text.startswith("SET CONSTRAINTS") else text
    words = text.replace('"', "").split()
    if not words:
        return "?"
    if words[0].upper() == "WITH":
        tables = re.findall(r"(?:UPDATE|INSERT INTO)\s+\"?(\w+)", text)
        return "WITH " + " + ".join(dict.fromkeys(tables))
    if words[0].upper() == "SELECT" and "FOR KEY SHARE" in text:
        table = re.search(r"FROM ONLY \"?(?:\w+\"?\.\"?)?(\w+)", text.replace('"', ""))
        return f"foreign key check on {table.group(1) if table else '?'}"
    return " ".join(words[:4])


def run(count: int, skip: int, seed: int) -> dict:
    from django.db import connection

    from bench.generator import PetitionGenerator, demo_unit_ids
    from xinfang.accounts.models import User
    from xinfang.audit.models import Source
    from xinfang.audit.services import Context
    from xinfang.petitions.services import registration
    from xinfang.petitions.services.checks import check_registration

    clerk = User.objects.get(username="clerk")
    ctx = Context(actor=clerk, source=Source.COMMAND)
    bodies = list(PetitionGenerator(seed, units=demo_unit_ids()).registrations(count + skip))
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for name, value in _SETTINGS.items():
            cursor.execute(f"SET auto_explain.{name} = '{value}'")
    state: dict = {}
    plans: list[tuple[str, str]] = []

    def notice(diag) -> None:
        message = diag.message_primary or ""
        if state.get("where") and "plan:" in message:
            plans.append((state["where"], message.split("plan:", 1)[1]))

    connection.connection.add_notice_handler(notice)
    original_allocate, original_commit = registration.allocate_number, connection._commit

    def allocate(*args, **kwargs):
        state["where"] = "locked"
        return original_allocate(*args, **kwargs)

    def commit():
        state["where"] = "commit" if state.get("where") == "locked" else state.get("where")
        try:
            return original_commit()
        finally:
            state["where"] = None

    registration.allocate_number, connection._commit = allocate, commit
    nodes: dict = defaultdict(lambda: {"n": 0, "ms": 0.0})
    statements: dict = defaultdict(lambda: {"n": 0, "ms": 0.0})
    triggers: dict = defaultdict(lambda: {"n": 0, "ms": 0.0})
    # Each registration's server time in the lock by part (its statements as a whole), for
    # medians: a busy machine's pauses land in a few registrations and swell the means.
    parts: dict = defaultdict(list)
    try:
        for i, body in enumerate(bodies):
            state.clear()
            plans.clear()
            registration.register_petition(ctx=ctx, data=check_registration(body))
            if i < skip:
                continue
            mine: dict = defaultdict(float)
            taken = False
            for where, text in plans:
                explained = json.loads(text)
                # What the number's message runs before its UPDATE (the deferred checks, whose
                # plans arrive first) is not in the lock: the row is not locked yet.
                taken = taken or "petitions_numbersequence" in explained.get("Query Text", "")
                where = "before the number, same message" if where == "locked" and not taken else where
                label = f"{where}: {_statement_label(explained.get('Query Text', ''))}"
                statements[label]["n"] += 1
                statements[label]["ms"] += explained["Plan"].get("Actual Total Time", 0.0)
                mine[label] += explained["Plan"].get("Actual Total Time", 0.0)
                mine[f"{where}: all"] += explained["Plan"].get("Actual Total Time", 0.0)
                _walk(explained["Plan"], nodes, label)
                for trigger in explained.get("Triggers", []):
                    name = f"{where}: {trigger.get('Trigger Name')} on {trigger.get('Relation')}"
                    triggers[name]["n"] += trigger.get("Calls", 1)
                    triggers[name]["ms"] += trigger.get("Time", 0.0)
            for label, ms in mine.items():
                parts[label].append(ms)
    finally:
        registration.allocate_number, connection._commit = original_allocate, original_commit
        connection.connection.remove_notice_handler(notice)
        with connection.cursor() as cursor:
            cursor.execute("SET auto_explain.log_min_duration = -1")

    def per(table: dict) -> list[dict]:
        rows = [
            {
                "what": " / ".join(k) if isinstance(k, tuple) else k,
                **{f: round(v / count, 4) for f, v in d.items()},
            }
            for k, d in table.items()
        ]
        return sorted(rows, key=lambda r: -r.get("ms", 0))

    medians = {
        label: {"p50": round(statistics.median(v + [0.0] * (count - len(v))), 4), "in": len(v)}
        for label, v in sorted(parts.items())
    }
    return {
        "registrations": count,
        "per_registration_p50_ms": medians,
        "statements_mean_ms": per(statements),
        "nodes_mean_ms": per(nodes)[:25],
        "triggers_mean_ms": per(triggers),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--skip", type=int, default=20, help="registrations run first and not counted")
    parser.add_argument("--seed", type=int, default=77)
    args = parser.parse_args()

    import django

    django.setup()
    print(json.dumps(run(args.count, args.skip, args.seed), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
