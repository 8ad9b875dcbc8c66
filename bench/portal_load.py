"""The public portal under load (issue 13, "Measured"): 50 concurrent citizens submit through the
real form (GET the page, POST with CSRF, the CAPTCHA answered in demo mode) while staff work
(signed-in clerks opening the petition list, the intake queue and a petition), all against
gunicorn on the loopback. Reports submissions/s and the staff pages' p50/p95, alone and
during the burst, and how fast a spam burst from one address is refused.

Bounded: CITIZENS × SUBMISSIONS_EACH submissions, STAFF threads until the burst ends, then
the server is stopped. Loopback only. Standard library only on the client side.

    .venv/bin/python bench/portal_load.py            # SQLite in var/bench-portal
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/portal_load.py

Options by environment: PORTAL_CITIZENS (50), PORTAL_SUBMISSIONS_EACH (4), PORTAL_STAFF (4),
PORTAL_PETITIONS (2000 bulk-filled + 200 through the service layer), BENCH_PORT (8170),
BENCH_WORKERS (2), BENCH_THREADS (1; more runs gunicorn's gthread workers). Figures: docs/benchmarks.md ("Public portal").
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.api_load import summarise  # noqa: E402
from bench.run import base_env  # noqa: E402

HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CAPTCHA_KEY = re.compile(r'name="captcha_key" value="([^"]+)"')
LINK = re.compile(r'href="(/petitions/XF-\d{4}-\d{6}/)"')


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Browser:
    """A cookie-keeping HTTP client (one per simulated person)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )

    def call(self, method: str, path: str, fields: dict | None = None) -> tuple[int, str, float]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Referer", self.base + path)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=120) as response:
                body, status = response.read().decode("utf-8", "replace"), response.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read().decode("utf-8", "replace"), exc.code
        return status, body, time.perf_counter() - started

    def sign_in(self, username: str, password: str) -> None:
        _s, page, _t = self.call("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page).group(1)
        status, _body, _t = self.call(
            "POST",
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        if status not in (200, 302):
            raise RuntimeError(f"sign-in of {username} answered {status}")


def submit_once(browser: Browser, n: int) -> tuple[int, float]:
    """One citizen's submission through the form; returns (status, seconds for both requests)."""
    _s, page, first = browser.call("GET", "/portal/submit")
    fields = {
        "csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1),
        "captcha_key": CAPTCHA_KEY.search(page).group(1),
        "captcha": "PASSED",
        "name": "王五",
        "phone": f"139{n:08d}",
        "address": "通川区朝阳路1号",
        "title": f"小区路灯损坏（压测 {n}）",
        "content": "小区内路灯损坏已有三个月，夜间出行不便，多次向物业反映无果。",
        "requests": "尽快修复",
        "consent": "on",
    }
    status, body, second = browser.call("POST", "/portal/submit", fields)
    if status == 200 and 'id="query-code"' not in body:
        status = 299  # a page without the slip: counted apart
    return status, first + second


def main() -> None:
    citizens = env_int("PORTAL_CITIZENS", 50)
    each = env_int("PORTAL_SUBMISSIONS_EACH", 4)
    staff_threads = env_int("PORTAL_STAFF", 4)
    petitions = env_int("PORTAL_PETITIONS", 2200)
    port = env_int("BENCH_PORT", 8170)
    workers = env_int("BENCH_WORKERS", 2)
    threads = env_int("BENCH_THREADS", 1)
    data_dir = ROOT / "var" / "bench-portal"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'xinfang.sqlite3'}"
    env = base_env(data_dir, database)
    env.update(
        {
            "XINFANG_DEMO": "1",  # the CAPTCHA answer PASSED, as under `make run`
            # The limits per address and per phone are measured apart (below): every simulated
            # citizen comes from 127.0.0.1 here.
            "XINFANG_PORTAL_SUBMISSIONS_PER_ADDRESS_HOUR": "1000000",
            "XINFANG_PORTAL_SUBMISSIONS_PER_PHONE_DAY": "1000000",
            "XINFANG_REQUIRE_2FA": "0",
        }
    )
    service = min(200, petitions)
    print(
        f"loading {petitions:,} petitions ({petitions - service:,} bulk, {service} service layer) …",
        flush=True,
    )
    loaded = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--petitions",
            str(service),
            "--bulk",
            str(petitions - service),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    json.loads(loaded.stdout.strip().splitlines()[-1])
    log = (data_dir / "gunicorn.log").open("ab")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "xinfang.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(200):
            try:
                if Browser(base).call("GET", "/portal/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not answer")
        result = run(base, citizens, each, staff_threads)
        result["database"] = database.split(":", 1)[0]
        result["petitions"] = petitions
        result["gunicorn_workers"] = workers
        result["gunicorn_threads"] = threads
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def staff_session(base: str) -> tuple[Browser, str]:
    clerk = Browser(base)
    clerk.sign_in("clerk", os.environ.get("XINFANG_DEMO_PASSWORD", "demo-pass-2026"))
    _s, listing, _t = clerk.call("GET", "/petitions/")
    match = LINK.search(listing)
    return clerk, match.group(1) if match else "/petitions/"


def staff_round(clerk: Browser, detail: str, latencies: list, statuses: dict, lock) -> None:
    for path in ("/petitions/", "/intake/", detail, "/"):
        status, _body, seconds = clerk.call("GET", path)
        with lock:
            latencies.append(seconds)
            statuses[status] = statuses.get(status, 0) + 1


def run(base: str, citizens: int, each: int, staff_threads: int) -> dict:
    lock = threading.Lock()
    # 1. Staff alone: the baseline.
    sessions = [staff_session(base) for _ in range(staff_threads)]
    alone: list[float] = []
    alone_statuses: dict = {}
    for clerk, detail in sessions:
        for _ in range(10):
            staff_round(clerk, detail, alone, alone_statuses, lock)
    # 2. The burst: citizens submit while staff keep working until the last citizen is done.
    done = threading.Event()
    statuses: dict = {}
    submit_latencies: list[float] = []
    staff_latencies: list[float] = []
    staff_statuses: dict = {}
    counter = iter(range(1, citizens * each + 1))

    def citizen():
        browser = Browser(base)
        for _ in range(each):
            with lock:
                n = next(counter)
            status, seconds = submit_once(browser, n)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                submit_latencies.append(seconds)

    def staff(clerk, detail):
        while not done.is_set():
            staff_round(clerk, detail, staff_latencies, staff_statuses, lock)

    staff_workers = [threading.Thread(target=staff, args=s) for s in sessions]
    for t in staff_workers:
        t.start()
    started = time.perf_counter()
    crowd = [threading.Thread(target=citizen) for _ in range(citizens)]
    for t in crowd:
        t.start()
    for t in crowd:
        t.join()
    elapsed = time.perf_counter() - started
    done.set()
    for t in staff_workers:
        t.join()
    created = statuses.get(200, 0)
    return {
        "citizens": citizens,
        "submissions": citizens * each,
        "created": created,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "burst_seconds": round(elapsed, 2),
        "submissions_per_second": round(created / elapsed, 1),
        "citizen_get_and_post_ms": summarise(submit_latencies),
        "staff_pages_alone_ms": summarise(alone),
        "staff_pages_during_burst_ms": summarise(staff_latencies),
        "staff_statuses": {str(k): v for k, v in sorted(staff_statuses.items())},
    }


if __name__ == "__main__":
    main()
