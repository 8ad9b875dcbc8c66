"""Notifications as sentences: what the recipient is asked to do, by kind.

Kinds are the ones services pass to `notify` (petitions/services/*). An unknown
kind still shows, with the petition's number, rather than vanishing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SENTENCES = {
    "to_instruct": _("%(number)s awaits your instruction (Rule 3.2)."),
    "to_assign": _("%(number)s has been instructed: transfer or assign it (Rule 3.2)."),
    "assigned": _("%(number)s was sent to your unit for handling (Rule 2.2)."),
    "assist_note": _("An assisting unit sent its findings on %(number)s."),
    "coordination": _("%(number)s is handled jointly; your unit takes part (Rule 4.5(3))."),
    "to_sign": _("The result of %(number)s awaits your sign-off (Rule 3.3)."),
    "sent_back": _("The result of %(number)s was sent back (Rule 3.3)."),
    "to_reply": _("The result of %(number)s is confirmed: reply to the petitioner (Rule 3.4)."),
    "to_report": _("%(number)s was replied to: draft the report to the superior (Rule 3.4)."),
    "report_to_approve": _("The investigation report on %(number)s awaits approval (Rule 3.4)."),
    "to_close": _("The report on %(number)s was approved: close the petition (Rule 4.4)."),
    "urgent": _("%(number)s was flagged urgent: %(reason)s"),
}


def sentence(notification) -> str:
    template = SENTENCES.get(notification.kind)
    values = {"number": notification.petition.number, "reason": (notification.data or {}).get("reason", "")}
    if template is None:
        return f"{notification.petition.number}: {notification.kind}"
    return str(template) % values
