"""Registration under load (issue 9), on an existing database (DATABASE_URL):

1. in-process, `--service` registrations one after another through check_registration
   + register_petition, each in its own transaction as the API runs it, timing how long the
   year's number row stays locked (from the sequence UPDATE until the COMMIT returns, which
   is when PostgreSQL has released the row) and counting the SQL statements (BEGIN and
   COMMIT included, as the round trips they are);
2. over HTTP, gunicorn (2 workers × 8 threads, loopback, `--port`) and `--clients`
   client threads POSTing `--http` petitions to /api/v1/petitions: rate and latency.

Run as `python bench/registration.py` with the environment of bench/load.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")


def _ms(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    if not ms:
        return {}

    def pct(p):
        return round(ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))], 2)

    return {"n": len(ms), "p50": pct(50), "p95": pct(95), "mean": round(statistics.fmean(ms), 2)}


def in_process(count: int, seed: int) -> dict:
    from django.db import connection

    from bench.generator import PetitionGenerator, demo_unit_ids
    from xinfang.accounts.models import User
    from xinfang.audit.models import Source
    from xinfang.audit.services import Context
    from xinfang.petitions.services import registration
    from xinfang.petitions.services.checks import check_registration

    clerk = User.objects.get(username="clerk")
    ctx = Context(actor=clerk, source=Source.COMMAND)
    gen = PetitionGenerator(seed, units=demo_unit_ids())
    bodies = list(gen.registrations(count))
    locks, totals, statements, before_commit, commits, durable, from_row = [], [], [], [], [], [], []
    timings: dict[tuple[str, str], list[float]] = {}
    original = registration.allocate_number
    state = {}

    def timed_allocate(year, *args, **kwargs):
        state["locked_at"] = time.perf_counter()
        return original(year, *args, **kwargs)

    def where() -> str:
        if "released_at" in state:
            return "after"  # after the COMMIT (numbering.py: the wait for the disk)
        return "locked" if "locked_at" in state else "before"

    def counter(execute, sql, params, many, context):
        state["statements"] = state.get("statements", 0) + 1
        if _TAKEN in sql:
            # The moment the row is locked, by the server's clock (the statement's message may
            # run other work first: the deferred checks, numbering.py), read after the COMMIT.
            sql = sql.replace(_TAKEN, _TAKEN_AT, 1)
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.setdefault((where(), _label(sql)), []).append(time.perf_counter() - t0)

    original_commit = connection._commit

    def timed_commit():
        # The registering transaction's COMMIT: the row lock is released when it returns
        # (without the disk's wait when numbering.py commits without it).
        state["commit_at"] = time.perf_counter()
        try:
            return original_commit()
        finally:
            state["released_at"] = time.perf_counter()
            timings.setdefault(("locked", "COMMIT"), []).append(state["released_at"] - state["commit_at"])

    connection._commit = timed_commit
    registration.allocate_number = timed_allocate
    server_cpu, client_cpu = _server_cpu(), time.process_time()
    try:
        for body in bodies:
            state.clear()
            started = time.perf_counter()
            with connection.execute_wrapper(counter):
                data = check_registration(body)
                # No transaction around it: the service's own is the one that commits, as when
                # the API calls it (its on_commit callbacks run before it returns).
                registration.register_petition(ctx=ctx, data=data)
            returned = time.perf_counter()
            released_wall = time.time() - (returned - state["released_at"])
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('xinfang_bench.locked_at', true)")
                locked_at = cursor.fetchone()[0]
            if locked_at:
                from_row.append(released_wall - float(locked_at))
            totals.append(returned - started)
            locks.append(state["released_at"] - state["locked_at"])
            before_commit.append(state["commit_at"] - state["locked_at"])
            commits.append(state["released_at"] - state["commit_at"])
            durable.append(returned - state["released_at"])
            # BEGIN (sent by the driver before the first statement) and COMMIT are round trips too.
            statements.append(state["statements"] + 2)
    finally:
        registration.allocate_number = original
        connection._commit = original_commit
    client_cpu = time.process_time() - client_cpu
    server_cpu = _server_cpu() - server_cpu if server_cpu is not None else None
    return {
        "registrations": count,
        "per_second": round(count / sum(totals), 1),
        # CPU per registration, which a busy machine does not inflate as it does the wall times:
        # this process (Python) and its PostgreSQL backend (read from /proc when the server runs
        # on this machine and may be read; None otherwise).
        "client_cpu_ms": round(client_cpu * 1000 / count, 2),
        "server_cpu_ms": round(server_cpu * 1000 / count, 2) if server_cpu is not None else None,
        "transaction_ms": _ms(totals),
        "number_lock_ms": _ms(locks),
        # From the number's row locked (the server's clock, in its UPDATE's RETURNING) until the
        # COMMIT returned: the lock itself, without what the statement's message runs before it.
        "number_row_locked_ms": _ms(from_row),
        "lock_until_commit_ms": _ms(before_commit),
        "commit_ms": _ms(commits),
        # From the COMMIT's return to the service's: the wait until the registration is on disk
        # when the COMMIT did not wait for it (numbering.py), otherwise about nothing.
        "after_commit_ms": _ms(durable),
        "statements_mean": round(statistics.fmean(statements), 2),
        "statements_max": max(statements),
        # Each kind of statement: where it ran (before the number, while it was locked, after the
        # COMMIT), its mean time (round trip included), how many per registration.
        "statements": [
            {
                "where": where,
                "sql": label,
                "mean_ms": round(statistics.fmean(t) * 1000, 2),
                "per": round(len(t) / count, 2),
            }
            for (where, label), t in sorted(
                timings.items(), key=lambda kv: (["before", "locked", "after"].index(kv[0][0]), -sum(kv[1]))
            )
        ],
    }


# The number's UPDATE (numbering._INCREMENT) as the bench sends it: it also notes, in a session
# setting, the server's clock when its row was updated, that is locked.
_TAKEN = 'WHERE "prefix" = %s AND "year" = %s RETURNING "last"'
_TAKEN_AT = (
    _TAKEN + ", set_config('xinfang_bench.locked_at', extract(epoch FROM clock_timestamp())::text, false)"
)


def _server_cpu(connection=None) -> float | None:
    """CPU seconds (user + system) of `connection`'s PostgreSQL backend so far (Django's default
    connection when none is given); None where /proc does not show it (another machine)."""
    if connection is None:
        from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _label(sql: str) -> str:
    """A statement's kind: its verb and first table ("INSERT petitions_petition")."""
    words = sql.replace('"', "").replace(" INTO ", " ").split()
    if words[0] in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return words[0]
    if words[:1] == ["WITH"]:
        return "WITH " + next((w for w in words if w.endswith(("_numbersequence", "_event"))), words[3])
    table = next((w for w in words[1:8] if "_" in w and w.isidentifier()), "")
    return f"{words[0]} {table}".strip()


def over_http(count: int, clients: int, port: int, seed: int) -> dict:
    from bench.api_load import Server, register_over_http
    from bench.generator import PetitionGenerator, demo_unit_ids
    from xinfang.accounts.models import ApiToken, User

    _token, raw = ApiToken.issue(User.objects.get(username="clerk"))
    env = dict(os.environ)
    log = Path(os.environ.get("XINFANG_DATA_DIR", "/tmp")) / "gunicorn-registration.log"
    server = Server(env, log, workers=2, threads=8, port=port)
    try:
        server.wait_ready(raw)
        bodies = list(PetitionGenerator(seed, units=demo_unit_ids()).registrations(count))
        return register_over_http(server.base, raw, bodies, threads=clients)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", type=int, default=500)
    parser.add_argument("--http", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args()

    import django

    django.setup()
    result = {}
    if args.service:
        result["in_process"] = in_process(args.service, args.seed)
        print(json.dumps(result["in_process"]), file=sys.stderr, flush=True)
    if args.http:
        result["http"] = over_http(args.http, args.clients, args.port or None, args.seed + 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
