"""`PetitionQuerySet.firewalled(user)` names exactly the petitions Rule 4.3 hides from an office
role: together with the visible set it partitions every petition, with no overlap. The statistics
summary subtracts the firewalled petitions from office-wide counts (reports/summary.py), so a
difference between the two would show as wrong totals. The oracle is written out from the rows:
a petition is hidden when it involves the user or the user's unit or a unit above it."""

from __future__ import annotations

import pytest

from tests.factories import generator
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.querysets import PetitionQuerySet

pytestmark = pytest.mark.django_db


def test_firewalled_and_visible_partition_the_petitions(demo_org):
    from xinfang.audit.services import Context
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    users, units = demo_org
    gen = generator(11)
    ctx = Context(actor=users["clerk"])
    for _ in range(12):
        register_petition(ctx=ctx, data=check_registration(gen.registration()))
    petitions = list(Petition.objects.order_by("pk"))
    # Involve the petition office's unit in some, and a leader by name in others (written
    # directly: the services refuse involvements that would orphan a petition).
    for petition in petitions[:3]:
        InvolvedUnit.objects.get_or_create(petition=petition, unit=units["GENERAL"])
    for petition in petitions[3:5]:
        InvolvedPerson.objects.create(petition=petition, user=users["deputy"], name="x")
    everything = {p.pk for p in petitions}
    for name in ("clerk", "secgen", "deputy"):
        user = users[name]
        ancestors = set(user.unit.ancestor_ids) if user.unit_id else set()
        expected_hidden = {
            p.pk
            for p in petitions
            if InvolvedPerson.objects.filter(petition=p, user=user).exists()
            or InvolvedUnit.objects.filter(petition=p, unit_id__in=ancestors).exists()
        }
        hidden = set(Petition.objects.filter(PetitionQuerySet.firewalled(user)).values_list("pk", flat=True))
        visible = set(Petition.objects.visible_to(user).values_list("pk", flat=True))
        assert hidden == expected_hidden, name
        assert hidden | visible == everything and not (hidden & visible), name
    assert any(
        Petition.objects.filter(PetitionQuerySet.firewalled(users[n])).exists() for n in ("clerk", "deputy")
    )
