"""Issue 9: the petition's `lead_unit`, `next_due_at` and signing columns (`result_by`,
`result_unit`, `result_live_unit`, petitions/derived.py) equal what the assignments, clocks and
results say, after any sequence of the services that write them.

Oracle: recomputed here in Python from every Assignment, Deadline and Result row, with the
definitions written out (the live lead assignment's unit; the earliest end among clocks neither
met nor paused; the newest result not sent back, its submitter, its assignment's unit, and that
unit if the assignment is not withdrawn), not with derived.py's queries."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from tests.workflow.conftest import PASSWORD, registration
from xinfang.audit.services import Context
from xinfang.core.errors import DomainError
from xinfang.deadlines import services as clock_services
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import correct_registration, register_petition
from xinfang.petitions.workflow_models import Assignment

pytestmark = pytest.mark.django_db


def expected() -> dict[int, tuple]:
    lead: dict[int, int] = {}
    for a in Assignment.objects.all():
        if a.role == "lead" and a.status != "withdrawn":
            assert a.petition_id not in lead  # the constraint: one live lead
            lead[a.petition_id] = a.unit_id
    due: dict[int, object] = {}
    for d in Deadline.objects.all():
        if d.met_at is None and d.paused_at is None:
            due[d.petition_id] = min(d.due_at, due.get(d.petition_id, d.due_at))
    return {pk: (lead.get(pk), due.get(pk)) for pk in Petition.objects.values_list("pk", flat=True)}


def expected_signing() -> dict[int, tuple]:
    from xinfang.petitions.workflow_models import Result

    current: dict[int, Result] = {}
    for r in Result.objects.select_related("assignment"):
        if r.sent_back_at is None and (r.petition_id not in current or r.pk > current[r.petition_id].pk):
            current[r.petition_id] = r
    out = {}
    for pk in Petition.objects.values_list("pk", flat=True):
        r = current.get(pk)
        a = r.assignment if r is not None else None
        unit = a.unit_id if a is not None else None
        live = unit if a is not None and a.status != "withdrawn" else None
        out[pk] = (r.submitted_by_id if r is not None else None, unit, live)
    return out


def actual_signing() -> dict[int, tuple]:
    rows = Petition.objects.values_list("pk", "result_by_id", "result_unit_id", "result_live_unit_id")
    return {pk: (by, unit, live) for pk, by, unit, live in rows}


def to_coordinate_oracle(user) -> set[int]:
    """Assigned or instructed, two or more live assignments, no coordination yet: counted here
    row by row."""
    from xinfang.petitions.workflow_models import Coordination

    live: dict[int, int] = {}
    for a in Assignment.objects.all():
        if a.status != "withdrawn":
            live[a.petition_id] = live.get(a.petition_id, 0) + 1
    coordinated = set(Coordination.objects.values_list("petition_id", flat=True))
    return {
        p.pk
        for p in Petition.objects.visible_to(user)
        if p.status in ("assigned", "instructed") and live.get(p.pk, 0) >= 2 and p.pk not in coordinated
    }


def to_coordinate(user) -> set[int]:
    from xinfang.petitions.queues import queues_for

    queue = next(q for q in queues_for(user) if q.name == "to_coordinate")
    return set(queue.petitions.values_list("pk", flat=True))


def to_sign_oracle(user) -> set[int]:
    from xinfang.petitions.services.transitions import may
    from xinfang.petitions.workflow_models import Signoff

    return {
        p.pk
        for p in Petition.objects.visible_to(user)
        if may(user, p, "sign_off")
        and not Signoff.objects.filter(
            result__petition=p, result__sent_back_at__isnull=True, user=user
        ).exists()
    }


def to_sign(user) -> set[int]:
    from xinfang.petitions.queues import queues_for

    queue = next((q for q in queues_for(user) if q.name == "to_sign"), None)
    return set() if queue is None else set(queue.petitions.values_list("pk", flat=True))


def actual() -> dict[int, tuple]:
    return {pk: (u, d) for pk, u, d in Petition.objects.values_list("pk", "lead_unit_id", "next_due_at")}


def _steps(units):
    assign = {
        "assignments": [
            {"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment"},
            {"unit": units["LABOUR"].pk, "role": "assist", "kind": "assignment"},
        ]
    }
    return [
        ("clerk", "propose", {"opinion": "拟转办"}),
        ("secgen", "instruct", {"instruction": "请核实处理。"}),
        ("clerk", "assign", assign),
        ("clerk", "investigate", {"note": "自行调查"}),
        ("housing", "submit_result", {"findings": "属实", "result": "已处理"}),
        ("clerk", "submit_result", {"findings": "属实", "result": "已处理"}),
        ("housing", "sign_off", {"password": PASSWORD}),
        ("deputy", "sign_off", {"password": PASSWORD}),
        ("secgen", "sign_off", {"password": PASSWORD}),
        ("clerk", "reply", {"method": "written", "content": "已答复"}),
        ("clerk", "close", {"outcome": "已解决"}),
        # Joint handling moves the lead to another unit (the old lead assists).
        (
            "deputy",
            "coordinate",
            {"lead_unit": units["LABOUR"].pk, "units": [units["HOUSING"].pk], "note": "联合办理"},
        ),
    ]


RARE = [("secgen", "void", {"reason": "重复登记"}), ("clerk", "record_persuasion", {"notes": "劝导"})]


def _clock_action(rng, users, units, petition) -> None:
    """A leader's or the office's action on a clock: pause, resume, extend, supervise, respond,
    or a correction of the registration (which restarts the registration clocks)."""
    clocks = list(Deadline.objects.filter(petition=petition, met_at__isnull=True))
    ctx = Context(actor=users["secgen"])
    kind = rng.choice(["pause", "resume", "extend", "supervise", "respond", "correct"])
    if kind in ("pause", "resume", "extend") and clocks:
        name = rng.choice(clocks).name
        if kind == "pause":
            clock_services.pause_deadline(ctx=ctx, petition=petition, name=name, reason="等待鉴定")
        elif kind == "resume":
            clock_services.resume_deadline(ctx=ctx, petition=petition, name=name)
        else:
            clock_services.extend_deadline(
                ctx=ctx, petition=petition, name=name, days=3, reason="情况复杂", petitioner_notice="已告知"
            )
    elif kind == "supervise":
        clock_services.issue_supervision(
            ctx=Context(actor=users["clerk"]),
            petition=petition,
            unit=units["HOUSING"],
            kind="reminder",
            message="请加快",
            due_date=(timezone.localdate() + timedelta(days=rng.randint(0, 5))).isoformat(),
        )
    elif kind == "respond":
        for s in petition.supervisions.filter(responded_at__isnull=True)[:1]:
            clock_services.respond_supervision(
                ctx=Context(actor=users["housing"]), petition=petition, supervision_id=s.pk, response="已落实"
            )
    elif kind == "correct" and not Deadline.objects.filter(petition=petition, changes__isnull=False).exists():
        # (A correction after a pause or extension of a registration clock is refused by the
        # database today: restarting the clocks deletes rows their changes protect. Not
        # this test's subject; reported.)
        received = timezone.now() - timedelta(days=rng.randint(0, 20))
        correct_registration(
            ctx=Context(actor=users["clerk"]),
            petition=petition,
            changes={"received_at": received.isoformat()},
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_columns_follow_random_actions(demo_org, seed):
    users, units = demo_org
    rng = random.Random(seed)
    petitions = []
    for i in range(6):
        channel = "superior" if i % 3 == 0 else "letter"
        petition, _ = register_petition(
            ctx=Context(actor=users["clerk"]), data=check_registration(registration(units, channel))
        )
        petitions.append(petition)
    assert actual() == expected()  # registration writes the column with the row
    steps = _steps(units)
    done = signing_seen = 0
    for _ in range(60):
        petition = Petition.objects.get(pk=rng.choice(petitions).pk)
        if rng.random() < 0.35:
            try:
                _clock_action(rng, users, units, petition)
                done += 1
            except DomainError:
                pass  # not possible on this clock now: nothing was written
        else:
            # The first of the procedure's steps, in random order, that this state allows
            # (a refused one writes nothing), now and then one that ends the procedure.
            candidates = rng.sample(steps, len(steps)) + (RARE if rng.random() < 0.05 else [])
            for actor, action, body in candidates:
                try:
                    perform(Context(actor=users[actor]), petition, action, body)
                except DomainError:
                    continue
                done += 1
                break
        assert actual() == expected(), (seed, done)
        assert actual_signing() == expected_signing(), (seed, done)
        assert to_coordinate(users["deputy"]) == to_coordinate_oracle(users["deputy"]), (seed, done)
        for name in ("housing", "labour", "deputy", "secgen"):
            # The signing queue reads the lead unit from the petition: the services' own check.
            waiting = to_sign(users[name])
            assert waiting == to_sign_oracle(users[name]), (seed, done, name)
            signing_seen += len(waiting)
    assert done > 20  # the walk did act, not only get refused
    assert any(u for u, _d in actual().values())  # some petition reached a lead unit
    assert Assignment.objects.filter(role="assist").exists()  # the queue's case was reached
    assert signing_seen  # results waited for signatures at some point
    assert any(by for by, _u, _l in actual_signing().values())  # some result stood


def run_backfill(name: str) -> None:
    """Run the petitions migration `name`'s backfill on today's models, as migrate would, with
    a schema editor that only executes."""
    migration = importlib.import_module(f"xinfang.petitions.migrations.{name}")

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.backfill(django_apps, Editor())


def test_migration_backfill_matches_the_oracle(drive, demo_org):
    drive("assigned")
    drive("registered")
    drive("closed")
    Petition.objects.update(lead_unit=None, next_due_at=None)
    run_backfill("0009_petition_queue_columns")
    assert actual() == expected()
    assert any(u for u, _d in actual().values()) and any(d for _u, d in actual().values())


def test_signing_backfill_matches_the_oracle(drive, demo_org):
    """The migration that added the signing columns fills them as derived.py keeps them,
    including a result whose assignment was withdrawn (written here past the services)."""
    from xinfang.petitions.workflow_models import Result

    users, _units = demo_org
    drive("result_submitted")
    withdrawn = drive("result_submitted")
    drive("closed")
    drive("registered")
    result = Result.objects.filter(petition=withdrawn).latest("id")
    Assignment.objects.filter(pk=result.assignment_id).update(status="withdrawn")
    Petition.objects.update(result_by=None, result_unit=None, result_live_unit=None)
    run_backfill("0012_petition_signing_columns")
    assert actual_signing() == expected_signing()
    values = actual_signing().values()
    assert any(live for _b, _u, live in values) and any(u and not live for _b, u, live in values)
