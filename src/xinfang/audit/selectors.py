"""What the audit administrator reads: the access log and the event log's metadata.
Nothing here returns petition content (三员分立)."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.audit.models import AccessLog, Event, Outcome
from xinfang.core.errors import InvalidInput


def may_read_audit(user) -> bool:
    return user.is_authenticated and user.has_role(Role.AUDIT_ADMIN)


def access_log(params) -> QuerySet[AccessLog]:
    errors = {}
    qs = AccessLog.objects.select_related("user", "unit").order_by("-at", "-id")
    username = params.get("user", "").strip()[:150]
    if username:
        qs = qs.filter(username=username)
    action = params.get("action", "").strip()[:40]
    if action:
        qs = qs.filter(action=action)
    outcome = params.get("outcome", "").strip()
    if outcome:
        if outcome not in Outcome.values:
            errors["outcome"] = [_("Unknown outcome.")]
        qs = qs.filter(outcome=outcome)
    ref = params.get("object", "").strip()[:64]
    if ref:
        qs = qs.filter(object_ref=ref)
    for name, lookup, at in (("from", "at__gte", time.min), ("to", "at__lte", time.max)):
        raw = params.get(name, "").strip()
        if raw:
            try:
                day = parse_date(raw)
            except ValueError:
                day = None
            if day is None:
                errors[name] = [_("Not a valid date (use YYYY-MM-DD).")]
            else:
                qs = qs.filter(**{lookup: timezone.make_aware(datetime.combine(day, at))})
    if errors:
        raise InvalidInput(errors)
    return qs


def event_metadata(params) -> QuerySet:
    """The event log without its data: who did which action to which petition, when,
    and the hashes that chain it."""
    qs = Event.objects.select_related("actor", "petition").order_by("-at", "-id")
    number = params.get("petition", "").strip()[:32]
    if number:
        qs = qs.filter(petition__number=number)
    return qs.only(
        "seq", "at", "actor__username", "action", "source", "hash", "prev_hash", "petition__number"
    )
