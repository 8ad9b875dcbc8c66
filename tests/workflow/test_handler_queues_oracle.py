"""Issue 9: a handling officer's "assigned to my unit" and "due within three days" are found
along their units' assignments (queues._along_assignments) instead of walking the petitions.
Membership, counts and order must be exactly the queues' definition (DESIGN.md §4), decided
here row by row in Python from the tables, with the read policy written out from DESIGN.md §5
and Rule 4.3 (not visible_to), and compared besides with the plain query the queues were before
(the visible petitions with an EXISTS over the assignments)."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinfang.accounts.models import ApiToken, User
from xinfang.petitions import queues as queues_module
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.queues import counted, queues_for
from xinfang.petitions.workflow_models import Assignment

pytestmark = pytest.mark.django_db

NAMES = ("assigned_to_my_unit", "due_soon")
WORKING = ("received", "in_progress")


def _expected(user, today) -> dict[str, list[int]]:
    """Each queue's petition ids, newest first (received_at, then id), decided in Python."""
    above = set(user.unit.ancestor_ids)
    hidden_units = {(i.petition_id, i.unit_id) for i in InvolvedUnit.objects.all()}
    hidden_people = {(i.petition_id, i.user_id) for i in InvolvedPerson.objects.all()}
    assignments = list(Assignment.objects.all())
    out: dict[str, list] = {name: [] for name in NAMES}
    for p in Petition.objects.all():
        mine = [a for a in assignments if a.petition_id == p.pk and a.unit_id in above]
        visible = (
            any(a.status != "withdrawn" for a in mine)
            and not any((p.pk, unit) in hidden_units for unit in above)
            and (p.pk, user.pk) not in hidden_people
        )
        working = [a for a in mine if a.status in WORKING]
        if not (visible and p.status == "assigned" and working):
            continue
        out["assigned_to_my_unit"].append((p.received_at, p.pk))
        if any(a.due_date is not None and a.due_date <= today + timedelta(days=3) for a in working):
            out["due_soon"].append((p.received_at, p.pk))
    return {name: [pk for _at, pk in sorted(rows, reverse=True)] for name, rows in out.items()}


def _plain(user, today) -> dict[str, set[int]]:
    """The queues as they were written before: the visible petitions, each tested by EXISTS."""
    mine = Assignment.objects.filter(
        petition=OuterRef("pk"), unit_id__in=user.unit.ancestor_ids, status__in=WORKING
    )
    base = Petition.objects.visible_to(user).filter(status="assigned")
    soon = today + timedelta(days=3)
    return {
        "assigned_to_my_unit": set(base.filter(Exists(mine)).values_list("pk", flat=True)),
        "due_soon": set(base.filter(Exists(mine.filter(due_date__lte=soon))).values_list("pk", flat=True)),
    }


def _scatter(rng, users, units, officer, petitions) -> None:
    """Assignments to the officer's section, the unit above it and another unit in every status
    (two live ones to the section and the unit above on some petitions, a withdrawn one followed
    by a live one on others), due dates on either side of the third day, statuses around
    "assigned", involvements of each unit and of the officer in person, and ties in time."""
    today = timezone.localdate()
    statuses = ["received", "in_progress", "in_progress", "result_submitted", "withdrawn"]
    for petition in petitions:
        for code in rng.sample(["SUB", "HOUSING", "LABOUR"], rng.randint(0, 3)):
            if rng.random() < 0.2:  # withdrawn, then assigned again
                Assignment.objects.create(
                    petition=petition,
                    unit=units[code],
                    role="assist",
                    kind="assignment",
                    status="withdrawn",
                    assigned_by=users["clerk"],
                )
            Assignment.objects.create(
                petition=petition,
                unit=units[code],
                role="assist",
                kind="assignment",
                status=rng.choice(statuses),
                due_date=rng.choice([None, *(today + timedelta(days=d) for d in (-2, 0, 3, 4, 9))]),
                assigned_by=users["clerk"],
            )
        status = rng.choice(
            ["assigned", "assigned", "assigned", "result_submitted", "confirmed", "instructed"]
        )
        Petition.objects.filter(pk=petition.pk).update(status=status)
        if rng.random() < 0.15:
            InvolvedUnit.objects.create(
                petition=petition, unit=units[rng.choice(["SUB", "HOUSING", "LABOUR"])]
            )
        if rng.random() < 0.1:
            InvolvedPerson.objects.create(petition=petition, name="钱七", user=officer)
    # Ties in received_at, broken by the id (written past the services: the assignments too).
    tied = [p.pk for p in rng.sample(petitions, 6)]
    moment = Petition.objects.get(pk=tied[0]).received_at
    Petition.objects.filter(pk__in=tied).update(received_at=moment)
    Assignment.objects.filter(petition_id__in=tied).update(received_at=moment)


