#!/usr/bin/env python3
"""Xinfang on several machines, on one: a smoke test of the scale-out set-up (docs/scaling.md).

Starts, on the loopback and in a throwaway directory:
  - a PostgreSQL primary and a hot standby streaming from it (initdb, pg_basebackup -R),
  - Redis (its own redis-server on a free port; or REDIS_URL's, whose database it empties),
  - two gunicorn app servers sharing the database, Redis (cache, sessions' throttles, queue)
    and the files directory, as two machines would,
  - one RQ worker and the periodic-job scheduler;
then checks through both app servers: a sign-in on one is valid on the other; a petition
registered on one is read back at once on the other by the person who registered it, although
the standby's replay is paused (read-your-writes); at the same moment another user's list is
served by the standby (it lacks the petition until replay resumes); a task enqueued on the
Redis queue is run by the worker. Everything is stopped and removed at the end, also on
failure, on Ctrl-C and when the time limit (--timeout seconds) runs out.

Exit status: 0 passed, 1 failed, 77 skipped (no PostgreSQL server binaries or no Redis).
As root (as CI runs), PostgreSQL runs as the `postgres` user: initdb refuses root.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SKIPPED = 77
DEMO_PASSWORD = "demo-pass-2026"  # the demo organisation's published password (make demo)


class Failed(Exception):
    pass


class TimeUp(Exception):
    pass


def say(message: str) -> None:
    print(f"[scale-smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)
    say(f"ok: {message}")


def free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise Failed(f"no free port from {start}")


def postgres_bindir() -> Path | None:
    explicit = os.environ.get("PG_BINDIR")
    candidates = [Path(explicit)] if explicit else []
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        versions = sorted((p for p in base.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        candidates += [p / "bin" for p in reversed(versions)]
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_basebackup").exists():
            return candidate
    return None


class Stack:
    """Every process and directory the smoke test starts, so that all are stopped."""

    def __init__(self, work: Path, bindir: Path):
        self.work = work
        self.bindir = bindir
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.clusters: list[Path] = []
        self.as_postgres = os.geteuid() == 0
        self.logs = work / "logs"
        self.logs.mkdir()

    # --- PostgreSQL -------------------------------------------------------------------
    def pg(self, tool: str, *args: str, check_: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)  # noqa: S603
        if check_ and result.returncode != 0:
            raise Failed(f"{tool} failed: {result.stderr.strip()[-1500:]}")
        return result

    def sql(self, port: int, query: str, database: str = "postgres") -> str:
        result = self.pg(
            "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-XAtq", "-c", query
        )
        return result.stdout.strip()

    def start_cluster(self, data: Path, port: int) -> None:
        self.clusters.append(data)
        self.pg(
            "pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", "-t", "60",
            "-o", f"-p {port} -k {self.work}", "start",
        )  # fmt: skip

    def primary_and_standby(self, primary_port: int, standby_port: int) -> None:
        primary, standby = self.work / "primary", self.work / "standby"
        if self.as_postgres:
            shutil.chown(self.work, "postgres")
        self.pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        with (primary / "postgresql.conf").open("a") as conf:
            # Throwaway clusters: no fsync. Feedback, so that the standby's long reads (exports)
            # are not cancelled by the primary's vacuum.
            conf.write(
                "listen_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\n"
            )
        self.start_cluster(primary, primary_port)
        self.pg(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        self.start_cluster(standby, standby_port)
        check(self.sql(standby_port, "SELECT pg_is_in_recovery()") == "t", "the standby is in recovery")
        self.sql(primary_port, "CREATE DATABASE xinfang")

    # --- processes ----------------------------------------------------------------------
    def spawn(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
            say(f"stopped {name}")
        for data in reversed(self.clusters):
            if (data / "postmaster.pid").exists():
                self.pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop", check_=False)
                say(f"stopped PostgreSQL {data.name}")

    def show_logs(self) -> None:
        for log in sorted(self.logs.glob("*.log")) + sorted(self.work.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-25:]
            print(f"----- {log.name} (last {len(lines)} lines)", flush=True)
            print("\n".join(lines), flush=True)


def wait_for(what: str, probe, deadline: float, every: float = 0.5):
    while True:
        try:
            value = probe()
        except (OSError, urllib.error.URLError, Failed):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"timed out waiting for {what}")
        time.sleep(every)


class Http:
    """One client; its cookies go to both app servers (same host, other port), like a browser's
    would to two servers behind one name."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, url, *, data=None, token=None, form=False, method=None):
        headers = {"Accept-Language": "en"}
        body = None
        if data is not None and form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = url
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace"), exc.headers

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def letter(title: str) -> dict:
    return {
        "channel": "letter",
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "petitioners": [
            {
                "name": "王五",
                "id_number": "11010519491231002X",
                "phone": "13800138000",
                "address": "通川区朝阳路1号",
            }
        ],
        "anonymous": False,
        "title": title,
        "content": "小区路灯坏了三个月无人修理。",
        "requests": "尽快修复",
        "category": "urban_construction",
    }


