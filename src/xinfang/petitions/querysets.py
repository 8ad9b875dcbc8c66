"""The one read policy for petitions (DESIGN.md §5). Every list, count, search,
export, download and API view starts from `Petition.objects.visible_to(user)`."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Petitions `user` may read. Deny by default: a user without a role that
        grants reading sees nothing, and `is_superuser` grants nothing."""
        from xinfang.accounts.models import OFFICE_ROLES, Role

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.has_role(Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN):
            # 三员分立: an administrator reads no petition, whatever other role it was given.
            return self.none()
        if user.has_role(*OFFICE_ROLES):
            return self.exclude(self._firewall(user))
        if user.has_role(Role.HANDLER) and user.unit_id:
            # Handlers see what is assigned to their unit (or a unit above it, which
            # hands work down), and nothing that involves them.
            return self.filter(self._assigned_to(user)).exclude(self._firewall(user))
        # Administrators never read petition content (三员分立).
        return self.none()

    @staticmethod
    def _assigned_to(user) -> Q:
        from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

        live = Assignment.objects.filter(petition=OuterRef("pk"), unit_id__in=user.unit.ancestor_ids).exclude(
            status=AssignmentStatus.WITHDRAWN
        )
        return Q(Exists(live))

    @staticmethod
    def _firewall(user) -> Q:
        """Rule 4.3: petitions that involve the user's unit, a unit above it, or the user."""
        from xinfang.petitions.models import InvolvedPerson, InvolvedUnit

        unit_ids = user.unit.ancestor_ids if user.unit_id else []
        involves_unit = Exists(InvolvedUnit.objects.filter(petition=OuterRef("pk"), unit_id__in=unit_ids))
        involves_person = Exists(InvolvedPerson.objects.filter(petition=OuterRef("pk"), user=user))
        return Q(involves_unit) | Q(involves_person) if unit_ids else Q(involves_person)

    def open(self):
        from xinfang.petitions.choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)
