"""The statistics summary (PostgreSQL) follows every change of the rows it counts: after random
inserts, updates and deletes, what the triggers appended equals a recount from scratch
(rebuild_statistics), before and after folding (compaction)."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinfang.petitions.models import Category, Deadline, Petition
from xinfang.reports import summary_sql

pytestmark = pytest.mark.django_db

KEY = "grain, day, channel, category_id, status, is_group, scope, clock, unit_id"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")


def folded() -> dict:
    """The summary as {key: (petitions, on time, late)}, deltas summed, zero rows left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {KEY}, sum(petitions), sum(on_time), sum(late) FROM reports_statcount GROUP BY {KEY}"
        )
        rows = cursor.fetchall()
    return {tuple(r[:9]): tuple(r[9:]) for r in rows if any(r[9:])}


def mutate_units(rng: random.Random, ids: list[int]) -> None:
    """Assign, withdraw, move and delete assignments; involve and uninvolve units."""
    from xinfang.accounts.models import Unit
    from xinfang.petitions.models import InvolvedUnit
    from xinfang.petitions.workflow_models import Assignment

    units = list(Unit.objects.values_list("id", flat=True)[:4])
    clerk = Petition.objects.first().first_responder if ids else None
    for pid in rng.sample(ids, min(len(ids), 6)):
        change = rng.choice(["assign", "withdraw", "restore", "move", "delete", "involve", "uninvolve"])
        assignment = Assignment.objects.filter(petition_id=pid).order_by("?").first()
        if change == "assign":
            Assignment.objects.create(
                petition_id=pid, unit_id=rng.choice(units), role="assist", kind="transfer", assigned_by=clerk
            )
        elif change == "withdraw" and assignment:
            Assignment.objects.filter(pk=assignment.pk).update(status="withdrawn")
        elif change == "restore" and assignment:
            assignment.status = "received"
            assignment.save()
        elif change == "move" and assignment:
            Assignment.objects.filter(pk=assignment.pk).update(unit_id=rng.choice(units))
        elif change == "delete" and assignment:
            assignment.delete()
        elif change == "involve":
            InvolvedUnit.objects.create(petition_id=pid, unit_id=rng.choice(units))
        elif change == "uninvolve":
            InvolvedUnit.objects.filter(
                pk__in=InvolvedUnit.objects.filter(petition_id=pid).values("pk")[:1]
            ).delete()


def mutate(rng: random.Random, now) -> None:
    """Change what the statistics count, the ways the services and bulk loads do."""
    ids = list(Petition.objects.values_list("id", flat=True))
    categories = list(Category.objects.values_list("id", flat=True)[:5])
    for pid in rng.sample(ids, min(len(ids), 8)):
        change = rng.choice(["status", "channel", "category", "received", "group", "save", "none"])
        if change == "status":
            Petition.objects.filter(pk=pid).update(status=rng.choice(["closed", "assigned", "replied"]))
        elif change == "channel":
            Petition.objects.filter(pk=pid).update(channel=rng.choice(["letter", "visit", "online"]))
        elif change == "category":
            Petition.objects.filter(pk=pid).update(category_id=rng.choice(categories))
        elif change == "received":
            p = Petition.objects.get(pk=pid)
            p.received_at -= timedelta(hours=rng.choice([1, 9, 24 * 31]))  # across a day, a month
            p.save(update_fields=["received_at"])
        elif change == "group":
            Petition.objects.filter(pk=pid).update(is_group=rng.random() < 0.5)
        elif change == "save":
            Petition.objects.get(pk=pid).save()  # nothing counted changes
    deadlines = list(Deadline.objects.values_list("id", flat=True))
    for did in rng.sample(deadlines, min(len(deadlines), 8)):
        d = Deadline.objects.get(pk=did)
        change = rng.choice(["meet", "unmeet", "extend", "delete", "rename"])
        if change == "meet":
            d.met_at = d.due_at + timedelta(days=rng.choice([-1, 1]))
        elif change == "unmeet":
            d.met_at = None
        elif change == "extend":
            d.due_at += timedelta(days=rng.choice([2, -2]))
        elif change == "rename":
            d.name = f"assignment:{d.pk}"
        if change == "delete":
            d.delete()
        else:
            d.save()
    Petition.objects.filter(pk__in=ids[: rng.randrange(0, 3)]).update(
        status="archived"
    )  # several rows at once


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 20))
def test_triggers_keep_the_summary_equal_to_a_recount(world_factory, seed, size):
    rng = random.Random(seed)
    with transaction.atomic():
        sid = transaction.savepoint()
        world_factory(rng, size, timezone.now())
        mutate(rng, timezone.now())
        world_factory(rng, 2, timezone.now())  # more petitions after the changes
        kept = folded()
        summary_sql.compact()
        assert folded() == kept
        summary_sql.rebuild()
        assert folded() == kept
        transaction.savepoint_rollback(sid)


def test_rebuild_command_recounts_and_compacts(world_factory, capsys):
    world_factory(random.Random(5), 15, timezone.now())
    kept = folded()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_statcount")  # as if the summary were lost
    assert folded() == {}
    call_command("rebuild_statistics")
    assert folded() == kept
    assert "rows" in capsys.readouterr().out
    world_factory(random.Random(6), 5, timezone.now())
    before = folded()
    call_command("rebuild_statistics", "--compact")
    assert folded() == before
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM reports_statcount GROUP BY {KEY} HAVING count(*) > 1) x"
        )
        assert cursor.fetchone()[0] == 0  # one row per key once folded
