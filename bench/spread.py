"""A realistic shape for bulk-filled petitions (issue 9): statuses spread over the
procedure by age, many clerks, units and handling officers, lead assignments and
results, and the clocks of finished matters met.

The shape is drawn while bench/bulk.py writes each petition (`Shape`, given to
`bulk_fill`): the petition row is written once, with its status, first responder and
the queues' derived columns already set, and its lead assignment and result are
copied after it in the same batch. A second pass rewriting every petition row cost a
sixth of a realistic fill (871 s of 7,141 at 10⁶), and the audit seal of each
registration event then described rows the pass had changed afterwards, so
`verify_audit` failed on every petition it touched; drawn first, the seal describes
the rows as they stay.

This is bench data, not a history: the statuses are written directly, so the event
log shows only the registrations (each event seals its petition as written). What it
gives the measurements is the shape of a working office:

- 20 extra clerks and 30 departments, each with 2 handling officers and a
  leader in charge (the deputy or the Secretary-General), beside the demo ones;
- first responders spread over all clerks;
- by age: matters older than 60 days mostly closed or archived (90 %), the rest
  spread over every open status; about 15 % of the open ones overdue follows
  from their clocks;
- every matter past "instructed" has a live lead assignment to a department, and
  those with a result have a Result row by one of its officers.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.petitions.choices import Status
from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentKind,
    AssignmentRole,
    AssignmentStatus,
    Result,
)

EXTRA_CLERKS = 20
EXTRA_DEPARTMENTS = 30
OLD_DAYS = 60  # older than this, a matter is mostly finished
FINISHED_SHARE = 0.9
OPEN_SPREAD = [  # status, share of the open ones
    (Status.REGISTERED, 0.18),
    (Status.PROPOSED, 0.10),
    (Status.INSTRUCTED, 0.10),
    (Status.ASSIGNED, 0.32),
    (Status.RESULT_SUBMITTED, 0.10),
    (Status.CONFIRMED, 0.10),
    (Status.REPLIED, 0.10),
]
FINISHED = {Status.CLOSED, Status.ARCHIVED}
WITH_LEAD = {
    Status.ASSIGNED,
    Status.RESULT_SUBMITTED,
    Status.CONFIRMED,
    Status.REPLIED,
    Status.CLOSED,
    Status.ARCHIVED,
}
WITH_RESULT = {Status.RESULT_SUBMITTED, Status.CONFIRMED, Status.REPLIED, Status.CLOSED, Status.ARCHIVED}


def _people_and_units(password: str) -> tuple[list[int], list[tuple[int, list[int]]]]:
    hashed = make_password(password)  # once: hashing per account would dominate the run
    office = User.objects.get(username="clerk").unit
    deputy = User.objects.get(username="deputy")
    secgen = User.objects.get(username="secgen")
    clerks = list(User.objects.filter(roles__role=Role.CLERK).order_by("pk").values_list("pk", flat=True))
    for i in range(EXTRA_CLERKS):
        user = User.objects.create(username=f"bclerk{i}", password=hashed, name=f"办事员{i}", unit=office)
        UserRole.objects.create(user=user, role=Role.CLERK)
        clerks.append(user.pk)
    departments = []
    parent = Unit.objects.get(code="HOUSING").parent
    for code in ("HOUSING", "LABOUR", "POLICE"):
        unit = Unit.objects.get(code=code)
        departments.append(
            (unit.pk, list(User.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)))
        )
    for i in range(EXTRA_DEPARTMENTS):
        unit = Unit.objects.create(
            code=f"BDEPT{i}",
            name=f"市第{i}局",
            kind=UnitKind.DEPARTMENT,
            parent=parent,
            leader_in_charge=deputy if i % 2 else secgen,
        )
        officers = []
        for j in range(2):
            user = User.objects.create(username=f"bh{i}_{j}", password=hashed, name=f"承办{i}-{j}", unit=unit)
            UserRole.objects.create(user=user, role=Role.HANDLER)
            officers.append(user.pk)
        departments.append((unit.pk, officers))
    return clerks, departments


class Shape:
    """The people and units of a working office (created at once), and per petition its
    status, first responder, lead assignment and result, drawn from its own seeded
    generator in the order the fill writes the petitions (so the petitions' generator,
    whose stream `bench/load.py --skip` replays, is not touched)."""

    def __init__(self, *, seed: int = 9, password: str = "bench-pass-2026", now: datetime | None = None):
        self.rng = random.Random(seed)
        self.clerks, self.departments = _people_and_units(password)
        self.now = now or timezone.now()
        self.old = self.now - timedelta(days=OLD_DAYS)
        self.assigned_by = User.objects.get(username="clerk").pk
        self._open = [s for s, _w in OPEN_SPREAD]
        self._weights = [w for _s, w in OPEN_SPREAD]
        self.statuses: dict[str, int] = {}
        self.created = {"assignments": 0, "results": 0}

    def draw(self, petition, clocks) -> tuple | None:
        """Set the petition's status and first responder, meet its clocks if it is finished,
        and set the derived columns (petitions/derived.py) from the lead assignment and result
        drawn for it; returns (assignment, submitter or None) to write after the petition,
        or None."""
        rng = self.rng
        if petition.received_at < self.old and rng.random() < FINISHED_SHARE:
            status = Status.ARCHIVED if rng.random() < 0.5 else Status.CLOSED
        else:
            status = rng.choices(self._open, self._weights)[0]
        petition.status = status
        petition.first_responder_id = rng.choice(self.clerks)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status in FINISHED:
            for clock in clocks:
                clock.met_at = self.now
        if status not in WITH_LEAD:
            return None
        unit, officers = rng.choice(self.departments)
        assignment = Assignment(
            received_at=petition.received_at,  # the handling officers' list order
            unit_id=unit,
            role=AssignmentRole.LEAD,
            kind=AssignmentKind.ASSIGNMENT,
            status=AssignmentStatus.RESULT_SUBMITTED
            if status in WITH_RESULT
            else AssignmentStatus.IN_PROGRESS,
            due_date=(self.now + timedelta(days=rng.randint(-20, 20))).date(),
            handler_id=officers[0] if officers else None,
            assigned_by_id=self.assigned_by,
        )
        petition.lead_unit_id = unit
        self.created["assignments"] += 1
        submitter = None
        if status in WITH_RESULT and officers:
            submitter = rng.choice(officers)
            # The current result's submitter and unit; its assignment is live (not withdrawn).
            petition.result_by_id = submitter
            petition.result_unit_id = petition.result_live_unit_id = unit
        return assignment, submitter

    def result(self, petition, assignment, submitter) -> Result:
        """The result of a drawn lead `assignment` (written, with its id) by `submitter`."""
        self.created["results"] += 1
        return Result(
            petition_id=petition.pk,
            assignment_id=assignment.pk,
            findings="经调查核实。",
            result="已按政策处理。",
            submitted_by_id=submitter,
        )

    def summary(self) -> dict:
        return {
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "clerks": len(self.clerks),
            "departments": len(self.departments),
            **self.created,
        }
