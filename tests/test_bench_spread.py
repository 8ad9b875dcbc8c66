"""The bench's realistic shape (bench/spread.py): statuses over the procedure, lead
assignments and results where the status needs them, finished clocks met, and
every role with something in its lists and queues."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

pytestmark = pytest.mark.django_db


def test_spread_gives_every_role_work(demo_org):
    from bench.bulk import bulk_fill
    from bench.generator import PetitionGenerator, demo_unit_ids
    from bench.spread import WITH_LEAD, WITH_RESULT, spread
    from django.db.models import Count

    from xinfang.accounts.models import User
    from xinfang.petitions.choices import OPEN_STATUSES, Status
    from xinfang.petitions.models import Deadline, Petition
    from xinfang.petitions.queues import queues_for
    from xinfang.petitions.workflow_models import Assignment, Result

    users, _units = demo_org
    gen = PetitionGenerator(5, units=demo_unit_ids(), days=3 * 365)
    bulk_fill(120, gen=gen, actor=users["clerk"])
    summary = spread(seed=3)
    statuses = dict(Petition.objects.values_list("status").annotate(n=Count("id")))
    assert sum(statuses.values()) == 120 and len(statuses) >= 6, statuses
    assert summary["clerks"] >= 20 and summary["departments"] >= 30
    for petition in Petition.objects.all():
        lead = Assignment.objects.filter(petition=petition, role="lead").exclude(status="withdrawn").count()
        assert lead == (1 if petition.status in WITH_LEAD else 0), petition.status
        assert (
            Result.objects.filter(petition=petition).exists()
            == (petition.status in WITH_RESULT and lead == 1)
            or petition.status not in WITH_RESULT
        )
    finished = Petition.objects.filter(status__in=[Status.CLOSED, Status.ARCHIVED])
    assert not Deadline.objects.filter(petition__in=finished, met_at__isnull=True).exists()
    assert Petition.objects.filter(status__in=OPEN_STATUSES).values("first_responder").distinct().count() > 3
    # Each officer of a bench department sees exactly what is assigned to it (the
    # generator names only demo units as involved, so no firewall applies).
    for officer in User.objects.filter(username__startswith="bh").select_related("unit"):
        assigned = Assignment.objects.filter(unit=officer.unit).values("petition").distinct().count()
        assert Petition.objects.visible_to(officer).count() == assigned, officer.username
    deputy_or_secgen = [
        q.count
        for name in ("deputy", "secgen")
        for q in queues_for(User.objects.get(username=name))
        if q.name == "to_sign"
    ]
    assert sum(deputy_or_secgen) > 0 or Status.RESULT_SUBMITTED not in statuses
    # The columns kept for the queues and the handling officers' lists are right after the fill:
    # the newest result not sent back (spread writes one), its submitter and unit, and each
    # assignment's copy of its petition's time.
    for petition in Petition.objects.all():
        current = Result.objects.filter(petition=petition, sent_back_at__isnull=True).order_by("-id").first()
        unit = current.assignment.unit_id if current and current.assignment_id else None
        live = (
            unit if current and current.assignment_id and current.assignment.status != "withdrawn" else None
        )
        assert (petition.result_by_id, petition.result_unit_id, petition.result_live_unit_id) == (
            current.submitted_by_id if current else None,
            unit,
            live,
        )
    for assignment in Assignment.objects.select_related("petition"):
        assert assignment.received_at == assignment.petition.received_at
