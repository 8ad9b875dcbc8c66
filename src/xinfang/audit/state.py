"""Digests of the state an event describes, so that the chain covers it too.

The event log proved that events were not edited, but not that the rows they
describe still say what the events say: a petition's status or title changed
in the database, an involved-unit row (the Rule 4.3 firewall itself) deleted,
went unnoticed. Each event now seals a digest of its petition's rows as they
stood after the event; `verify_audit` recomputes the digest of the current rows
and compares it with the last event's.

The audit app does not know petitions (they import it, DESIGN.md §3), so the
petitions app registers the function that reads the rows (`register`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

# petition ids -> {petition id: a JSON-serialisable description of its rows}
StateReader = Callable[[Iterable[int]], dict[int, object]]
_reader: StateReader | None = None


def register(reader: StateReader) -> None:
    global _reader
    _reader = reader


def digest(description) -> str:
    text = json.dumps(description, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def digest_later(description, slots: tuple[str, ...]):
    """digest(description) for values known only later: each of `slots` is a string the
    description holds as a whole value, standing for a value given later. Returns a function
    of {slot: value} giving the digest with those values in place (registration: its number
    and serial, taken last), so that the description is serialised before, not then. A slot
    must be a string nothing else in the description can contain (a random one)."""
    text = json.dumps(description, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    quoted = {slot: json.dumps(slot, ensure_ascii=False) for slot in slots}

    def finish(values: dict) -> str:
        filled = text
        for slot, value in values.items():
            filled = filled.replace(quoted[slot], json.dumps(value, ensure_ascii=False, default=str))
        return hashlib.sha256(filled.encode()).hexdigest()

    return finish


def digests(petition_ids: Iterable[int]) -> dict[int, str]:
    """The current digest of each petition; empty strings when no reader is registered."""
    ids = list(petition_ids)
    if _reader is None:
        return dict.fromkeys(ids, "")
    described = _reader(ids)
    return {pk: digest(described.get(pk)) for pk in ids}
