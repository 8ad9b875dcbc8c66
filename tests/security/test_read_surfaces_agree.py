"""Two paths must agree (CONVENTIONS #11, AC-2): for random unit trees, petitions,
involvements and assignments, every read surface returns, for every user, exactly
the petitions the object check `can_view` allows.

Surfaces: the queryset, the API list and detail, the web list and page, the home
page's counts, and the numbers of the read policy's selectors. References embedded in
a readable petition (repeat links, the petition it was merged into, numbers in its
timeline's events) must name only petitions the reader may see too (issue 8, item 1).
"""

import itertools
import re

from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.audit.services import Context, append_event
from xinfang.petitions.choices import OPEN_STATUSES, Status
from xinfang.petitions.models import Category, InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.permissions import can_view
from xinfang.petitions.selectors import my_work, parse_filters, petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

ROLES = [
    Role.CLERK,
    Role.SECRETARY_GENERAL,
    Role.HANDLER,
    Role.HANDLER,
    Role.HANDLER,
    Role.AUDIT_ADMIN,
    Role.SYSTEM_ADMIN,
]
_serial = itertools.count(1)


@st.composite
def worlds(draw):
    unit_count = draw(st.integers(2, 6))
    # parent[i] < i: a random tree over the units (nested, so that "a unit above mine" matters).
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, unit_count)]
    users = draw(
        st.lists(st.tuples(st.integers(0, unit_count - 1), st.sampled_from(ROLES)), min_size=1, max_size=5)
    )
    petition_count = draw(st.integers(1, 4))
    petitions = []
    for _ in range(petition_count):
        petitions.append(
            {
                "status": draw(st.sampled_from([Status.REGISTERED, Status.ASSIGNED, Status.CLOSED])),
                "involved_units": draw(st.sets(st.integers(0, unit_count - 1), max_size=2)),
                "involved_users": draw(st.sets(st.integers(0, len(users) - 1), max_size=1)),
                "assignments": draw(
                    st.dictionaries(
                        st.integers(0, unit_count - 1),
                        st.sampled_from([AssignmentStatus.RECEIVED, AssignmentStatus.WITHDRAWN]),
                        max_size=2,
                    )
                ),
                # Other petitions this one repeats, and the one it was merged into.
                "repeats": draw(st.sets(st.integers(0, petition_count - 1), max_size=2)),
                "merged_into": draw(st.none() | st.integers(0, petition_count - 1)),
            }
        )
    return parents, users, petitions


def build(world):
    parents, user_specs, petition_specs = world
    run = next(_serial)
    units = []
    for i, parent in enumerate(parents):
        units.append(
            Unit.objects.create(
                code=f"R{run}U{i}",
                name=f"单位{i}",
                kind=UnitKind.DEPARTMENT,
                parent=units[parent] if parent is not None else None,
            )
        )
    users = []
    for i, (unit, role) in enumerate(user_specs):
        user = User.objects.create(username=f"r{run}u{i}", unit=units[unit])
        UserRole.objects.create(user=user, role=role)
        users.append(user)
    responder = User.objects.create(username=f"r{run}clerk")
    UserRole.objects.create(user=responder, role=Role.CLERK)
    category = Category.objects.first()
    petitions = []
    for i, spec in enumerate(petition_specs):
        petition = Petition.objects.create(
            number=f"T{run}-{i}",
            year=2026,
            serial=i + 1,
            channel="letter",
            status=spec["status"],
            received_at=timezone.now(),
            title=f"事项{i}",
            content="内容",
            category=category,
            first_responder=responder,
        )
        InvolvedUnit.objects.bulk_create(
            InvolvedUnit(petition=petition, unit=units[u]) for u in spec["involved_units"]
        )
        InvolvedPerson.objects.bulk_create(
            InvolvedPerson(petition=petition, name="某人", user=users[u]) for u in spec["involved_users"]
        )
        for j, (unit, status) in enumerate(spec["assignments"].items()):
            Assignment.objects.create(
                petition=petition,
                unit=units[unit],
                role="lead" if j == 0 else "assist",
                kind="assignment",
                status=status,
                assigned_by=responder,
            )
        petitions.append(petition)
    for petition, spec in zip(petitions, petition_specs, strict=True):
        repeats = [petitions[i] for i in sorted(spec["repeats"]) if petitions[i] != petition]
        petition.repeat_of.add(*repeats)
        ctx = Context(actor=responder)
        append_event(
            petition,
            ctx,
            "petition.registered",
            {"number": petition.number, "channel": "letter", "repeat_of": [r.number for r in repeats]},
        )
        target = petitions[spec["merged_into"]] if spec["merged_into"] is not None else None
        if target is not None and target != petition:
            Petition.objects.filter(pk=petition.pk).update(merged_into=target)
            append_event(petition, ctx, "petition.merge", {"into": target.number})
            append_event(target, ctx, "petition.merged_in", {"from": petition.number})
    return users, petitions


def numbers_in(html: str, petitions) -> set[str]:
    return {p.number for p in petitions if re.search(rf">{re.escape(p.number)}<", html)}


def mentioned(text: str, petitions) -> set[str]:
    """Numbers of `petitions` anywhere in `text` (a page, a JSON answer)."""
    return {p.number for p in petitions if re.search(rf"(?<![\w-]){re.escape(p.number)}(?![\w-])", text)}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_every_read_surface_agrees_with_the_object_check(db, world):
    with transaction.atomic():
        users, petitions = build(world)
        for user in users:
            user = User.objects.select_related("unit").get(pk=user.pk)
            allowed = {p.number for p in petitions if can_view(user, Petition.objects.get(pk=p.pk))}
            ours = {p.number for p in petitions}
            assert (
                set(
                    Petition.objects.visible_to(user).filter(number__in=ours).values_list("number", flat=True)
                )
                == allowed
            )
            assert {p.number for p in petition_list(user, parse_filters({})) if p.number in ours} == allowed
            work = my_work(user)
            open_allowed = {p.number for p in petitions if p.number in allowed and p.status in OPEN_STATUSES}
            assert work["open"] == len(open_allowed)

            api = Client()
            api.force_login(user)
            listed = api.get("/api/v1/petitions", {"page_size": 200}).json()
            assert {r["number"] for r in listed["results"] if r["number"] in ours} == allowed
            hidden = [p for p in petitions if p.number not in allowed]
            for petition in petitions:
                expected = 200 if petition.number in allowed else 404
                detail = api.get(f"/api/v1/petitions/{petition.number}")
                assert detail.status_code == expected
                page = api.get(f"/petitions/{petition.number}/")
                assert page.status_code == expected
                if expected == 404:
                    continue
                linked = set(petition.repeat_of.values_list("number", flat=True))
                assert set(detail.json()["flags"]["repeat_of"]) == linked & allowed
                events = api.get(f"/api/v1/petitions/{petition.number}/events")
                for text in (detail.content.decode(), page.content.decode(), events.content.decode()):
                    assert mentioned(text, hidden) == set(), "a reference names a hidden petition"
            page = api.get("/petitions/", {"status": ""})
            if page.status_code == 200:
                assert numbers_in(page.content.decode(), petitions) == allowed
        transaction.set_rollback(True)
