"""Where one API registration's CPU goes (issue 9), on an existing database (DATABASE_URL).

POST /api/v1/petitions through the WSGI application itself, as a gunicorn worker calls it (the
served settings, every middleware, the bearer token, the 201 answer; no socket), one request
after another, each in the service's own transaction. Reports per registration:

- the process's CPU (user + system, resource.getrusage) and its PostgreSQL backend's (/proc);
- the statements, each kind's count and mean time (round trip included), and with `--server`
  their execution time on the server (pg_stat_statements when loaded, else none);
- with `--profile`, a cProfile of the measured requests on process CPU time, its total split by
  component (the functions of each module group that are on the stack, outermost counted once).

`--warm` requests first, unmeasured (a worker's first requests compile and cache). Run as
`python bench/registration_cpu.py` with the environment of bench/load.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

# Components by the module a function is defined in (first match wins), for the profile's split.
COMPONENTS = (
    ("search index (shingles, MinHash)", ("xinfang/search/",)),
    ("audit (event, chain, seal)", ("xinfang/audit/services", "xinfang/audit/chain", "xinfang/audit/state")),
    ("access log", ("xinfang/audit/access",)),
    ("numbering", ("xinfang/petitions/numbering",)),
    (
        "validation (check_registration)",
        ("petitions/services/checks", "petitions/inputs", "petitions/validators"),
    ),
    (
        "201 answer (serializers)",
        ("petitions/api/serializers", "rest_framework/serializers", "rest_framework/fields"),
    ),
    ("token, authentication", ("accounts/api_auth", "accounts/models", "rest_framework/authentication")),
    ("registration service", ("petitions/services/registration", "petitions/deadlines", "petitions/derived")),
    (
        "middleware",
        (
            "django/middleware",
            "whitenoise",
            "csp/",
            "django_htmx",
            "xinfang/core/middleware",
            "accounts/middleware",
            "core/replicas",
            "django/contrib/sessions",
            "django/contrib/messages",
        ),
    ),
    ("DRF request/parsing/rendering", ("rest_framework/",)),
    ("ORM: compile SQL", ("django/db/models/sql/",)),
    ("database driver (psycopg, round trips)", ("psycopg", "django/db/backends")),
    ("ORM: models, querysets", ("django/db/models/",)),
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _label(sql: str) -> str:
    from bench.registration import _label as label

    return label(sql)


# Stages of a registration by their entry point (file, function): inclusive share of the profile
# (of the matching functions, the largest: nested ones, as DRF's two `data`, are not added up).
STAGES = {
    "request in all (WSGI handler)": ("django/core/handlers/wsgi.py", "__call__"),
    "DRF dispatch": ("rest_framework/views.py", "dispatch"),
    "token look-up (find_live)": ("accounts/models.py", "find_live"),
    "body parsing (request.data)": ("rest_framework/request.py", "_load_data_and_files"),
    "check_registration": ("services/checks.py", "check_registration"),
    "fingerprint": ("services/registration.py", "fingerprint"),
    "register_petition": ("services/registration.py", "register_petition"),
    "  Model.save (the petition, a reception record)": ("django/db/models/base.py", "save"),
    "  registration_deadlines": ("petitions/deadlines.py", "registration_deadlines"),
    "  _write_parties": ("services/registration.py", "_write_parties"),
    "  _link_repeats": ("services/registration.py", "_link_repeats"),
    "  search: on_text_changed": ("search/index.py", "on_text_changed"),
    "  describe_written": ("petitions/audit_state.py", "describe_written"),
    "  prepare_first_event": ("audit/services.py", "prepare_first_event"),
    "  allocate_number": ("petitions/numbering.py", "allocate_number"),
    "  search: on_numbered": ("search/index.py", "on_numbered"),
    "  append_prepared": ("audit/services.py", "append_prepared"),
    "  wait_until_durable": ("petitions/numbering.py", "wait_until_durable"),
    "201 answer (serializer .data)": ("rest_framework/serializers.py", "data"),
    "  petitioner_rows (access log)": ("", "petitioner_rows"),
    "  access log record": ("audit/access.py", "record"),
    "response rendering": ("rest_framework/response.py", "rendered_content"),
}


def _split(profile: cProfile.Profile, top: int, dump: str = "") -> dict:
    """The profile's inclusive time by component: for each function, its own time charged to
    the first component matching a frame on its stack, outermost first (so the serializer's
    ORM work counts to the answer, the service's to the service)."""
    stats = pstats.Stats(profile)
    total = stats.total_tt
    own: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        own[filename] = own.get(filename, 0.0) + tt

    def component(filename: str) -> str:
        for name, parts in COMPONENTS:
            if any(p in filename for p in parts):
                return name
        return "other"

    by_own: dict[str, float] = {}
    for filename, tt in own.items():
        by_own[component(filename)] = by_own.get(component(filename), 0.0) + tt
    inclusive = {}
    for label, (file_part, function) in STAGES.items():
        inclusive[label] = round(
            100
            * max(
                (
                    ct
                    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
                    if name == function and file_part in filename
                ),
                default=0.0,
            )
            / total,
            1,
        )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
    if dump:
        stats.dump_stats(dump)
    return {
        "profiled_total_s": round(total, 3),
        "inclusive_pct": inclusive,
        "own_time_by_component_pct": {
            k: round(100 * v / total, 1) for k, v in sorted(by_own.items(), key=lambda kv: -kv[1])
        },
        "cumulative": out.getvalue(),
    }


def run(count: int, warm: int, seed: int, profile: bool, top: int, dump: str = "") -> dict:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.generator import PetitionGenerator, demo_unit_ids
    from bench.registration import _server_cpu
    from xinfang.accounts.models import ApiToken, User

    _token, raw = ApiToken.issue(User.objects.get(username="clerk"))
    # One backend for the whole run, so that its CPU can be read at the end: the served setting
    # (a connection closed after 60 s at the end of a request) would start a new one mid-run.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    app = WSGIHandler()
    bodies = [
        json.dumps(b, ensure_ascii=False).encode()
        for b in PetitionGenerator(seed, units=demo_unit_ids()).registrations(count + warm)
    ]

    def post(body: bytes) -> int:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/petitions",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {raw}",
            "HTTP_ACCEPT_LANGUAGE": "en",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status = []
        chunks = app(environ, lambda s, h, exc_info=None: status.append(s))
        b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return int(status[0].split()[0])

    for body in bodies[:warm]:
        assert post(body) == 201
    timings: dict[str, list[float]] = {}
    statements = [0]

    def counter(execute, sql, params, many, context):
        statements[0] += 1
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.setdefault(_label(sql), []).append(time.perf_counter() - t0)

    # Process CPU time, not the wall's: on a shared machine the wall counts other processes' turns.
    profiler = cProfile.Profile(time.process_time) if profile else None
    walls, statuses = [], {}
    backend0, cpu0 = _server_cpu(connection), _cpu()
    pid0 = connection.connection.info.backend_pid
    with connection.execute_wrapper(counter):
        for body in bodies[warm:]:
            t0 = time.perf_counter()
            if profiler:
                profiler.enable()
            code = post(body)
            if profiler:
                profiler.disable()
            walls.append(time.perf_counter() - t0)
            statuses[code] = statuses.get(code, 0) + 1
    cpu = _cpu() - cpu0
    pid = connection.connection.info.backend_pid
    backend = _server_cpu(connection)
    backend = backend - backend0 if backend is not None and backend0 is not None else None
    if pid != pid0:  # the backend changed after all: its CPU says nothing of the run
        backend = None
    ms = sorted(w * 1000 for w in walls)
    result = {
        "registrations": count,
        "statuses": statuses,
        "load": os.getloadavg()[0],
        "process_cpu_ms": round(cpu * 1000 / count, 2),
        "backend_cpu_ms": round(backend * 1000 / count, 2) if backend is not None else None,
        "wall_ms_p50": round(ms[len(ms) // 2], 2),
        "statements_per_registration": round(statements[0] / count, 2),
        "statements": [
            {"sql": k, "per": round(len(v) / count, 2), "mean_ms": round(statistics.fmean(v) * 1000, 3)}
            for k, v in sorted(timings.items(), key=lambda kv: -sum(kv[1]))
        ],
    }
    if profiler:
        result["profile"] = _split(profiler, top, dump)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--dump", default="", help="write the profile's pstats here")
    args = parser.parse_args()
    result = run(args.count, args.warm, args.seed, args.profile, args.top, args.dump)
    cumulative = result.get("profile", {}).pop("cumulative", None)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if cumulative:
        print(cumulative)


if __name__ == "__main__":
    main()