def measure_marker_cost(client: Http, server: str, writer: str, reader: str, rounds: int = 20) -> None:
    """Median time of a list request by the writer (a live marker: the standby's replay position
    is read first) and by a user with none, both now served by the caught-up standby."""
    timings = {}
    for name, token in (("writer", writer), ("reader", reader), ("writer ", writer), ("reader ", reader)):
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.request(f"{server}/api/v1/petitions", token=token)
            samples.append((time.perf_counter() - started) * 1000)
        timings[name.strip()] = sorted(samples)[len(samples) // 2]  # the second pass counts
    say(
        f"measured: list on server B, median of {rounds}: with a write marker {timings['writer']:.1f} ms, "
        f"without {timings['reader']:.1f} ms (load average {os.getloadavg()[0]:.2f})"
    )


def run(stack: Stack, deadline: float, redis_url: str | None) -> None:
    primary_port = free_port(55432)
    standby_port = free_port(primary_port + 1)
    say(f"PostgreSQL primary on {primary_port}, hot standby on {standby_port}")
    stack.primary_and_standby(primary_port, standby_port)

    if redis_url is None:
        redis_port = free_port(55438)
        stack.spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
    import redis  # the project's dependency: this script runs with the project's Python

    # The queue and the cache share the one database (their keys do not meet); it is emptied first,
    # so a REDIS_URL must name a database nothing else uses.
    queue_url = cache_url = redis_url
    wait_for("Redis", lambda: redis.Redis.from_url(queue_url, socket_connect_timeout=1).ping(), deadline)
    redis.Redis.from_url(queue_url).flushdb()

    data_dir = stack.work / "app"  # on several machines: storage they all mount
    data_dir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XINFANG_", "DATABASE_URL"))},
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{primary_port}/xinfang",
        "XINFANG_REPLICA_URL": f"postgresql://postgres@127.0.0.1:{standby_port}/xinfang",
        "XINFANG_TASKS": "rq",
        "XINFANG_REDIS_URL": queue_url,
        "XINFANG_CACHE_URL": cache_url,
        "XINFANG_SECRET_KEY": secrets.token_urlsafe(64),
        "XINFANG_DATA_DIR": str(data_dir),
        "XINFANG_HTTPS": "0",
        "XINFANG_DEMO": "1",
        "XINFANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "XINFANG_EMAIL_BACKEND": "locmem",
        "XINFANG_LOG_LEVEL": "WARNING",
    }
    say("migrating and loading the demo organisation (prepare_instance --demo)")
    prepared = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "prepare_instance", "--demo"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(30, deadline - time.monotonic()), check=False,
    )  # fmt: skip
    if prepared.returncode != 0:
        raise Failed(f"prepare_instance failed: {prepared.stderr[-2000:]}")

    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    ports = [free_port(18000), None]
    ports[1] = free_port(ports[0] + 1)
    for n, port in enumerate(ports):
        stack.spawn(
            f"app{n + 1}",
            [gunicorn, "xinfang.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
             "--no-control-socket", "--timeout", "60"],
            env,
        )  # fmt: skip
    worker_name = f"smoke-{secrets.token_hex(3)}"
    stack.spawn(
        "rqworker",
        [PYTHON, "manage.py", "rqworker", "default", "--with-scheduler", "--name", worker_name,
         "--job-class", "django_tasks_rq.backend.Job"],
        env,
    )  # fmt: skip
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    client = Http()
    for server in (a, b):
        wait_for(
            f"{server} to answer", lambda s=server: client.request(f"{s}/accounts/login/")[0] == 200, deadline
        )
    say(f"app servers on {a} and {b}")

    # 1. A web sign-in on one server is a session on the other (sessions are rows on the primary).
    status, page, _h = client.request(f"{a}/accounts/login/")
    csrf = client.cookie("csrftoken")
    check(status == 200 and csrf is not None, "the sign-in page of server A sets a CSRF cookie")
    status, _body, headers = client.request(
        f"{a}/accounts/login/",
        data={"username": "clerk", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": csrf},
        form=True,
    )
    check(status == 302 and "login" not in (headers.get("Location") or ""), "signed in on server A")
    status, _body, _h = client.request(f"{b}/petitions/")
    check(status == 200, "the same session lists petitions on server B")

    # 2. Tokens for two users, issued on A, used on B.
    def token(username):
        status, body, _h = client.request(
            f"{a}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        if status != 200:
            raise Failed(f"token for {username}: {status} {body[:300]}")
        return json.loads(body)["token"]

    writer, reader = token("clerk"), token("clerk2")

    # 3. The standby stops replaying: anything written now is on the primary only.
    stack.sql(standby_port, "SELECT pg_wal_replay_pause()")
    wait_for(
        "the standby's replay to pause",
        lambda: stack.sql(standby_port, "SELECT pg_get_wal_replay_pause_state()") == "paused",
        deadline,
    )
    title = f"Smoke test {secrets.token_hex(4)}"
    status, body, _h = client.request(f"{a}/api/v1/petitions", data=letter(title), token=writer)
    check(status == 201, f"a petition registered on server A ({status})")
    number = json.loads(body)["number"]

    # 4. Read-your-writes: the writer reads it back at once on the other server, list included.
    status, body, _h = client.request(f"{b}/api/v1/petitions/{number}", token=writer)
    check(status == 200 and number in body, f"{number} read back at once on server B by its writer")
    status, body, _h = client.request(f"{b}/api/v1/petitions", token=writer)
    check(status == 200 and number in body, "the writer's list on server B has it (served by the primary)")

    # 5. Another user's list is served by the standby, which has not replayed the write.
    counts = [
        stack.sql(port, "SELECT count(*) FROM petitions_petition", "xinfang")
        for port in (primary_port, standby_port)
    ]
    check(int(counts[1]) == int(counts[0]) - 1, f"the paused standby lacks the new petition (rows {counts})")
    status, body, _h = client.request(f"{b}/api/v1/petitions", token=reader)
    check(status == 200 and number not in body, "another user's list on server B comes from the standby")
    status, body, _h = client.request(f"{b}/api/v1/petitions/{number}", token=reader)
    check(status == 200, "while the petition page (not a lagging read) is on the primary for everyone")

    stack.sql(standby_port, "SELECT pg_wal_replay_resume()")
    wait_for(
        "the standby to catch up and the list to show it",
        lambda: number in client.request(f"{b}/api/v1/petitions", token=reader)[1],
        deadline,
    )
    say("ok: once replay resumes, the standby's list shows it too")
    measure_marker_cost(client, b, writer, reader)

    # 6. A task enqueued on the Redis queue is run by the separate worker process.
    enqueue = (
        "from xinfang.deadlines.tasks import sweep_deadlines; r = sweep_deadlines.enqueue(); print(r.id)"
    )
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "shell", "-v", "0", "-c", enqueue], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise Failed(f"enqueue failed: {result.stderr[-1500:]}")
    task_id = result.stdout.strip().splitlines()[-1]
    say(f"enqueued the deadline sweep as {task_id}")
    status_of = (
        "from xinfang.deadlines.tasks import sweep_deadlines; "
        f"r = sweep_deadlines.get_result('{task_id}'); print(r.status, ','.join(r.worker_ids))"
    )

    def finished():
        out = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "shell", "-v", "0", "-c", status_of], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=60, check=False,
        ).stdout.strip()  # fmt: skip
        return out if out.startswith(("SUCCESSFUL", "FAILED")) else None

    outcome = wait_for("the worker to run the task", finished, deadline, every=1)
    check(outcome == f"SUCCESSFUL {worker_name}", f"the task ran in the rq worker ({outcome})")

    # 7. The periodic jobs: two schedulers, one enqueue per job.
    schedule = [PYTHON, "manage.py", "run_deadline_worker", "--once", "--interval", "3600"]
    hour = int(time.time() // 3600)
    outs = [
        subprocess.run(schedule, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        for _ in range(2)
    ]
    if int(time.time() // 3600) != hour:
        say("an hour began between the two schedulers: each rightly enqueued its own; not checked")
        return
    check(
        "scheduled 0 of" in outs[1].stdout and "scheduled 0 of" not in outs[0].stdout,
        "a second scheduler in the same interval enqueues nothing",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("SCALE_SMOKE_TIMEOUT", 600)))
    parser.add_argument("--keep", action="store_true", help="leave the directory (logs) behind")
    args = parser.parse_args()

    bindir = postgres_bindir()
    if bindir is None:
        say("skipped: PostgreSQL's server binaries (initdb, pg_basebackup) are not installed")
        return SKIPPED
    redis_url = os.environ.get("REDIS_URL")
    if redis_url is None and shutil.which("redis-server") is None:
        say("skipped: no redis-server and no REDIS_URL")
        return SKIPPED
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            say("skipped: running as root and there is no postgres user to run PostgreSQL as")
            return SKIPPED

    work = Path(tempfile.mkdtemp(prefix="xf_scale_smoke-"))
    stack = Stack(work, bindir)
    deadline = time.monotonic() + args.timeout

    def time_up(signum, frame):
        raise TimeUp(f"the smoke test took longer than {args.timeout} s")

    def stopped(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, time_up)
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(args.timeout + 30)  # the hard limit, beyond the waits' own deadline
    status = 1
    try:
        run(stack, deadline, redis_url)
        say("PASSED")
        status = 0
    except (Failed, TimeUp) as exc:
        say(f"FAILED: {exc}")
        stack.show_logs()
    except KeyboardInterrupt:
        say("interrupted")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
