"""Issue 9: the home page's counting statement and quick links are compiled once per reader and
sent again on every request, with the clock filled in (petitions/home.py, core/statements.py).

What is kept is text, never a number: after petitions are registered, moved on, hidden from the
reader by Rule 4.3 and the clock has moved on, the next request's badges equal the oracles
(row by row in Python, from the queues' definitions: test_home_count_oracle; the services' own
actor check for "to sign": test_to_sign_queue), for every role, with the same statements as the
first request. A reader whose unit or leaders in charge change is counted as the new one at once;
and the kept text with the clock filled in is the statement compiled afresh at that time."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.workflow.test_home_count_oracle import _handler_oracle, _oracle, _scatter_clocks, _visible
from tests.workflow.test_to_sign_queue import _oracle as _to_sign_oracle
from xinfang.petitions import home
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.queues import queues_for, signing_units
from xinfang.petitions.selectors import count_statement
from xinfang.petitions.views import pages

pytestmark = pytest.mark.django_db

# The badges each persona's oracle decides (the oracles' other keys are other roles' queues).
COMPARED = {
    "clerk": {"to_propose", "to_assign", "to_reply", "to_report", "to_close", "to_archive"},
    "secgen": {"to_instruct", "reports_to_approve", "to_sign"},
    "deputy": {"reports_to_approve", "to_sign"},
    "chair": {"reports_to_approve", "to_sign"},
}


def _badge(n: int, cap: int):
    return n if n <= cap else f"{cap}+"


def _expected(user, now) -> dict:
    if user.username == "housing":
        numbers = _handler_oracle(user, now, timezone.localdate(now))
        numbers["to_sign"] = len(_to_sign_oracle(user))
        return numbers
    numbers = _oracle(user, now)
    numbers["to_sign"] = len(_to_sign_oracle(user))
    names = COMPARED[user.username] | {k for k in numbers if "." in k}
    return {k: numbers[k] for k in names}


def _shown(response) -> dict:
    numbers = {q["name"]: q["count"] for q in response.context["queues"]}
    for key in ("work", "deadlines"):
        numbers.update({f"{key}.{n}": v for n, v in response.context["home_counts"].get(key, {}).items()})
    return numbers


def _get(user):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response, len(queries)


def _procedures(drive, rng, n: int) -> list:
    petitions = []
    for _ in range(n):
        state = rng.choice(
            ["registered", "proposed", "instructed", "assigned", "result_submitted", "replied"]
        )
        petitions.append(
            drive(state, channel=rng.choice(["letter", "superior"]) if state == "replied" else None)
        )
    return petitions


@pytest.mark.parametrize("username", ["clerk", "secgen", "deputy", "chair", "housing"])
def test_kept_numbers_follow_the_tables_and_the_clock(drive, demo_org, monkeypatch, username):
    users, units = demo_org
    user = users[username]
    rng = random.Random(username)
    monkeypatch.setattr(pages, "HOME_COUNT_CAP", 3)  # so that a few petitions cross it
    home._KEPT.clear()
    built = []
    build = home._build
    monkeypatch.setattr(home, "_build", lambda *a, **kw: built.append(1) or build(*a, **kw))

    _procedures(drive, rng, 8)
    _scatter_clocks(rng)
    first, statements = _get(user)
    expected = _expected(user, timezone.now())
    assert {k: _shown(first)[k] for k in expected} == {k: _badge(n, 3) for k, n in expected.items()}

    # Between the two requests: more petitions, some of those the reader sees hidden from them by
    # Rule 4.3 (their unit, or themselves), and the clock two days on.
    petitions = _procedures(drive, rng, 8)
    seen = [p for p in petitions if Petition.objects.visible_to(user).filter(pk=p.pk).exists()]
    assert seen
    InvolvedUnit.objects.create(petition=seen[0], unit=user.unit)
    InvolvedPerson.objects.create(petition=seen[-1], user=user, name=user.display_name)
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=5), tick=False):
        second, statements_again = _get(user)
        expected_later = _expected(user, timezone.now())
    assert {k: _shown(second)[k] for k in expected_later} == {
        k: _badge(n, 3) for k, n in expected_later.items()
    }
    assert expected_later != expected  # the changes reached the numbers
    if username != "housing":
        # The table of my recent open petitions, read by the kept statement: the same rows and
        # values as the petitions themselves, Rule 4.3 applied row by row.
        mine = sorted(
            (
                p
                for p in Petition.objects.filter(first_responder=user, status__in=OPEN_STATUSES)
                if _visible(user, p)
            ),
            key=lambda p: (p.received_at, p.pk),
            reverse=True,
        )[:10]
        assert mine or username != "clerk"  # the clerk registered them all
        shown = second.context["work"]["recent_mine"]
        assert [(p.number, p.received_at, p.title, p.get_status_display()) for p in shown] == [
            (p.number, p.received_at, p.title, p.get_status_display()) for p in mine
        ]
    assert statements_again == statements
    assert len(built) == 1  # the second request sent the kept statements


def test_a_reader_moved_or_a_leader_named_is_counted_anew(drive, demo_org):
    users, units = demo_org
    home._KEPT.clear()
    rng = random.Random(5)
    _procedures(drive, rng, 10)
    drive("result_submitted")
    housing = users["housing"]
    at_housing = _shown(_get(housing)[0])
    # The housing officer moves to the police bureau: its assignments (none), not housing's, count.
    housing.unit = units["POLICE"]
    housing.save(update_fields=["unit"])
    housing.refresh_from_db()
    response, _n = _get(housing)
    expected = _expected(housing, timezone.now())
    assert {k: _shown(response)[k] for k in expected} == {k: _badge(n, 99) for k, n in expected.items()}
    assert at_housing["assigned_to_my_unit"] and _shown(response) != at_housing

    # Two clerks of one unit, one after the other: each is first responder for their own.
    clerk, clerk2 = users["clerk"], users["clerk2"]
    mine = {u.username: _shown(_get(u)[0])["work.open_as_first_responder"] for u in (clerk, clerk2, clerk)}
    assert mine == {
        u.username: Petition.objects.filter(first_responder=u, status__in=OPEN_STATUSES).count()
        for u in (clerk, clerk2)
    }
    assert mine["clerk"] != mine["clerk2"]

    # No leader in charge named anywhere: the Secretary-General and deputies sign every result;
    # then the chair is named above the housing bureau, and signs its results instead.
    deputy, chair = users["deputy"], users["chair"]
    before = {name: _shown(_get(users[name])[0])["to_sign"] for name in ("deputy", "chair")}
    units["HOUSING"].__class__.objects.update(leader_in_charge=None)
    after = {name: _shown(_get(users[name])[0])["to_sign"] for name in ("deputy", "chair")}
    assert after == {"deputy": len(_to_sign_oracle(deputy)), "chair": len(_to_sign_oracle(chair))}
    units["HOUSING"].__class__.objects.filter(pk=units["HOUSING"].pk).update(leader_in_charge=chair)
    named = {name: _shown(_get(users[name])[0])["to_sign"] for name in ("deputy", "chair")}
    assert named == {"deputy": len(_to_sign_oracle(deputy)), "chair": len(_to_sign_oracle(chair))}
    assert len({tuple(before.values()), tuple(after.values()), tuple(named.values())}) > 1


@pytest.mark.parametrize("username", ["clerk", "secgen", "deputy", "chair", "housing"])
def test_the_kept_text_filled_in_is_the_statement_compiled_at_that_time(demo_org, username):
    users, _units = demo_org
    user = users[username]
    home._KEPT.clear()
    office = username != "housing"
    kept = home.statements_for(user, office=office, cap=99)
    assert kept.count.slots  # the clock is in it
    for later in (timedelta(hours=7), timedelta(days=3, minutes=1)):
        with time_machine.travel(timezone.now() + later, tick=False):
            now = timezone.now()
            fresh = count_statement(
                home.counted(user, queues_for(user, signing=signing_units(user)), office=office), cap=99
            )
            assert (kept.count.sql, kept.count.filled(now)) == (fresh[0], list(fresh[1]))
            assert home.statements_for(user, office=office, cap=99) is kept


def test_an_office_reader_given_an_administrators_role_reads_nothing(drive, demo_org):
    """三员分立: a clerk also made audit administrator reads no petition; the home page still
    answers, every number 0 and no recent petition (it failed with a 500 while the kept recent
    table compiled the empty read policy)."""
    from xinfang.accounts.models import Role, UserRole

    users, _units = demo_org
    drive("registered")
    clerk = users["clerk"]
    UserRole.objects.create(user=clerk, role=Role.AUDIT_ADMIN)
    home._KEPT.clear()
    response, _n = _get(clerk)
    assert set(_shown(response).values()) == {0}
    assert response.context["work"]["recent_mine"] == []
