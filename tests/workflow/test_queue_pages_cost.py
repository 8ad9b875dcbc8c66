"""Issue 9: the queues API runs a fixed number of statements whatever the number of petitions,
and its counts are exact up to the cap and say "more than" beyond it (never a silent cap).
/outstanding/'s pin is in tests/deadlines/test_outstanding_summary.py."""

from __future__ import annotations

import pytest

from tests.workflow.conftest import registration
from xinfang.accounts.models import ApiToken
from xinfang.audit.services import Context
from xinfang.petitions import queues
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

pytestmark = pytest.mark.django_db


def _register(users, units, n):
    for _ in range(n):
        register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(registration(units)))


def _api(client, user):
    _token, raw = ApiToken.issue(user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("extra", [0, 4])
def test_queue_api_statements_are_fixed(demo_org, drive, client, django_assert_num_queries, extra):
    users, units = demo_org
    drive("assigned")
    drive("result_submitted")
    _register(users, units, extra)
    auth = _api(client, users["deputy"])
    client.get("/api/v1/queues", headers=auth)
    # 1 the token with its user, unit and roles, 2 the unit tree (to_sign's leaders in charge),
    # 3 EVERY queue's count in one statement (was one COUNT per queue: 12 statements before
    # this and the roles' join), 4-7 the first petitions of each of the deputy's four queues
    # (to_coordinate, to_sign, reports_to_approve, the portal's unsatisfied ratings).
    with django_assert_num_queries(7):
        response = client.get("/api/v1/queues", headers=auth)
    assert response.status_code == 200
    by_name = {q["name"]: q for q in response.json()}
    assert by_name["to_coordinate"]["count"] == 1 and by_name["to_coordinate"]["count_exact"] is True
    assert by_name["to_sign"]["count"] == 1


def test_queue_api_counts_past_the_cap_say_so(demo_org, client, monkeypatch):
    users, units = demo_org
    _register(users, units, 3)
    monkeypatch.setattr(queues, "QUEUE_COUNT_CAP", 2)
    auth = _api(client, users["clerk"])
    by_name = {q["name"]: q for q in client.get("/api/v1/queues", headers=auth).json()}
    assert (
        by_name["to_propose"]["count"] == 2 and by_name["to_propose"]["count_exact"] is False
    )  # "more than 2"
    assert len(by_name["to_propose"]["results"]) == 3  # the listing is not capped
    assert by_name["to_assign"]["count"] == 0 and by_name["to_assign"]["count_exact"] is True
    # The queue's own page counts and lists every one.
    client.force_login(users["clerk"])
    page = client.get("/queues/to_propose/")
    assert page.status_code == 200 and page.context["page"].paginator.count == 3