@pytest.mark.parametrize("seed", [3, 41, 2026])
def test_a_handling_officers_queues_equal_the_oracle(housing_sub_unit, register, seed):
    users, units, officer = housing_sub_unit
    rng = random.Random(seed)
    petitions = [register(title=f"p{i}") for i in range(30)]
    _scatter(rng, users, units, officer, petitions)
    today = timezone.localdate()
    reached = 0
    for name in ("h2", "housing", "labour"):
        user = User.objects.select_related("unit").get(username=name)
        expected = _expected(user, today)
        plain = _plain(user, today)
        by_name = {q.name: q for q in queues_for(user)}
        numbers = {q.name: (n, exact) for q, n, exact in counted(list(by_name.values()))}
        for queue in NAMES:
            ids = expected[queue]
            reached += len(ids)
            got = by_name[queue]
            assert set(got.petitions.values_list("pk", flat=True)) == set(ids) == plain[queue], (name, queue)
            assert got.count == len(ids) and numbers[queue] == (len(ids), True), (name, queue)
            # Newest first, oldest first, and every cut of three: the order of received_at, id.
            assert [p.pk for p in got.first(100)] == ids, (name, queue)
            assert [p.pk for p in got.first(100, oldest=True)] == ids[::-1], (name, queue)
            for start in range(0, len(ids) + 1, 3):
                assert [p.pk for p in got.first(3, start=start, oldest=True)] == ids[::-1][start : start + 3]
            assert [p.title for p in got.first(2, only=("number", "title"))] == [
                f"p{petitions.index(next(p for p in petitions if p.pk == pk))}" for pk in ids[:2]
            ]
        # Capped: exact up to the cap, "more than" beyond it.
        capped = {q.name: (n, exact) for q, n, exact in counted(list(by_name.values()), cap=1)}
        for queue in NAMES:
            n = len(expected[queue])
            assert capped[queue] == (min(n, 1), n <= 1), (name, queue)
    assert reached  # the mix reaches the queues


@pytest.mark.parametrize("seed", [5, 77])
def test_the_home_page_the_api_and_the_queue_page_show_the_oracles_queues(
    housing_sub_unit, register, seed, monkeypatch
):
    users, units, officer = housing_sub_unit
    rng = random.Random(seed)
    petitions = [register(title=f"p{i}") for i in range(30)]
    _scatter(rng, users, units, officer, petitions)
    numbers = {p.pk: p.number for p in petitions}
    monkeypatch.setattr(queues_module, "QUEUE_COUNT_CAP", 4)
    for name in ("h2", "housing"):
        user = User.objects.select_related("unit").get(username=name)
        expected = _expected(user, timezone.localdate())
        client = Client()
        client.force_login(user)
        cards = {q["name"]: q["count"] for q in client.get("/").context["queues"]}
        _token, raw = ApiToken.issue(user)
        api = {
            q["name"]: q
            for q in client.get("/api/v1/queues?limit=3", headers={"Authorization": f"Bearer {raw}"}).json()
        }
        for queue in NAMES:
            ids = expected[queue]
            assert cards[queue] == len(ids), (name, queue)
            assert (api[queue]["count"], api[queue]["count_exact"]) == (min(len(ids), 4), len(ids) <= 4)
            assert [r["number"] for r in api[queue]["results"]] == [numbers[pk] for pk in ids[:3]], (
                name,
                queue,
            )
            page = client.get(f"/queues/{queue}/").context["page"]
            assert page.paginator.count == len(ids)
            assert [p.pk for p in page.object_list] == ids[::-1][:25], (name, queue)


