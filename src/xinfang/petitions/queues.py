"""Each person's work queues (DESIGN.md §4): what waits for them to act, by role.

Every queue is a filter of `visible_to(user)`. Queues that depend on who is the
leader in charge of a result are narrowed by the same actor checks the services
use, so a queue never offers an action that would then be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES, Role
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.hooks import petition_queues
from xinfang.petitions.models import Petition
from xinfang.petitions.services.transitions import may
from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentStatus,
    Coordination,
    Instruction,
    Report,
    Signoff,
)

DUE_SOON_DAYS = 3
# Queues narrowed in Python look at no more than this many candidates.
MAX_CANDIDATES = 500


@dataclass
class Queue:
    name: str
    label: str
    petitions: list | QuerySet

    @property
    def count(self) -> int:
        return len(self.petitions) if isinstance(self.petitions, list) else self.petitions.count()


def _base(user) -> QuerySet:
    return Petition.objects.visible_to(user).select_related("category", "first_responder")


def _unapproved_report():
    return Exists(Report.objects.filter(petition=OuterRef("pk"), approved_at__isnull=True))


def _narrowed(user, qs, action, extra=None) -> list:
    candidates = list(qs.order_by("received_at", "id")[:MAX_CANDIDATES])
    return [p for p in candidates if may(user, p, action) and (extra is None or extra(p))]


def _not_signed_by(user):
    def check(petition):
        return not Signoff.objects.filter(
            result__petition=petition, result__sent_back_at__isnull=True, user=user
        ).exists()

    return check


def queues_for(user) -> list[Queue]:
    base = _base(user)
    queues: list[Queue] = []
    if user.has_role(Role.CLERK):
        superior = Q(channel=Channel.SUPERIOR)
        queues += [
            Queue("to_propose", _("To propose"), base.filter(status=Status.REGISTERED)),
            Queue("to_assign", _("To transfer or assign"), base.filter(status=Status.INSTRUCTED)),
            Queue("to_reply", _("To reply"), base.filter(status=Status.CONFIRMED)),
            Queue(
                "to_report",
                _("To report to the superior"),
                base.filter(superior, status=Status.REPLIED).exclude(_unapproved_report()),
            ),
            Queue(
                "to_close",
                _("To close"),
                base.filter(Q(status=Status.REPLIED) & ~superior | Q(status=Status.REPORTED)),
            ),
            Queue(
                "to_archive",
                _("To archive"),
                base.filter(status__in=[Status.CLOSED, Status.PERSUADED, Status.REFERRED_TO_POLICE]),
            ),
        ]
    if user.has_role(Role.SECRETARY_GENERAL):
        queues.append(Queue("to_instruct", _("To instruct"), base.filter(status=Status.PROPOSED)))
    if user.has_role(Role.PRINCIPAL_LEADER):
        by_principal = Exists(Instruction.objects.filter(petition=OuterRef("pk"), role=Role.PRINCIPAL_LEADER))
        queues.append(
            Queue(
                "to_instruct_important",
                _("Important letters to instruct"),
                base.filter(important=True, status__in=[Status.PROPOSED, Status.INSTRUCTED]).exclude(
                    by_principal
                ),
            )
        )
    if user.has_role(Role.DEPUTY_SECRETARY_GENERAL):
        queues.append(
            Queue(
                "to_coordinate",
                _("Joint handling to coordinate"),
                base.filter(status__in=[Status.ASSIGNED, Status.INSTRUCTED])
                .annotate(
                    units=Count("assignments", filter=~Q(assignments__status=AssignmentStatus.WITHDRAWN))
                )
                .filter(units__gte=2)
                .exclude(Exists(Coordination.objects.filter(petition=OuterRef("pk")))),
            )
        )
    if user.has_role(*LEADER_ROLES):
        queues.append(
            Queue(
                "to_sign",
                _("Results to sign off"),
                _narrowed(
                    user, base.filter(status=Status.RESULT_SUBMITTED), "sign_off", _not_signed_by(user)
                ),
            )
        )
        queues.append(
            Queue(
                "reports_to_approve",
                _("Reports to approve"),
                base.filter(status=Status.REPLIED, channel=Channel.SUPERIOR).filter(_unapproved_report()),
            )
        )
    if user.has_role(Role.HANDLER) and user.unit_id:
        mine = Assignment.objects.filter(
            petition=OuterRef("pk"),
            unit_id__in=user.unit.ancestor_ids,
            status__in=[AssignmentStatus.RECEIVED, AssignmentStatus.IN_PROGRESS],
        )
        # Work is owed while the petition is with the units; after the result, it is moot.
        open_here = base.filter(Exists(mine), status=Status.ASSIGNED)
        soon = timezone.localdate() + timedelta(days=DUE_SOON_DAYS)
        queues += [
            Queue("assigned_to_my_unit", _("Assigned to my unit"), open_here),
            Queue(
                "due_soon",
                _("Due within three days"),
                open_here.filter(Exists(mine.filter(due_date__lte=soon))),
            ),
            Queue(
                "to_sign",
                _("Results to sign off"),
                _narrowed(
                    user, base.filter(status=Status.RESULT_SUBMITTED), "sign_off", _not_signed_by(user)
                ),
            ),
        ]
    # Queues that capabilities add (hooks.petition_queues), e.g. the portal's unsatisfactory ratings.
    for make in petition_queues.values():
        queue = make(user)
        if queue is not None:
            queues.append(queue)
    return queues
