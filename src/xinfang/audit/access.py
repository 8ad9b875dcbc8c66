"""Writing the access log. Views do not pass the request around: a middleware
puts who/where into a context variable and `record()` reads it."""

from __future__ import annotations

import contextvars
import logging
import unicodedata
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone

from xinfang.audit.models import AccessLog, Outcome
from xinfang.core.clients import client_ip
from xinfang.core.inserts import insert_one

logger = logging.getLogger("xinfang.access")


@dataclass(frozen=True)
class Origin:
    user: object
    ip: str | None
    request_id: str


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("xinfang_access_origin", default=None)


class AccessContextMiddleware:
    """Makes the request's user, address and id available to `record()`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _origin.set(
            Origin(getattr(request, "user", None), client_ip(request), getattr(request, "request_id", ""))
        )
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)


def neutralise(text: str, limit: int = 160) -> str:
    """Control characters (CR, LF, ANSI escapes…) written as \\uXXXX: one entry, one line,
    and nothing a terminal or a log viewer would interpret (ASVS 16.4.1)."""
    out = []
    for ch in str(text)[:limit]:
        out.append(f"\\u{ord(ch):04x}" if unicodedata.category(ch)[0] == "C" else ch)
    return "".join(out)[:limit]


def current_user():
    origin = _origin.get()
    return origin.user if origin else None


def record(
    action: str,
    *,
    outcome: str = Outcome.ALLOWED,
    object_type: str = "",
    object_ref: str = "",
    detail: str = "",
    user=None,
    username: str = "",
    ip: str | None = None,
) -> None:
    """Append one access log entry. It must never break the request it describes:
    a failure to write is logged to the application log instead."""
    origin = _origin.get()
    user = user if user is not None else (origin.user if origin else None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    try:
        # Written as AccessLog.objects.create would (no receiver listens to its saves), from an
        # INSERT built once: one entry per answer with personal data, every registration's too.
        insert_one(
            AccessLog(
                at=timezone.now(),
                user=user,
                username=neutralise(username or (user.username if user else "")),
                unit_id=getattr(user, "unit_id", None),
                ip=ip or (origin.ip if origin else None),
                action=action,
                object_type=object_type,
                object_ref=neutralise(object_ref, 64),
                outcome=outcome,
                detail=neutralise(detail, 200),
                request_id=origin.request_id if origin else "",
            )
        )
    except DatabaseError:
        logger.exception("could not write the access log entry %s", action)
