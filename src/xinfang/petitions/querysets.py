"""The one read policy for petitions (DESIGN.md §5). Every list, count, search,
export, download and API view starts from `Petition.objects.visible_to(user)`."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Petitions `user` may read. Deny by default: a user without a role that
        grants reading sees nothing, and `is_superuser` grants nothing."""
        from xinfang.accounts.models import OFFICE_ROLES

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_role(*OFFICE_ROLES):
            # Handlers gain their unit's assigned petitions with the workflow
            # (assignments); administrators never read petition content.
            return self.none()
        return self.exclude(self._firewall(user))

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
