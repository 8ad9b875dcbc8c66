"""The bench's realistic shape (bench/spread.py): statuses over the procedure, lead
assignments and results where the status needs them, finished clocks met, and
every role with something in its lists and queues."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db.models import Count

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

pytestmark = pytest.mark.django_db


def test_spread_gives_every_role_work(demo_org):
    from bench.bulk import bulk_fill
    from bench.generator import PetitionGenerator, demo_unit_ids
    from bench.spread import WITH_LEAD, WITH_RESULT, Shape
    from django.core.management import call_command
    from django.db.models import Count

    from xinfang.accounts.models import User
    from xinfang.petitions.choices import OPEN_STATUSES, Status
    from xinfang.petitions.models import Deadline, Petition
    from xinfang.petitions.queues import queues_for
    from xinfang.petitions.workflow_models import Assignment, Result

    users, _units = demo_org
    gen = PetitionGenerator(5, units=demo_unit_ids(), days=3 * 365)
    shape = Shape(seed=1)
    bulk_fill(120, gen=gen, actor=users["clerk"], shape=shape, batch=50)
    summary = shape.summary()
    assert (
        summary["assignments"] == Assignment.objects.count() and summary["results"] == Result.objects.count()
    )
    # Each registration event seals its petition as written, status and first responder included.
    call_command("verify_audit")
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
    # The derived columns written with each row equal the database's own recomputation.
    from xinfang.petitions import derived

    columns = ("pk", "lead_unit_id", "next_due_at", "result_by_id", "result_unit_id", "result_live_unit_id")
    written = sorted(Petition.objects.values_list(*columns))
    ids = [row[0] for row in written]
    derived.refresh_range(ids[0], ids[-1])
    assert sorted(Petition.objects.values_list(*columns)) == written


def test_shape_follows_the_age_rules(demo_org):
    """Old matters mostly finished, young ones all open and spread over every open status,
    the first responders over all clerks, one lead per matter past instruction."""
    from datetime import timedelta

    from bench.bulk import bulk_fill
    from bench.generator import PetitionGenerator, demo_unit_ids
    from bench.spread import OPEN_SPREAD, Shape
    from django.utils import timezone

    from xinfang.petitions.choices import Status
    from xinfang.petitions.models import Petition
    from xinfang.petitions.workflow_models import Assignment

    users, _units = demo_org
    gen = PetitionGenerator(8, units=demo_unit_ids(), days=3 * 365)
    shape = Shape(seed=2)
    bulk_fill(600, gen=gen, actor=users["clerk"], shape=shape, batch=200)
    cutoff = timezone.now() - timedelta(days=60)
    finished = {Status.CLOSED, Status.ARCHIVED}
    old = list(Petition.objects.filter(received_at__lt=cutoff).values_list("status", flat=True))
    young = list(Petition.objects.filter(received_at__gte=cutoff).values_list("status", flat=True))
    assert len(old) + len(young) == 600 and young
    share = sum(s in finished for s in old) / len(old)
    assert 0.85 <= share <= 0.95, share
    assert not any(s in finished for s in young)
    open_statuses = {s for s in old + young if s not in finished}
    assert open_statuses == {s for s, _w in OPEN_SPREAD}
    responders = set(Petition.objects.values_list("first_responder_id", flat=True))
    assert len(responders) > len(shape.clerks) // 2
    leads = Assignment.objects.filter(role="lead").count()
    assert (
        leads
        == Petition.objects.exclude(
            status__in=[Status.REGISTERED, Status.PROPOSED, Status.INSTRUCTED]
        ).count()
    )
    assert shape.summary()["statuses"] == {
        str(s): n for s, n in Petition.objects.values_list("status").annotate(n=Count("id"))
    }