# A statement on the petitions testing each for a working assignment of the unit: the shape of
# the queues before (`EXISTS (… petition_id = petitions.id … status IN (working))`).
WALK = re.compile(
    r'"petition_id" = \("petitions_petition"\."id"\).{0,80}?"status" IN \(\'received\', \'in_progress\'\)'
)


def _statements(client, path, **headers) -> list[str]:
    client.get(path, headers=headers)  # the user's roles and unit, the language: read once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, headers=headers).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_a_handling_officers_queues_start_from_the_assignments(housing_sub_unit, register):
    """The statements keep their number (the API 7, the home page 5, the queue's page 6: the same
    as when the queues walked the petitions), and the two queues are counted and cut from the
    assignments: the count's parts and the rows' ids come `FROM petitions_assignment`, the rows
    are read by those ids (`IN (SELECT … LIMIT n)`), and no statement tests the petitions one
    by one for a working assignment (which read every petition the office has assigned)."""
    users, units, officer = housing_sub_unit
    rng = random.Random(9)
    petitions = [register(title=f"p{i}") for i in range(12)]
    _scatter(rng, users, units, officer, petitions)
    # One result waiting for the officer's signature, so that the home page shows its quick links.
    waiting = petitions[0]
    Petition.objects.filter(pk=waiting.pk).update(status="result_submitted", result_by=officer)
    if not Assignment.objects.filter(petition=waiting, unit=units["SUB"]).exclude(status="withdrawn"):
        Assignment.objects.create(
            petition=waiting, unit=units["SUB"], role="assist", kind="assignment", assigned_by=users["clerk"]
        )
    InvolvedUnit.objects.filter(petition=waiting).delete()
    InvolvedPerson.objects.filter(petition=waiting).delete()
    client = Client()
    client.force_login(officer)
    _token, raw = ApiToken.issue(officer)
    # 1 the token with its user, unit and roles, 2 the unit tree (to_sign's leaders in charge),
    # 3 every queue's count, 4-6 the first petitions of "assigned to my unit", "due within three
    # days" and "results to sign off".
    api = _statements(client, "/api/v1/queues", Authorization=f"Bearer {raw}")
    assert len(api) == 7
    assert api[3].count('FROM (SELECT "petitions_assignment"."id"') == 2
    assert all('"petitions_petition"."id" IN (SELECT' in sql and "LIMIT 20" in sql for sql in api[4:6])
    # 1 the session with its user, the user's unit and roles (one statement since issue 9's
    # round 13), 2 the unit tree, 3 every number on the page, 4 the first results to sign (the
    # card's quick links), 5 the header's unread count.
    home = _statements(client, "/")
    assert len(home) == 5
    assert home[2].count('FROM (SELECT "petitions_assignment"."id"') == 2
    # 1-2 as the home page, 3 the count, 4 the page's rows by id, 5 their clocks, 6 unread.
    page = _statements(client, "/queues/assigned_to_my_unit/")
    assert len(page) == 6
    assert 'FROM "petitions_assignment"' in page[2] and '"petitions_petition"."id" IN (SELECT' in page[3]
    assert [sql[:200] for sql in api + home + page if WALK.search(sql)] == []
    # An empty queue's page: the count says so and no rows are read (1-2, the count, unread).
    police = Client()
    police.force_login(users["police"])
    assert len(_statements(police, "/queues/assigned_to_my_unit/")) == 4
