"""Sending notifications: only after the transaction commits, only to people who
can see the petition (a notification must never reach an involved unit or person)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from xinfang.notifications.models import Notification


def notify(recipients, petition, kind: str, data: dict | None = None, *, exclude=None) -> None:
    """Queue notifications for `recipients` (users), sent when the current transaction commits.

    Recipients who cannot see the petition are dropped silently here; services that
    must refuse an involved recipient check that themselves, with a message.
    """
    from xinfang.petitions.models import Petition

    wanted = {u.pk: u for u in recipients if u is not None and u.is_active}
    if exclude is not None:
        wanted.pop(getattr(exclude, "pk", None), None)
    if not wanted:
        return
    payload = dict(data or {})
    petition_id = petition.pk

    def send():
        rows = []
        for user in wanted.values():
            if Petition.objects.visible_to(user).filter(pk=petition_id).exists():
                rows.append(Notification(recipient=user, petition_id=petition_id, kind=kind, data=payload))
        Notification.objects.bulk_create(rows)

    transaction.on_commit(send)


def mark_read(user, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
