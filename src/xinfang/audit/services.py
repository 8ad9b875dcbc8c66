"""Appending to the event log. Called by petition services inside their transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from xinfang.audit.chain import GENESIS, compute_hash, head_mac
from xinfang.audit.models import ChainHead, Event, Source


@dataclass(frozen=True)
class Context:
    """Who is acting and through what: passed from the edge into every service."""

    actor: object  # accounts.User
    source: str = Source.WEB
    request_id: str = ""

    @classmethod
    def from_request(cls, request, source=Source.WEB):
        return cls(actor=request.user, source=source, request_id=getattr(request, "request_id", ""))


def append_event(
    petition, ctx: Context, action: str, data: dict | None = None, *, first: bool = False
) -> Event:
    """Append one event. The caller holds the petition's row lock (or just created it),
    so the sequence and the previous hash cannot change underneath us.

    `first` is for the petition's first event (registration, in the transaction that
    inserted it): nothing to read before, and the chain head is a plain INSERT. That
    runs inside the numbering lock, so it is kept to two statements."""
    last = (
        None
        if first
        else Event.objects.filter(petition=petition).order_by("-seq").values("seq", "hash").first()
    )
    event = Event(
        petition=petition,
        seq=(last["seq"] + 1) if last else 1,
        at=timezone.now(),
        actor=ctx.actor if getattr(ctx.actor, "pk", None) else None,
        action=action,
        data=data or {},
        source=ctx.source,
        request_id=ctx.request_id,
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = compute_hash(event.prev_hash, event)
    event.save(force_insert=True)
    head = {"seq": event.seq, "hash": event.hash, "mac": head_mac(petition.pk, event.seq, event.hash)}
    # One UPDATE in the usual case (update_or_create costs a SELECT … FOR UPDATE, a
    # savepoint and the write); the INSERT only for a chain that has no head yet.
    if first or not ChainHead.objects.filter(petition=petition).update(**head):
        ChainHead.objects.create(petition=petition, **head)
    return event
