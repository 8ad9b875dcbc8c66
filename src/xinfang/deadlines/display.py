"""Timeline sentences for deadline and supervision events (registered with audit.display)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xinfang.audit.display import register

# Marked for translation here, translated in clock_label: only the one label a clock shows, where
# building the whole table translated nine labels for each clock (the /deadlines/ page lists 50).
_LABELS = {
    "handling": gettext_noop("Handling deadline"),
    "reply": gettext_noop("Reply deadline"),
    "superior_report": gettext_noop("Report-to-superior deadline"),
    "transfer": gettext_noop("Transfer deadline"),
    "assignment": gettext_noop("Assigned unit's due date"),
    "supervision": gettext_noop("Supervision response due"),
    "review": gettext_noop("Review deadline"),
    "re_review": gettext_noop("Re-review deadline"),
    "objection": gettext_noop("Objection deadline"),
}


def clock_label(name: str) -> str:
    """A clock's name as people read it ("assignment:12" → the assigned unit's due date)."""
    label = _LABELS.get(name.split(":", 1)[0])
    return name if label is None else _(label)


@register("deadline.extended")
def _extended(event, actor):
    return _("%(actor)s extended the %(clock)s by %(days)s days to %(due)s: %(reason)s") % {
        "actor": actor,
        "clock": clock_label(event.data["deadline"]),
        "days": event.data["days"],
        "due": event.data["due_after"][:10],
        "reason": event.data["reason"],
    }


@register("deadline.paused")
def _paused(event, actor):
    return _("%(actor)s paused the %(clock)s: %(reason)s") % {
        "actor": actor,
        "clock": clock_label(event.data["deadline"]),
        "reason": event.data["reason"],
    }


@register("deadline.resumed")
def _resumed(event, actor):
    return _("%(actor)s resumed the %(clock)s; it now runs out on %(due)s.") % {
        "actor": actor,
        "clock": clock_label(event.data["deadline"]),
        "due": event.data["due_after"][:10],
    }


@register("supervision.issued")
def _issued(event, actor):
    text = (
        _("%(actor)s issued a formal supervision notice to %(unit)s, response due %(due)s: %(message)s")
        if event.data.get("kind") == "supervision"
        else _("%(actor)s sent a reminder to %(unit)s, response due %(due)s: %(message)s")
    )
    return text % {
        "actor": actor,
        "unit": event.data["unit_name"],
        "due": event.data["due_date"],
        "message": event.data["message"],
    }


@register("supervision.responded")
def _responded(event, actor):
    return _("%(actor)s responded for %(unit)s: %(response)s") % {
        "actor": actor,
        "unit": event.data["unit_name"],
        "response": event.data["response"],
    }
