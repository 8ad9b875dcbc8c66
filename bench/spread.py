"""A realistic shape for bulk-filled petitions (issue 9): statuses spread over the
procedure by age, many clerks, units and handling officers, lead assignments and
results, and the clocks of finished matters met. Runs after bench/bulk.py, inside
Django, with set-based statements (a few UPDATEs and bulk inserts per 10⁵).

This is bench data, not a history: statuses are set directly, so the event log
still shows only the registrations (the audit chains stay valid). What it gives
the measurements is the shape of a working office:

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
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.core.inserts import insert
from xinfang.petitions import derived
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentKind,
    AssignmentRole,
    AssignmentStatus,
    Result,
)

EXTRA_CLERKS = 20
EXTRA_DEPARTMENTS = 30
OPEN_SPREAD = [  # status, share of the open ones
    (Status.REGISTERED, 0.18),
    (Status.PROPOSED, 0.10),
    (Status.INSTRUCTED, 0.10),
    (Status.ASSIGNED, 0.32),
    (Status.RESULT_SUBMITTED, 0.10),
    (Status.CONFIRMED, 0.10),
    (Status.REPLIED, 0.10),
]
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
    clerks = list(User.objects.filter(roles__role=Role.CLERK).values_list("pk", flat=True))
    for i in range(EXTRA_CLERKS):
        user = User.objects.create(username=f"bclerk{i}", password=hashed, name=f"办事员{i}", unit=office)
        UserRole.objects.create(user=user, role=Role.CLERK)
        clerks.append(user.pk)
    departments = []
    parent = Unit.objects.get(code="HOUSING").parent
    for code in ("HOUSING", "LABOUR", "POLICE"):
        unit = Unit.objects.get(code=code)
        departments.append((unit.pk, list(User.objects.filter(unit=unit).values_list("pk", flat=True))))
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


def spread(*, seed: int = 9, password: str = "bench-pass-2026", batch: int = 5000) -> dict:
    rng = random.Random(seed)
    clerks, departments = _people_and_units(password)
    now = timezone.now()
    old = now - timedelta(days=60)
    rows = list(Petition.objects.order_by("id").values_list("pk", "received_at"))
    statuses: dict[str, list[int]] = {}
    responders: dict[int, list[int]] = {}
    for pk, received_at in rows:
        if received_at < old and rng.random() < 0.9:
            status = Status.ARCHIVED if rng.random() < 0.5 else Status.CLOSED
        else:
            status = rng.choices([s for s, _w in OPEN_SPREAD], [w for _s, w in OPEN_SPREAD])[0]
        statuses.setdefault(status, []).append(pk)
        responders.setdefault(rng.choice(clerks), []).append(pk)
    assigned_by = User.objects.get(username="clerk").pk
    received = dict(rows)
    status_of = {pk: status for status, pks in statuses.items() for pk in pks}
    responder_of = {pk: responder for responder, pks in responders.items() for pk in pks}
    created = {"assignments": 0, "results": 0}
    with transaction.atomic():
        assignments, results = [], []
        for status in WITH_LEAD:
            for pk in statuses.get(status, []):
                unit, officers = rng.choice(departments)
                state = (
                    AssignmentStatus.RESULT_SUBMITTED
                    if status in WITH_RESULT
                    else AssignmentStatus.IN_PROGRESS
                )
                assignments.append(
                    (
                        status,
                        Assignment(
                            petition_id=pk,
                            received_at=received[pk],  # the handling officers' list order
                            unit_id=unit,
                            role=AssignmentRole.LEAD,
                            kind=AssignmentKind.ASSIGNMENT,
                            status=state,
                            due_date=(now + timedelta(days=rng.randint(-20, 20))).date(),
                            handler_id=officers[0] if officers else None,
                            assigned_by_id=assigned_by,
                        ),
                        officers,
                    )
                )
        made = _write([a for _s, a, _o in assignments], batch)
        created["assignments"] = len(made)
        for (status, _assignment, officers), row in zip(assignments, made, strict=True):
            if status in WITH_RESULT and officers:
                results.append(
                    Result(
                        petition_id=row.petition_id,
                        assignment_id=row.pk,
                        findings="经调查核实。",
                        result="已按政策处理。",
                        submitted_by_id=rng.choice(officers),
                    )
                )
        created["results"] = len(_write(results, batch))
        finished = statuses.get(Status.CLOSED, []) + statuses.get(Status.ARCHIVED, [])
        for i in range(0, len(finished), batch):
            Deadline.objects.filter(petition_id__in=finished[i : i + batch], met_at__isnull=True).update(
                met_at=now
            )
        # The queues' columns after the lead assignments and met clocks above (derived.py). Their
        # subqueries read the tables just filled: planned from statistics taken while those were
        # empty (or never), each petition's lookup became a scan of the whole table (a 10^6 fill
        # spent over a quarter of an hour on one 50,000-petition UPDATE before it was stopped).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE petitions_assignment, petitions_result, petitions_deadline, petitions_petition"
                )
        # Each petition row is rewritten once: its status, first responder and the derived
        # columns together (three passes over the table before, each a new version of every row).
        for start in range(0, len(rows), batch * 10):
            chunk = [pk for pk, _received in rows[start : start + batch * 10]]
            _set_status_and_responder(chunk, status_of, responder_of, batch)
            derived.refresh_range(chunk[0], chunk[-1])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "statuses": {str(s): len(p) for s, p in sorted(statuses.items())},
        "clerks": len(clerks),
        "departments": len(departments),
        **created,
    }


def _write(objs: list, batch: int) -> list:
    """Rows with their new ids. On PostgreSQL by COPY (core/inserts.py, as bench/bulk.py
    writes): bulk_create's compiled INSERTs were a third of the spread's time."""
    if not objs:
        return objs
    if connection.vendor == "postgresql":
        return insert(type(objs[0]), objs, returning_ids=True)
    return type(objs[0]).objects.bulk_create(objs, batch_size=batch)


def _set_status_and_responder(pks: list[int], status_of: dict, responder_of: dict, batch: int) -> None:
    """One UPDATE per `batch` petitions setting both columns from arrays (PostgreSQL), or one
    per status and responder (SQLite, where the fills are small)."""
    for i in range(0, len(pks), batch):
        part = pks[i : i + batch]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE petitions_petition p SET status = v.status, first_responder_id = v.responder"
                    " FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS v(id, status, responder)"
                    " WHERE p.id = v.id",
                    [part, [str(status_of[pk]) for pk in part], [responder_of[pk] for pk in part]],
                )
            continue
        by_status: dict[str, list[int]] = {}
        by_responder: dict[int, list[int]] = {}
        for pk in part:
            by_status.setdefault(status_of[pk], []).append(pk)
            by_responder.setdefault(responder_of[pk], []).append(pk)
        for status, ids in by_status.items():
            Petition.objects.filter(pk__in=ids).update(status=status)
        for responder, ids in by_responder.items():
            Petition.objects.filter(pk__in=ids).update(first_responder_id=responder)
