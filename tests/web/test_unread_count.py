"""The header's unread-notifications count (on every page) against an oracle written out here:
the notification rows counted in SQL with the read policy's conditions spelled out (DESIGN.md §5,
Rule 4.3), not through visible_to; and against numbers decided by hand. A notification whose
petition the reader can no longer see (assignment withdrawn, their unit or they themselves
involved later, never assigned at all) is neither counted nor listed."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.utils import timezone

from xinfang.notifications.models import Notification
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit
from xinfang.petitions.workflow_models import Assignment, AssignmentKind, AssignmentRole, AssignmentStatus

pytestmark = pytest.mark.django_db


def _oracle(user, *, office: bool) -> int:
    """Unread notifications of `user` whose petition they may read, in plain SQL. `office`:
    the reader holds an office role (reads every petition but Rule 4.3's); otherwise a handling
    officer (reads only what is assigned, live, to their unit or a unit above it)."""
    units = [int(part) for part in user.unit.path.strip("/").split("/") if part]
    marks = ", ".join(["%s"] * len(units))
    assigned = (
        "1 = 1"
        if office
        else f"""EXISTS (SELECT 1 FROM {Assignment._meta.db_table} a
                     WHERE a.petition_id = n.petition_id AND a.unit_id IN ({marks})
                     AND a.status <> %s)"""
    )
    sql = f"""
        SELECT COUNT(*) FROM {Notification._meta.db_table} n
        WHERE n.recipient_id = %s AND n.read_at IS NULL
          AND {assigned}
          AND NOT EXISTS (SELECT 1 FROM {InvolvedUnit._meta.db_table} iu
                          WHERE iu.petition_id = n.petition_id AND iu.unit_id IN ({marks}))
          AND NOT EXISTS (SELECT 1 FROM {InvolvedPerson._meta.db_table} ip
                          WHERE ip.petition_id = n.petition_id AND ip.user_id = %s)
    """  # noqa: S608  (table names from the models, values as parameters)
    params = [user.pk, *([] if office else [*units, AssignmentStatus.WITHDRAWN]), *units, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _header_count(client) -> int:
    """The number the header shows (no badge: none unread)."""
    response = client.get("/petitions/")
    html = response.content.decode()
    assert response.status_code == 200 and 'href="/notifications/"' in html  # the header is there
    found = re.search(r"data-unread>(\d+)", html)
    return int(found.group(1)) if found else 0


def _listed(client) -> set[int]:
    """The notifications the inbox page links to."""
    return {
        int(pk)
        for pk in re.findall(r'href="/notifications/(\d+)/"', client.get("/notifications/").content.decode())
    }


def test_header_count_equals_the_oracle_as_petitions_become_hidden(demo_org, make_petition, client_for):
    users, units = demo_org
    clerk, housing = users["clerk"], users["housing"]
    p = [make_petition() for _ in range(6)]
    for petition in p[:5]:
        Assignment.objects.create(
            petition=petition,
            unit=units["HOUSING"],
            role=AssignmentRole.LEAD,
            kind=AssignmentKind.ASSIGNMENT,
            assigned_by=clerk,
        )

    def note(user, petition, *, read=False):
        return Notification.objects.create(
            recipient=user, petition=petition, kind="assigned", read_at=timezone.now() if read else None
        ).pk

    # The handling officer: two on p0, one each on p1–p3, one read on p4, one on p5 (never
    # assigned to them: written past the services, which notify only readers).
    h = {"p0a": note(housing, p[0]), "p0b": note(housing, p[0]), "p1": note(housing, p[1])}
    h |= {"p2": note(housing, p[2]), "p3": note(housing, p[3]), "p4 read": note(housing, p[4], read=True)}
    h |= {"p5": note(housing, p[5])}
    c = {"p0": note(clerk, p[0]), "p1": note(clerk, p[1]), "p5": note(clerk, p[5])}
    housing_client, clerk_client = client_for("housing"), client_for("clerk")

    assert _oracle(housing, office=False) == _header_count(housing_client) == 5
    assert _oracle(clerk, office=True) == _header_count(clerk_client) == 3
    assert _listed(housing_client) == {h[k] for k in ("p0a", "p0b", "p1", "p2", "p3", "p4 read")}
    assert _listed(clerk_client) == set(c.values())

    # Since then: p1's assignment withdrawn, the housing bureau involved in p2, the officer
    # named in p3; the clerk's own unit involved in p5, the clerk named in p0.
    Assignment.objects.filter(petition=p[1]).update(status=AssignmentStatus.WITHDRAWN)
    InvolvedUnit.objects.create(petition=p[2], unit=units["HOUSING"])
    InvolvedPerson.objects.create(petition=p[3], name=housing.name, user=housing)
    InvolvedUnit.objects.create(petition=p[5], unit=units["GENERAL"])
    InvolvedPerson.objects.create(petition=p[0], name=clerk.name, user=clerk)

    assert _oracle(housing, office=False) == _header_count(housing_client) == 2
    assert _oracle(clerk, office=True) == _header_count(clerk_client) == 1
    assert _listed(housing_client) == {h["p0a"], h["p0b"], h["p4 read"]}
    assert _listed(clerk_client) == {c["p1"]}

    # Reading one takes it out of the count, not out of the list.
    Notification.objects.filter(pk=h["p0a"]).update(read_at=timezone.now())
    assert _oracle(housing, office=False) == _header_count(housing_client) == 1
    assert _listed(housing_client) == {h["p0a"], h["p0b"], h["p4 read"]}


def test_header_count_of_a_reader_of_no_petition(demo_org, make_petition, client_for):
    """An administrator reads no petition (三员分立): a notification addressed to them is not counted."""
    users, _units = demo_org
    Notification.objects.create(recipient=users["admin"], petition=make_petition(), kind="assigned")
    assert _header_count(client_for("admin")) == 0


def test_header_count_follows_new_notifications_users_and_a_unit_move(demo_org, make_petition, client_for):
    """The count's statement is kept per reader (issue 9), its result never: interleaved users
    each get their own number, a new notification counts at once, and an officer moved to another
    unit is counted with that unit's assignments."""
    users, units = demo_org
    clerk, housing = users["clerk"], users["housing"]
    at_housing, at_labour = make_petition(), make_petition()
    for petition, unit in ((at_housing, units["HOUSING"]), (at_labour, units["LABOUR"])):
        Assignment.objects.create(
            petition=petition,
            unit=unit,
            role=AssignmentRole.LEAD,
            kind=AssignmentKind.ASSIGNMENT,
            assigned_by=clerk,
        )
    for petition in (at_housing, at_labour, at_labour):
        Notification.objects.create(recipient=housing, petition=petition, kind="assigned")
    Notification.objects.create(recipient=clerk, petition=at_labour, kind="assigned")
    housing_client, clerk_client = client_for("housing"), client_for("clerk")

    for _ in range(2):  # the second time from the kept statements
        assert _header_count(housing_client) == 1
        assert _header_count(clerk_client) == 1
    Notification.objects.create(recipient=clerk, petition=at_housing, kind="assigned")
    assert _header_count(clerk_client) == 2
    assert _header_count(housing_client) == 1

    housing.unit = units["LABOUR"]
    housing.save(update_fields=["unit"])
    assert _oracle(housing, office=False) == _header_count(housing_client) == 2
    assert _header_count(clerk_client) == 2


def test_the_count_builds_the_read_policy_once_per_reader(demo_org, make_petition, client_for, monkeypatch):
    """The header's count on every page: the read policy is built and compiled into it the first
    time a reader asks, then the kept statement is sent again (the rows are read each time);
    another reader, or the same user in another unit, is compiled anew."""
    from xinfang.notifications import selectors

    users, units = demo_org
    built = []
    readable = selectors._readable
    monkeypatch.setattr(
        selectors, "_readable", lambda user, **kw: built.append(user.username) or readable(user, **kw)
    )
    monkeypatch.setattr(selectors, "_COMPILED", {})
    Notification.objects.create(recipient=users["clerk"], petition=make_petition(), kind="assigned")
    clerk_client, housing_client = client_for("clerk"), client_for("housing")

    assert [_header_count(clerk_client) for _ in range(3)] == [1, 1, 1]
    assert built == ["clerk"]
    assert [_header_count(housing_client) for _ in range(2)] == [0, 0]
    assert built == ["clerk", "housing"]
    users["housing"].unit = units["LABOUR"]
    users["housing"].save(update_fields=["unit"])
    assert _header_count(housing_client) == 0
    assert built == ["clerk", "housing", "housing"]
