"""The HTTP part of the benchmark: gunicorn on the loopback, registrations through
POST /api/v1/petitions from several client threads, and client-side latencies of
the list and detail endpoints. Standard library only (urllib, threads)."""

from __future__ import annotations

import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
# Words that occur in the generator's texts: the search has something to find.
SEARCH_WORDS = ("漏水", "拖欠", "噪音", "学位", "路灯", "医保", "低保", "补偿")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving xinfang.wsgi on a free loopback port; stopped by stop()."""

    def __init__(self, env: dict, log: Path, workers: int = 2, threads: int = 1, port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xinfang.wsgi",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "120",
                "--graceful-timeout",
                "10",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                status, _body, _s = request(self.base, "GET", "/api/v1/me", token)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def request(
    base: str, method: str, path: str, token: str, body: dict | None = None
) -> tuple[int, bytes, float]:
    """One request; returns (status, body, seconds)."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept-Language", "en")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        payload, status = exc.read(), exc.code
    return status, payload, time.perf_counter() - started


def register_over_http(base: str, token: str, bodies: list[dict], threads: int = 4) -> dict:
    """POST every body from `threads` client threads; rate over the wall time."""
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    def work():
        while True:
            with lock:
                if not queue:
                    return
                _i, body = queue.pop()
            status, _payload, seconds = request(base, "POST", "/api/v1/petitions", token, body)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(seconds)

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    created = statuses.get(201, 0)
    return {
        "requests": len(bodies),
        "client_threads": threads,
        "created": created,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 3),
        "per_second": round(created / elapsed, 1) if elapsed else None,
        "latency_ms": summarise(latencies),
    }


def summarise(seconds: list[float]) -> dict:
    if not seconds:
        return {}
    ms = sorted(s * 1000 for s in seconds)

    def pct(p):
        return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

    return {
        "n": len(ms),
        "p50": round(pct(50), 1),
        "p95": round(pct(95), 1),
        "mean": round(statistics.fmean(ms), 1),
        "max": round(ms[-1], 1),
    }


def measure_reads(
    base: str, token: str, *, number_pattern: str, serials: int, requests: int, seed: int
) -> dict:
    """Sequential GETs (one client, so latency is not queueing): each endpoint gets a
    few unmeasured warm-up requests, then `requests` measured ones."""
    rng = random.Random(seed)
    endpoints = {
        "list page 1": lambda: "/api/v1/petitions",
        "list filtered (status+channel)": lambda: "/api/v1/petitions?status=registered&channel=letter",
        "list deep page (page 50)": lambda: "/api/v1/petitions?page=50",
        "list search (q)": lambda: "/api/v1/petitions?q=" + urllib.request.quote(rng.choice(SEARCH_WORDS)),
        "detail (random number)": lambda: f"/api/v1/petitions/{number_pattern}-{rng.randint(1, serials):06d}",
    }
    results = {}
    for name, make_path in endpoints.items():
        for _ in range(3):
            request(base, "GET", make_path(), token)
        timings, failures, sizes = [], 0, []
        for _ in range(requests):
            status, payload, seconds = request(base, "GET", make_path(), token)
            if status != 200:
                failures += 1
            timings.append(seconds)
            sizes.append(len(payload))
        results[name] = {
            **summarise(timings),
            "non_200": failures,
            "mean_bytes": round(statistics.fmean(sizes)),
        }
    return results
