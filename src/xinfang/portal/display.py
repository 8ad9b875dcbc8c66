"""Timeline sentences of the portal's events (registered with audit.display in hooks.install)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from xinfang.audit.labels import EVENT_ACTIONS as EVENT_LABELS
from xinfang.portal.models import RatingValue


def _accepted(event, actor: str) -> str:
    return _("%(actor)s took the petition in from the online portal (submitted %(at)s).") % {
        "actor": actor,
        "at": event.data["submitted_at"][:16].replace("T", " "),
    }


def _linked(event, actor: str) -> str:
    return _("%(actor)s linked an online submission (submitted %(at)s) to this petition as a repeat.") % {
        "actor": actor,
        "at": event.data["submitted_at"][:16].replace("T", " "),
    }


def _rated(event, actor: str) -> str:
    value = event.data["rating"]
    label = RatingValue(value).label if value in RatingValue.values else value
    if event.data.get("comment"):
        return _("The petitioner rated the reply online: %(rating)s, “%(comment)s”") % {
            "rating": label,
            "comment": event.data["comment"],
        }
    return _("The petitioner rated the reply online: %(rating)s.") % {"rating": label}


def _rework(event, actor: str) -> str:
    return _("%(actor)s sent the unsatisfactorily rated petition back for rework: “%(reason)s”") % {
        "actor": actor,
        "reason": event.data["reason"],
    }


def _answer(event, actor: str) -> str:
    return _("%(actor)s answered the petitioner's unsatisfactory rating: “%(answer)s”") % {
        "actor": actor,
        "answer": event.data["answer"],
    }


SENTENCES = {
    "portal.accepted": _accepted,
    "portal.linked": _linked,
    "portal.rated": _rated,
    "petition.rework": _rework,
    "petition.answer_rating": _answer,
}


# What the auditor's event log calls the portal's steps (audit/labels.py); the codes stay in the log.
EVENT_LABELS.update(
    {
        "portal.accepted": _l("Online submission accepted"),
        "portal.linked": _l("Online submission linked as a repeat"),
        "portal.rated": _l("Satisfaction rated by the petitioner"),
        "petition.rework": _l("Sent back for rework"),
        "petition.answer_rating": _l("Unsatisfactory rating answered"),
    }
)
