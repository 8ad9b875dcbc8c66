"""Timeline sentences for deadline and supervision events (registered with audit.display)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from xinfang.audit.display import register


def clock_label(name: str) -> str:
    """A clock's name as people read it ("assignment:12" → the assigned unit's due date)."""
    base = name.split(":", 1)[0]
    labels = {
        "handling": _("Handling deadline"),
        "reply": _("Reply deadline"),
        "superior_report": _("Report-to-superior deadline"),
        "transfer": _("Transfer deadline"),
        "assignment": _("Assigned unit's due date"),
        "supervision": _("Supervision response due"),
        "review": _("Review deadline"),
        "re_review": _("Re-review deadline"),
        "objection": _("Objection deadline"),
    }
    return labels.get(base, name)


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
