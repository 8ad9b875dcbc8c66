"""How the portal hooks into the core (CONVENTIONS 18, 22): its follow-up actions join the one
action framework, its leader queue the home page, its escalation the deadline worker, its
sentences the timeline and the inbox. Called once from PortalConfig.ready()."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES
from xinfang.petitions.choices import Status
from xinfang.petitions.workflow import Transition

TEXT = 20000
FROM_STATES = (Status.REPLIED, Status.REPORTED, Status.CLOSED)


def _read_reason(data, errors):
    from xinfang.petitions.inputs import read_text

    return {"reason": read_text(errors, data, "reason", "reason", max_length=5000, required=True)}


def _read_answer(data, errors):
    from xinfang.petitions.inputs import read_text

    return {"answer": read_text(errors, data, "answer", "answer", max_length=TEXT, required=True)}


def unsatisfied_queue(user):
    from xinfang.petitions.models import Petition
    from xinfang.petitions.queues import Queue
    from xinfang.portal.models import FollowUp, Rating

    if not user.has_role(*LEADER_ROLES):
        return None
    waiting = Rating.objects.filter(petition=OuterRef("pk"), follow_up=FollowUp.OPEN)
    petitions = (
        Petition.objects.visible_to(user)
        .select_related("category", "first_responder")
        .filter(Exists(waiting), status__in=FROM_STATES)
    )
    return Queue("unsatisfied_ratings", _("Unsatisfactory ratings"), petitions)


def install() -> None:
    from xinfang.audit.display import register as register_sentence
    from xinfang.notifications.display import SENTENCES
    from xinfang.petitions.actions import register_action
    from xinfang.petitions.api.action_bodies import _shape, text
    from xinfang.petitions.hooks import (
        periodic_tasks,
        petition_list_filters,
        petition_queues,
        statistics_fields,
        statistics_sections,
    )
    from xinfang.portal import display, satisfaction
    from xinfang.portal.services.rating import answer_rating, has_open_rating, rework
    from xinfang.portal.tasks import escalate_intake

    register_action(
        name="rework",
        label=_("Send back for rework"),
        transitions=[
            Transition(
                state,
                "rework",
                (Status.ASSIGNED, Status.INVESTIGATING),
                ("leader",),
                "3.3, 4.4",
                "an unsatisfactory rating waits; back to whoever produced the result",
            )
            for state in FROM_STATES
        ],
        read=_read_reason,
        service=rework,
        offered=has_open_rating,
        body=_shape("ReworkBody", {"reason": text(5000)}),
    )
    register_action(
        name="answer_rating",
        label=_("Answer the unsatisfactory rating"),
        transitions=[
            Transition(
                state,
                "answer_rating",
                (state,),
                ("leader",),
                "3.4",
                "an unsatisfactory rating waits; the petitioner reads the answer",
            )
            for state in FROM_STATES
        ],
        read=_read_answer,
        service=answer_rating,
        offered=has_open_rating,
        body=_shape("AnswerRatingBody", {"answer": text(TEXT)}),
    )
    petition_queues.register("portal.unsatisfied_ratings", unsatisfied_queue)
    periodic_tasks.register("portal.escalate_intake", escalate_intake)
    # Ratings feed the statistics (issue 13 item 5): a section of the page, and the list filter
    # its numbers link with.
    statistics_sections.register("portal.satisfaction", satisfaction.statistics_section)
    statistics_fields.register("satisfaction", satisfaction.satisfaction)
    petition_list_filters.register("rating", satisfaction.RATING_FILTER)
    SENTENCES.setdefault(
        "rating_unsatisfied", _("The petitioner of %(number)s is not satisfied with the reply: follow it up.")
    )
    for action, sentence in display.SENTENCES.items():
        register_sentence(action)(sentence)
