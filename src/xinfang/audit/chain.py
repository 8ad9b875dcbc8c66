"""Hash chaining of events: HMAC-SHA256 over the previous hash and the event's content.

The key (settings.AUDIT_KEY) lives outside the database, so someone who can write
the database cannot recompute a consistent chain after editing it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings

GENESIS = "0" * 64


def canonical(event) -> bytes:
    body = {
        "petition": event.petition_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "data": event.data,
        "source": event.source,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(prev_hash: str, event) -> str:
    return hmac.new(
        settings.AUDIT_KEY.encode(), prev_hash.encode() + canonical(event), hashlib.sha256
    ).hexdigest()


def verify_petition_chain(events) -> list[str]:
    """Problems found in one petition's events (in seq order); empty when intact."""
    problems = []
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"event {event.pk}: seq {event.seq}, expected {expected_seq}")
        if event.prev_hash != prev:
            problems.append(f"event {event.pk}: prev_hash does not match the event before it")
        if not hmac.compare_digest(event.hash, compute_hash(event.prev_hash, event)):
            problems.append(f"event {event.pk}: content does not match its hash")
        prev = event.hash
    return problems


def head_mac(petition_id: int, seq: int, event_hash: str) -> str:
    message = f"head:{petition_id}:{seq}:{event_hash}".encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def verify_head(petition_id: int, events, head) -> list[str]:
    """Problems with a petition's head against its events (in seq order)."""
    if head is None:
        return (
            [f"petition {petition_id}: no chain head"]
            if events
            else [f"petition {petition_id}: no events at all"]
        )
    if not hmac.compare_digest(head.mac, head_mac(petition_id, head.seq, head.hash)):
        return [f"petition {petition_id}: chain head seal is wrong"]
    if not events:
        return [f"petition {petition_id}: every event is gone (head at {head.seq})"]
    last = events[-1]
    if last.seq != head.seq or last.hash != head.hash:
        return [
            f"petition {petition_id}: last event {last.seq} does not match the head at {head.seq} (truncated?)"
        ]
    return []
