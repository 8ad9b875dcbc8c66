"""References from one petition to another pass the read policy (Rule 4.3).

A petition names others: the earlier petitions it repeats, the one it was merged
into, the repeat merged into it (and, from capabilities, similar petitions). The
reader of one petition may be barred from another: the unit a petitioner
complained about, handling that person's next matter, must not learn that the
complaint exists, not even as a number or a count. Every such reference is shown
only if `visible_to(reader)` contains the petition it names; hidden ones are left
out entirely (lists shrink, counts follow) or, where the petition's own state
says a reference exists (merged), shown without the number.
"""

from __future__ import annotations

from collections.abc import Iterable

from xinfang.petitions.models import Petition

# Event data that names other petitions: action → keys holding a number or a list of numbers.
EVENT_REFERENCES: dict[str, tuple[str, ...]] = {
    "petition.registered": ("repeat_of",),
    "petition.merge": ("into",),
    "petition.merged_in": ("from",),
}


def visible_numbers(user, numbers: Iterable[str]) -> set[str]:
    """Which of `numbers` the user may read; one query, none for no numbers."""
    wanted = {n for n in numbers if isinstance(n, str) and n}
    if not wanted:
        return set()
    return set(Petition.objects.visible_to(user).filter(number__in=wanted).values_list("number", flat=True))


def _named(event) -> list[str]:
    data = event.data if isinstance(event.data, dict) else {}
    found = []
    for key in EVENT_REFERENCES.get(event.action, ()):
        value = data.get(key)
        found.extend(value if isinstance(value, list) else [value])
    return [n for n in found if isinstance(n, str)]


def hide_hidden_references(user, events: Iterable, *, visible: Iterable[str] = ()) -> list:
    """The events with every number the user may not read removed from their data
    (a list loses the item, a single reference becomes None). The rows are not
    changed: only the in-memory copies the caller shows. `visible`: numbers the caller
    has already read through visible_to(user) in this request (the petition page's repeat
    links); only the other numbers the events name are asked about."""
    events = list(events)
    named = {n for e in events for n in _named(e)}
    if not named:
        return events
    allowed = named & set(visible)
    if named - allowed:
        allowed |= visible_numbers(user, named - allowed)
    for event in events:
        if not set(_named(event)) - allowed:
            continue
        data = dict(event.data)
        for key in EVENT_REFERENCES[event.action]:
            value = data.get(key)
            if isinstance(value, list):
                data[key] = [n for n in value if n in allowed]
            elif isinstance(value, str) and value not in allowed:
                data[key] = None
        event.data = data
    return events
