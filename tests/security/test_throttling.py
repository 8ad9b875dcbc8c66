"""The token endpoint's throttle counts per client address as the proxy configuration
says, in a cache every worker shares (issue 8, item 4). DRF's own identification read
X-Forwarded-For from anyone, and the per-process cache let each gunicorn worker count
on its own: both let a password guesser through unthrottled."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings

from tests.concurrency.test_numbering import _database_url_for_children
from xinfang.core.clients import client_ip
from xinfang.env import env_networks

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "/api/v1/auth/token"
WRONG = b'{"username": "nobody", "password": "wrong-password"}'


def networks(*items):
    os.environ["XINFANG_TEST_NETWORKS"] = ",".join(items)
    try:
        return env_networks("XINFANG_TEST_NETWORKS", [])
    finally:
        del os.environ["XINFANG_TEST_NETWORKS"]


# (peer, X-Forwarded-For, trusted proxies) → the client address; written out by hand.
CASES = [
    ("203.0.113.9", "", [], "203.0.113.9"),
    ("203.0.113.9", "1.2.3.4", [], "203.0.113.9"),  # no proxy trusted: the header is the client's own
    ("203.0.113.9", "1.2.3.4", ["127.0.0.1"], "203.0.113.9"),  # the peer is not the proxy
    ("127.0.0.1", "198.51.100.7", ["127.0.0.1"], "198.51.100.7"),
    ("127.0.0.1", "1.2.3.4, 198.51.100.7", ["127.0.0.1"], "198.51.100.7"),  # 1.2.3.4 was forged
    ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.1", ["10.0.0.0/24"], "198.51.100.7"),  # two proxies
    ("10.0.0.2", "10.0.0.1", ["10.0.0.0/24"], "10.0.0.1"),  # a client inside the proxies' network
    ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ("127.0.0.1", "not-an-address", ["127.0.0.1"], "127.0.0.1"),
    ("::1", "2001:db8::5", ["::1"], "2001:db8::5"),
]


@pytest.mark.parametrize("peer,forwarded,trusted,expected", CASES)
def test_the_client_address_trusts_only_configured_proxies(peer, forwarded, trusted, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=networks(*trusted)):
        assert client_ip(request) == expected


def test_a_forged_forwarded_for_does_not_escape_the_throttle(db, settings):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")[0])
    client = Client()
    statuses = [
        client.post(
            TOKEN, WRONG, content_type="application/json", HTTP_X_FORWARDED_FOR=f"10.9.{i}.1"
        ).status_code
        for i in range(rate + 2)
    ]
    assert statuses == [401] * rate + [429, 429]


def _start_gunicorn(env) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "xinfang.wsgi",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "3",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    port = None
    booted = 0
    while time.monotonic() < deadline and booted < 3:
        line = server.stderr.readline()
        if not line:
            break
        if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
            port = int(match.group(1))
        booted += "Booting worker" in line
    if port is None or booted < 3:
        server.kill()
        pytest.fail("gunicorn did not start: " + server.stderr.read()[-2000:])
    return server, port


def _post(port, forwarded=None) -> int:
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    request = urllib.request.Request(f"http://127.0.0.1:{port}{TOKEN}", data=WRONG, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _redis_url():
    url = os.environ.get("XINFANG_TEST_REDIS_URL")
    if not url:
        pytest.skip("set XINFANG_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/1) to test the Redis cache")
    return url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", ["db://", "redis"])
def test_several_workers_share_one_count(cache):
    """Three gunicorn processes, the production cache setting, twelve wrong sign-ins from one
    address (half of them claiming other addresses): exactly the rate gets through."""
    from django.db import connection

    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(":memory:"):
        pytest.skip("processes cannot share an in-memory SQLite database")
    url = _redis_url() if cache == "redis" else cache
    if cache == "redis":
        import redis

        redis.Redis.from_url(url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DATABASE_URL": _database_url_for_children(),
        "XINFANG_CACHE_URL": url,
        "XINFANG_TOKEN_THROTTLE": "4/min",
        "XINFANG_ALLOWED_HOSTS": "127.0.0.1",
    }
    server, port = _start_gunicorn(env)
    try:
        statuses = [_post(port, forwarded=f"10.8.{i}.1" if i % 2 else None) for i in range(12)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == [401] * 4 + [429] * 8
