"""Rate limits of the public portal, counted in the `default` cache.

Fixed windows keyed by what is limited (the client's address, the phone number's blind index,
a query code), so a burst from one address is refused at once while everyone else goes on
unslowed: a refusal costs one cache read and no database work. The cache must be shared by
all web workers in production (docs/configuration.md), or each worker counts on its own.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("xinfang.portal")


def client_address(request) -> str:
    # REMOTE_ADDR only: a forwarded header is set by whoever sends the request. Behind a
    # proxy, the proxy must set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, value: str, window: int) -> str:
    bucket = int(time.time()) // window
    digest = hashlib.sha256(value.encode()).hexdigest()[:24]
    return f"portal:{kind}:{digest}:{bucket}"


def count(kind: str, value: str, window: int) -> int:
    return int(cache.get(_key(kind, value, window)) or 0)


def hit(kind: str, value: str, window: int) -> int:
    key = _key(kind, value, window)
    if cache.add(key, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return 1


# --- Submissions -----------------------------------------------------------------------------


def submission_allowed(address: str, phone_index: str = "") -> bool:
    if count("submit-ip", address, 3600) >= settings.PORTAL_SUBMISSIONS_PER_ADDRESS_HOUR:
        return False
    return not (
        phone_index and count("submit-phone", phone_index, 86400) >= settings.PORTAL_SUBMISSIONS_PER_PHONE_DAY
    )


def count_submission(address: str, phone_index: str = "") -> None:
    hit("submit-ip", address, 3600)
    if phone_index:
        hit("submit-phone", phone_index, 86400)


# --- Status queries (brute force on query codes) ---------------------------------------------

QUERY_WINDOW = 15 * 60


def query_blocked(address: str, code: str) -> bool:
    limit = settings.PORTAL_QUERY_FAILURES
    return count("fail-ip", address, QUERY_WINDOW) >= limit or (
        bool(code) and count("fail-code", code, QUERY_WINDOW) >= limit
    )


def count_failure(address: str, code: str) -> None:
    by_address = hit("fail-ip", address, QUERY_WINDOW)
    by_code = hit("fail-code", code, QUERY_WINDOW) if code else 0
    if max(by_address, by_code) >= settings.PORTAL_QUERY_FAILURES:
        logger.warning(
            "portal: status queries throttled for address %s (failures %d) code %s… (failures %d)",
            address,
            by_address,
            code[:4],
            by_code,
        )
