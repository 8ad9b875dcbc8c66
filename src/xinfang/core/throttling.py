"""Throttles that count per client address, in the shared default cache.

DRF's own identification reads X-Forwarded-For from anyone, so a client that
sent a new made-up address with every request was never throttled; and a
per-process cache let each gunicorn worker count on its own. Here the address
comes from `client_ip` (trusted proxies only) and the count from
`caches["default"]`, which settings make shared (database or Redis).
"""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle

from xinfang.core.clients import client_ip


class ClientAddressThrottle(ScopedRateThrottle):
    def get_ident(self, request):
        return client_ip(request) or "unknown"
