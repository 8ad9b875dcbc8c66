"""Events as sentences people read on a petition's timeline.

Each action code maps to a function that turns an event into one translated
sentence. Services that add a new action register its sentence here (or from
their own module with `register`), so the timeline never has to know the
workflow. An unknown code still shows, as "who: code", rather than vanishing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from xinfang.audit.models import Event

Sentence = Callable[[Event, str], str]
_SENTENCES: dict[str, Sentence] = {}


def register(action: str) -> Callable[[Sentence], Sentence]:
    """Decorator: `@register("petition.instructed")` on `def f(event, actor) -> str`."""

    def decorate(func: Sentence) -> Sentence:
        _SENTENCES[action] = func
        return func

    return decorate


def actor_name(event: Event) -> str:
    if event.actor_id is None:
        return _("The system")
    return event.actor.display_name


# Unit names looked up once for a whole timeline (describe_all), so that a page's
# query count does not grow with its events.
_unit_names: ContextVar[dict[int, str] | None] = ContextVar("unit_names", default=None)


def _unit_ids(data) -> set[int]:
    ids: set[int] = set()
    for key in ("unit", "lead_unit"):
        if isinstance(data.get(key), int):
            ids.add(data[key])
    for key in ("units", "notify_units"):
        ids.update(i for i in data.get(key) or [] if isinstance(i, int))
    for item in data.get("assignments") or []:
        if isinstance(item, dict) and isinstance(item.get("unit"), int):
            ids.add(item["unit"])
    return ids


def unit_name(unit_id) -> str:
    names = _unit_names.get()
    if names is not None and unit_id in names:
        return names[unit_id]
    from xinfang.accounts.models import Unit

    return Unit.objects.filter(pk=unit_id).values_list("name", flat=True).first() or str(unit_id)


def describe_all(
    events: Iterable[Event], *, unit_names: dict[int, str] | None = None
) -> list[tuple[Event, str]]:
    """Each event with its sentence; the units the events name are read in one query, but for
    those in `unit_names` (id -> name: units the caller has loaded already, such as the petition
    page's assignments)."""
    from xinfang.accounts.models import Unit

    events = list(events)
    ids = set().union(*(_unit_ids(e.data) for e in events if isinstance(e.data, dict))) if events else set()
    known = unit_names or {}
    names = {i: known[i] for i in ids if i in known}
    if ids - names.keys():
        names.update(Unit.objects.filter(pk__in=ids - names.keys()).values_list("pk", "name"))
    token = _unit_names.set(names)
    try:
        return [(e, describe(e)) for e in events]
    finally:
        _unit_names.reset(token)


@functools.cache
def _status_labels() -> dict:
    """Each status's (lazy) label by its code. `Status.values` and `Status(code)` rebuilt a list
    and an enum member for every event of a timeline (about 190 function calls each)."""
    from xinfang.petitions.choices import Status

    return dict(Status.choices)


def status_change(event: Event) -> str:
    """ "registered → proposed" for an event that moved the petition, else ""."""
    data = event.data if isinstance(event.data, dict) else {}
    before, after = data.get("from"), data.get("to")
    if not event.action.startswith("petition.") or event.action == "petition.merged_in":
        return ""
    labels = _status_labels()
    if before == after or before not in labels or after not in labels:
        return ""
    return _("Status: %(from)s → %(to)s") % {"from": labels[before], "to": labels[after]}


def describe(event: Event) -> str:
    actor = actor_name(event)
    render = _SENTENCES.get(event.action)
    if render is None:
        return _("%(actor)s: %(action)s") % {"actor": actor, "action": event.action}
    try:
        return render(event, actor)
    except (KeyError, TypeError, ValueError, AttributeError):
        # An event written by an older version with other data still gets a line.
        return _("%(actor)s: %(action)s") % {"actor": actor, "action": event.action}


# Names of registration fields as the correction sentence lists them.
FIELD_LABELS = {
    "channel": gettext_lazy("channel"),
    "received_at": gettext_lazy("time of receipt"),
    "anonymous": gettext_lazy("anonymous"),
    "title": gettext_lazy("title"),
    "content": gettext_lazy("problem raised"),
    "requests": gettext_lazy("requests"),
    "category": gettext_lazy("category"),
    "important": gettext_lazy("important"),
    "urgent": gettext_lazy("urgent"),
    "petitioners": gettext_lazy("petitioners"),
    "involved_units": gettext_lazy("involved units"),
    "involved_persons": gettext_lazy("involved persons"),
    "superior": gettext_lazy("superior organ"),
    "reception": gettext_lazy("reception record"),
}


def _list_separator() -> str:
    return _(", ")


@register("petition.registered")
def _registered(event: Event, actor: str) -> str:
    from xinfang.petitions.choices import Channel

    channel = event.data.get("channel", "")
    label = Channel(channel).label if channel in Channel.values else channel
    return _(
        "%(actor)s registered the petition as %(number)s (%(channel)s) and became its first responder."
    ) % {
        "actor": actor,
        "number": event.data.get("number", ""),
        "channel": label,
    }


@register("petition.corrected")
def _corrected(event: Event, actor: str) -> str:
    fields = [str(FIELD_LABELS.get(name, name)) for name in event.data.get("fields", [])]
    return _("%(actor)s corrected the registration: %(fields)s.") % {
        "actor": actor,
        "fields": _list_separator().join(fields),
    }


@register("attachment.added")
def _attachment_added(event: Event, actor: str) -> str:
    return _("%(actor)s added the attachment “%(name)s”.") % {
        "actor": actor,
        "name": event.data.get("name", ""),
    }


# --- The Rule 3 procedure (petitions/workflow.py); event data holds the action's
# fields plus "from"/"to". Texts people wrote are shown in full, verbatim.


def _units(ids) -> str:
    return _list_separator().join(unit_name(i) for i in ids or [])


def _choice_label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


@register("petition.propose")
def _propose(event: Event, actor: str) -> str:
    values = {"actor": actor, "opinion": event.data["opinion"]}
    if event.data.get("important"):
        return _("%(actor)s proposed handling, as an important letter: “%(opinion)s”") % values
    return _("%(actor)s proposed handling: “%(opinion)s”") % values


@register("petition.instruct")
def _instruct(event: Event, actor: str) -> str:
    from xinfang.accounts.models import Role

    return _("%(actor)s (%(role)s) instructed: “%(instruction)s”") % {
        "actor": actor,
        "role": _choice_label(Role, event.data.get("role")),
        "instruction": event.data["instruction"],
    }


@register("petition.resolve_on_the_spot")
def _resolve(event: Event, actor: str) -> str:
    from xinfang.petitions.workflow_models import ReplyMethod

    return _("%(actor)s resolved the matter on the spot (%(method)s reply): “%(reply)s”") % {
        "actor": actor,
        "method": _choice_label(ReplyMethod, event.data.get("method")),
        "reply": event.data["reply"],
    }


ROLE_SHORT = {
    "lead": pgettext_lazy("assignment role", "lead"),
    "assist": pgettext_lazy("assignment role", "assisting"),
}
KIND_SHORT = {
    "transfer": pgettext_lazy("assignment kind", "transfer"),
    "assignment": pgettext_lazy("assignment kind", "assignment"),
}


@register("petition.assign")
def _assign(event: Event, actor: str) -> str:
    parts = [
        pgettext("one unit of an assignment", "%(unit)s (%(role)s, %(kind)s, due %(due)s)")
        % {
            "unit": unit_name(item["unit"]),
            "role": ROLE_SHORT.get(item.get("role"), item.get("role")),
            "kind": KIND_SHORT.get(item.get("kind"), item.get("kind")),
            "due": item.get("due_date") or "—",
        }
        for item in event.data["assignments"]
    ]
    return _("%(actor)s sent the petition to %(units)s.") % {
        "actor": actor,
        "units": _list_separator().join(parts),
    }


@register("petition.investigate")
def _investigate(event: Event, actor: str) -> str:
    note = event.data.get("note")
    if note:
        return _("%(actor)s decided that the office investigates the matter itself: “%(note)s”") % {
            "actor": actor,
            "note": note,
        }
    return _("%(actor)s decided that the office investigates the matter itself.") % {"actor": actor}


@register("petition.accept_assignment")
def _accept(event: Event, actor: str) -> str:
    return _("%(actor)s took on the assignment for %(unit)s.") % {
        "actor": actor,
        "unit": unit_name(event.data["unit"]),
    }


@register("petition.contribute")
def _contribute(event: Event, actor: str) -> str:
    return _("%(actor)s submitted the findings of the assisting unit %(unit)s: “%(note)s”") % {
        "actor": actor,
        "unit": unit_name(event.data["unit"]),
        "note": event.data["note"],
    }


@register("petition.submit_result")
def _submit_result(event: Event, actor: str) -> str:
    return _("%(actor)s submitted the result. Findings: “%(findings)s” Handling result: “%(result)s”") % {
        "actor": actor,
        "findings": event.data["findings"],
        "result": event.data["result"],
    }


@register("petition.sign_off")
def _sign_off(event: Event, actor: str) -> str:
    from xinfang.petitions.workflow_models import SignoffCapacity

    return _("%(actor)s signed off the result as %(capacity)s.") % {
        "actor": actor,
        "capacity": _choice_label(SignoffCapacity, event.data.get("capacity")),
    }


@register("petition.sign_off_refused")
def _sign_off_refused(event: Event, actor: str) -> str:
    if (event.data or {}).get("reason") == "account_locked":
        return _("%(actor)s tried to sign off while locked out; no signature was recorded.") % {
            "actor": actor
        }
    return _("%(actor)s tried to sign off with a wrong password; no signature was recorded.") % {
        "actor": actor
    }


@register("petition.send_back")
def _send_back(event: Event, actor: str) -> str:
    return _("%(actor)s sent the result back: “%(reason)s”") % {
        "actor": actor,
        "reason": event.data["reason"],
    }


@register("petition.reply")
def _reply(event: Event, actor: str) -> str:
    from django.utils.dateparse import parse_datetime
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    from xinfang.petitions.deadlines import office_tz
    from xinfang.petitions.workflow_models import ReplyMethod

    replied = parse_datetime(event.data.get("replied_at") or "")
    when = date_format(localtime(replied, office_tz()), "Y-m-d H:i") if replied else ""
    values = {"actor": actor, "content": event.data["content"], "at": when}
    if event.data.get("method") == ReplyMethod.NONE:
        return _("%(actor)s recorded that no reply is possible: “%(content)s”") % values
    values["method"] = _choice_label(ReplyMethod, event.data.get("method"))
    return _("%(actor)s recorded the %(method)s reply given at %(at)s: “%(content)s”") % values


@register("petition.report")
def _report(event: Event, actor: str) -> str:
    return _("%(actor)s drafted the investigation report: “%(report)s”") % {
        "actor": actor,
        "report": event.data["report"],
    }


@register("petition.approve_report")
def _approve_report(event: Event, actor: str) -> str:
    return _("%(actor)s approved the investigation report; it is reported to the superior.") % {
        "actor": actor
    }


@register("petition.close")
def _close(event: Event, actor: str) -> str:
    return _("%(actor)s closed the petition with the outcome: “%(outcome)s”") % {
        "actor": actor,
        "outcome": event.data["outcome"],
    }


@register("petition.archive")
def _archive(event: Event, actor: str) -> str:
    return _("%(actor)s archived the petition under archive number %(number)s.") % {
        "actor": actor,
        "number": event.data["archive_number"],
    }


@register("petition.flag_urgent")
def _flag_urgent(event: Event, actor: str) -> str:
    values = {"actor": actor, "reason": event.data["reason"], "units": _units(event.data.get("notify_units"))}
    if values["units"]:
        return _("%(actor)s flagged the petition urgent and notified %(units)s: “%(reason)s”") % values
    return _("%(actor)s flagged the petition urgent: “%(reason)s”") % values


@register("petition.coordinate")
def _coordinate(event: Event, actor: str) -> str:
    return _("%(actor)s coordinates joint handling by %(units)s, led by %(lead)s: “%(note)s”") % {
        "actor": actor,
        "units": _units(event.data.get("units")),
        "lead": unit_name(event.data["lead_unit"]),
        "note": event.data["note"],
    }


@register("petition.record_persuasion")
def _record_persuasion(event: Event, actor: str) -> str:
    return _("%(actor)s recorded a persuasion talk: “%(notes)s”") % {
        "actor": actor,
        "notes": event.data["notes"],
    }


@register("petition.conclude_persuasion")
def _conclude_persuasion(event: Event, actor: str) -> str:
    return _("%(actor)s recorded that the petitioner agreed to stop petitioning: “%(outcome)s”") % {
        "actor": actor,
        "outcome": event.data["outcome"],
    }


@register("petition.refer_to_police")
def _refer_to_police(event: Event, actor: str) -> str:
    values = {"actor": actor, "reason": event.data["reason"]}
    if event.data.get("unit"):
        values["unit"] = unit_name(event.data["unit"])
        return _("%(actor)s referred the matter to public security (%(unit)s): “%(reason)s”") % values
    return _("%(actor)s referred the matter to public security: “%(reason)s”") % values


@register("petition.merge")
def _merge(event: Event, actor: str) -> str:
    # The number is None when the reader may not see that petition (petitions/references.py).
    if not event.data.get("into"):
        return _("%(actor)s merged this petition, a repeat, into another petition.") % {"actor": actor}
    return _("%(actor)s merged this petition, a repeat, into %(number)s.") % {
        "actor": actor,
        "number": event.data["into"],
    }


@register("petition.merged_in")
def _merged_in(event: Event, actor: str) -> str:
    if not event.data.get("from"):
        return _("%(actor)s merged a repeat petition into this one.") % {"actor": actor}
    return _("%(actor)s merged the repeat petition %(number)s into this one.") % {
        "actor": actor,
        "number": event.data["from"],
    }


@register("petition.void")
def _void(event: Event, actor: str) -> str:
    return _("%(actor)s voided the registration: “%(reason)s”") % {
        "actor": actor,
        "reason": event.data["reason"],
    }
