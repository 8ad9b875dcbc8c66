import itertools
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import api  # noqa: F401
from xinfang.petitions.models import Category, Deadline, InvolvedUnit, Petition
from xinfang.petitions.workflow_models import Assignment

TZ = ZoneInfo("Asia/Shanghai")
CHANNELS = ["letter", "visit", "call", "online"]
STATUSES = ["registered", "assigned", "closed", "replied"]
_serial = itertools.count(900000)


@pytest.fixture(autouse=True)
def _handling_officers_read_the_summary(monkeypatch):
    """A handling officer's question is counted live below summary_scope.LIVE_BELOW petitions
    of their unit in its period, which these worlds of a few dozen always are: here the summary
    answers them wherever it can, so that its answers are the ones held to the oracle
    (test_summary_readers.py tests the choice itself)."""
    from xinfang.reports import summary_scope

    monkeypatch.setattr(summary_scope, "LIVE_BELOW", 0)


def make_world(rng: random.Random, users, units, n: int, now: datetime) -> list[Petition]:
    """`n` petitions with random attributes written straight to the tables (no services: these
    tests count rows, they do not exercise the procedure)."""
    categories = list(Category.objects.all()[:4])
    unit_choices = [units["HOUSING"], units["LABOUR"], units["POLICE"], units["OFFICE"]]
    clerk = users["clerk"]
    petitions = []
    for _i in range(n):
        serial = next(_serial)
        received = datetime(2026, 1, 1, tzinfo=TZ) + timedelta(minutes=rng.randrange(0, 60 * 24 * 200))
        petitions.append(
            Petition(
                number=f"XF-2026-{serial}",
                year=2026,
                serial=serial,
                channel=rng.choice(CHANNELS),
                status=rng.choice(STATUSES),
                received_at=received,
                title="t",
                content="c",
                category=rng.choice(categories),
                is_group=rng.random() < 0.2,
                first_responder=clerk,
            )
        )
    Petition.objects.bulk_create(petitions)
    assignments, involved, deadlines = [], [], []
    for p in petitions:
        for k, unit in enumerate(rng.sample(unit_choices, rng.choice([0, 0, 1, 2]))):
            assignments.append(
                Assignment(
                    petition=p,
                    unit=unit,
                    role="lead" if k == 0 else "assist",
                    kind="transfer",
                    status=rng.choice(["received", "withdrawn"]),
                    assigned_by=clerk,
                )
            )
        if rng.random() < 0.25:
            involved.append(InvolvedUnit(petition=p, unit=rng.choice(unit_choices)))
        for name in rng.sample(["handling", "reply", "transfer"], rng.choice([0, 1, 2])):
            due = now + timedelta(days=rng.choice([-5, -1, 3, 10]))
            met = rng.choice([None, due - timedelta(days=1), due + timedelta(days=1)])
            paused = now if (met is None and rng.random() < 0.2) else None
            deadlines.append(
                Deadline(
                    petition=p,
                    name=name,
                    rule="4.6",
                    starts_at=now - timedelta(days=20),
                    due_at=due,
                    met_at=met,
                    paused_at=paused,
                )
            )
    Assignment.objects.bulk_create(assignments)
    InvolvedUnit.objects.bulk_create(involved)
    Deadline.objects.bulk_create(deadlines)
    return petitions


@pytest.fixture
def world_factory(demo_org):
    users, units = demo_org
    return lambda rng, n, now: make_world(rng, users, units, n, now)
