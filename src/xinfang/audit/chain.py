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


# The version new events are written with. Version 1 left out the request id and
# the state digest; such events (written before) verify as they were written.
CURRENT_VERSION = 2


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
    version = getattr(event, "version", 1) or 1
    if version >= 2:
        # Lowering the version to drop these from the hash changes the hashed text: the hash fails.
        body.update({"version": version, "request_id": event.request_id, "state": event.state})
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(prev_hash: str, event) -> str:
    return hmac.new(
        settings.AUDIT_KEY.encode(), prev_hash.encode() + canonical(event), hashlib.sha256
    ).hexdigest()


def hash_later(prev_hash: str, event, slots: tuple[str, ...]):
    """compute_hash(prev_hash, event) for values known only later: each of `slots` is a string
    the event carries, once, as a whole JSON value (a top-level value of its data, or its
    state), standing for a value given later. Returns a function of {slot: value} giving the hash
    of the event with those values in place. Registration builds its event before the number
    is taken, so that only the substitution and the HMAC run while the number is locked.
    A slot must be a string nothing else in the event can contain (a random one)."""
    text = canonical(event).decode()
    quoted = {slot: json.dumps(slot, ensure_ascii=False) for slot in slots}
    mac = hmac.new(settings.AUDIT_KEY.encode(), prev_hash.encode(), hashlib.sha256)

    def finish(values: dict) -> str:
        filled = text
        for slot, value in values.items():
            filled = filled.replace(quoted[slot], json.dumps(value, ensure_ascii=False))
        done = mac.copy()
        done.update(filled.encode())
        return done.hexdigest()

    return finish


def verify_petition_chain(events, checkpoint=None) -> list[str]:
    """Problems found in one petition's events (in seq order); empty when intact.

    After retention dropped the oldest events, the chain resumes from its sealed
    checkpoint (audit/retention.py) instead of from the genesis hash."""
    problems = []
    prev, start = GENESIS, 1
    if checkpoint is not None:
        if not hmac.compare_digest(checkpoint.mac, checkpoint_mac(checkpoint)):
            return [f"the checkpoint of events dropped by retention has a wrong seal (at {checkpoint.seq})"]
        prev, start = checkpoint.hash, checkpoint.seq + 1
    for expected_seq, event in enumerate(events, start=start):
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


def checkpoint_mac(checkpoint) -> str:
    """The seal of a retention checkpoint: the last dropped event of a chain, its state,
    and the moment before which events were dropped."""
    message = (
        f"checkpoint:{checkpoint.petition_id}:{checkpoint.seq}:{checkpoint.hash}:{checkpoint.state}:"
        f"{int(checkpoint.cut.timestamp())}"
    ).encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def verify_head(petition_id: int, events, head, checkpoint=None) -> list[str]:
    """Problems with a petition's head against its events (in seq order), or against the
    checkpoint when retention dropped every event of the chain."""
    if head is None:
        return (
            [f"petition {petition_id}: no chain head"]
            if events
            else [f"petition {petition_id}: no events at all"]
        )
    if not hmac.compare_digest(head.mac, head_mac(petition_id, head.seq, head.hash)):
        return [f"petition {petition_id}: chain head seal is wrong"]
    if not events and checkpoint is not None:
        if checkpoint.seq == head.seq and checkpoint.hash == head.hash:
            return []
        return [f"petition {petition_id}: events after the retention checkpoint at {checkpoint.seq} are gone"]
    if not events:
        return [f"petition {petition_id}: every event is gone (head at {head.seq})"]
    last = events[-1]
    if last.seq != head.seq or last.hash != head.hash:
        return [
            f"petition {petition_id}: last event {last.seq} does not match the head at {head.seq} (truncated?)"
        ]
    return []


def count_mac(count: int, last_petition_id: int | None) -> str:
    """The seal of the chain count, bound to the petition whose chain started last, so that
    an older seal copied back cannot hide the removal of any petition but the newest."""
    message = f"chains:{count}:{last_petition_id or 0}".encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def verify_count(counter, chain_petition_ids: set[int]) -> list[str]:
    """The sealed number of chains against the chains found."""
    if counter is None:
        return [] if not chain_petition_ids else ["the sealed count of chains is missing"]
    if not hmac.compare_digest(counter.mac, count_mac(counter.count, counter.last_petition_id)):
        return ["the seal of the count of chains is wrong"]
    problems = []
    if counter.count != len(chain_petition_ids):
        problems.append(
            f"{counter.count} chain(s) were started but {len(chain_petition_ids)} exist: "
            "a petition and its events were removed or added around the application"
        )
    if counter.last_petition_id and counter.last_petition_id not in chain_petition_ids:
        problems.append(f"petition {counter.last_petition_id}, the last one registered, is gone")
    return problems


def verify_state(petition_id: int, events, current_digest: str, checkpoint=None) -> list[str]:
    """The last event's sealed state (or the checkpoint's, when retention dropped every
    event) must be the state of the rows now."""
    if events:
        sealed, seq = ("" if (events[-1].version or 1) < 2 else events[-1].state), events[-1].seq
    elif checkpoint is not None:
        sealed, seq = checkpoint.state, checkpoint.seq
    else:
        return []
    if sealed and not hmac.compare_digest(sealed, current_digest):
        return [
            f"petition {petition_id}: its rows (status, title, parties, involved units…) no longer match "
            f"what event {seq} sealed"
        ]
    return []
