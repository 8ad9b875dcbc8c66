"""Following a matter by query code and secret (issue 13 §4–6): the public projection only, the
same answer for a wrong code and a wrong secret, throttling, documents addressed to the
petitioner, the rating and a leader's follow-up of an unsatisfactory one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden
from xinfang.petitions.actions import perform
from xinfang.petitions.hooks import public_documents
from xinfang.petitions.permissions import allowed_actions
from xinfang.petitions.queues import queues_for
from xinfang.portal.models import FollowUp, Rating

pytestmark = pytest.mark.django_db


def status(client, code, secret, **extra):
    return client.post(
        "/api/v1/portal/status",
        {"query_code": code, "secret": secret, **extra},
        content_type="application/json",
    )


def rating(client, code, secret, value, comment=""):
    return client.post(
        "/api/v1/portal/rating",
        {"query_code": code, "secret": secret, "rating": value, "comment": comment},
        content_type="application/json",
    )


def test_stages_of_the_public_projection(client, demo_org, submission, taken_in):
    """The expected stage of each state, written out (not asked of the code under test)."""
    sub, secret = submission()
    body = status(client, sub.query_code, secret).json()
    assert body["stage"] == "received" and "number" not in body and body["can_rate"] is False
    expected = {
        "registered": "accepted",
        "instructed": "accepted",
        "assigned": "handling",
        "confirmed": "handling",
        "replied": "replied",
        "closed": "closed",
    }
    for state, stage in expected.items():
        sub, secret, petition = taken_in(state)
        body = status(client, sub.query_code.lower(), f" {secret} ").json()  # typed loosely from the slip
        assert body["stage"] == stage, state
        assert body["number"] == petition.number


def test_the_projection_never_shows_internal_records(client, taken_in):
    sub, secret, petition = taken_in("replied")
    text = status(client, sub.query_code, secret).content.decode()
    assert "已书面答复" in text  # the reply given to the petitioner
    # Never: the proposal, the leader's instruction, the unit's findings and result, staff names,
    # the units, nor the sealed personal data.
    for private in [
        "拟转市住建局办理",
        "请市住建局核实处理",
        "经核实属实",
        "已修复路灯",
        "张丽",
        "王建国",
        "住房",
        sub.phone,
    ]:
        assert private not in text, private
    body = status(client, sub.query_code, secret).json()
    assert set(body) <= {
        "query_code", "number", "stage", "stage_label", "reply", "replied_at", "documents", "can_rate",
        "decline_reason", "linked", "rating", "rating_answer",
    }  # fmt: skip
    assert body["can_rate"] is True


def test_a_wrong_code_and_a_wrong_secret_look_identical_and_are_throttled(client, submission, caplog):
    sub, secret = submission()
    wrong_secret = status(client, sub.query_code, "WRONG123")
    wrong_code = status(client, "WS2222222222", secret)
    assert wrong_secret.status_code == wrong_code.status_code == 404
    assert wrong_secret.content == wrong_code.content
    assert wrong_secret["Content-Type"] == wrong_code["Content-Type"]
    # Repeated failures from one address: 429, logged; even the right secret waits.
    for _ in range(10):
        status(client, sub.query_code, "WRONG123")
    assert status(client, sub.query_code, secret).status_code == 429
    assert "throttled" in caplog.text
    # Another address is not slowed: the limit is per address and per code.
    other = Client(REMOTE_ADDR="192.0.2.200")
    other_sub, other_secret = submission(phone="13900139005", address="198.51.100.20")
    assert status(other, other_sub.query_code, other_secret).status_code == 200
    # The attacked code is throttled for everyone for a while.
    assert status(other, sub.query_code, secret).status_code == 429


def test_bad_bodies_are_400_or_404_never_500(client):
    for body in [
        [],
        "text",
        {"query_code": 5, "secret": None},
        {"query_code": "x" * 5000, "secret": "y" * 5000},
    ]:
        response = client.post("/api/v1/portal/status", body, content_type="application/json")
        assert response.status_code in (400, 404), body
    response = client.post("/api/v1/portal/status", "{", content_type="application/json")
    assert response.status_code == 400


class FakeDocument:
    def __init__(self, name, data):
        self.name = name
        self._data = data

    def open(self):
        return self._data


def test_documents_addressed_to_the_petitioner(client, taken_in):
    sub, secret, petition = taken_in("registered")
    assert status(client, sub.query_code, secret).json()["documents"] == []
    seen = []

    def provider(p):
        seen.append(p.pk)
        return [FakeDocument("受理告知书.pdf", b"%PDF-1.4 notice")]

    public_documents.register("test.fake", provider)
    try:
        body = status(client, sub.query_code, secret).json()
        assert body["documents"] == [{"index": 0, "name": "受理告知书.pdf"}]
        assert seen == [petition.pk]
        page = client.post(
            "/portal/status", {"query_code": sub.query_code, "secret": secret}
        ).content.decode()
        assert "受理告知书.pdf" in page
        download = client.post("/portal/documents/0", {"query_code": sub.query_code, "secret": secret})
        assert download.status_code == 200 and download.content == b"%PDF-1.4 notice"
        assert "attachment" in download["Content-Disposition"]
        assert (
            client.post("/portal/documents/1", {"query_code": sub.query_code, "secret": secret}).status_code
            == 404
        )
        assert (
            client.post("/portal/documents/0", {"query_code": sub.query_code, "secret": "x"}).status_code
            == 404
        )
    finally:
        public_documents.unregister("test.fake")


def test_rating_within_the_window_once_per_reply(client, taken_in):
    sub, secret, petition = taken_in("confirmed")
    assert rating(client, sub.query_code, secret, "satisfied").status_code == 409  # no reply yet
    sub, secret, petition = taken_in("replied")
    assert rating(client, sub.query_code, secret, "very").status_code == 400
    assert rating(client, sub.query_code, secret, "satisfied", "好" * 2001).status_code == 400
    response = rating(client, sub.query_code, secret, "basically_satisfied", "还可以")
    assert response.status_code == 200 and response.json()["can_rate"] is False
    assert rating(client, sub.query_code, secret, "satisfied").status_code == 409  # once
    event = petition.events.order_by("-seq").first()
    assert event.action == "portal.rated" and event.actor is None
    assert event.data["rating"] == "basically_satisfied" and event.data["comment"] == "还可以"
    assert Rating.objects.get().follow_up == FollowUp.NONE


@override_settings(PORTAL_RATING_DAYS=10)
def test_rating_after_the_window_is_refused(client, taken_in):
    sub, secret, petition = taken_in("replied")
    reply = petition.replies.get()
    with time_machine.travel(reply.replied_at + timedelta(days=10, seconds=1), tick=False):
        assert status(client, sub.query_code, secret).json()["can_rate"] is False
        assert rating(client, sub.query_code, secret, "satisfied").status_code == 409
    with time_machine.travel(reply.replied_at + timedelta(days=9), tick=False):
        assert rating(client, sub.query_code, secret, "satisfied").status_code == 200


def test_unsatisfied_goes_to_the_leaders_queue_and_is_sent_back_for_rework(
    client, demo_org, taken_in, django_capture_on_commit_callbacks
):
    users, _units = demo_org
    sub, secret, petition = taken_in("closed")
    with django_capture_on_commit_callbacks(execute=True):
        assert rating(client, sub.query_code, secret, "unsatisfied", "路灯又坏了").status_code == 200
    for leader in ["secgen", "chair", "deputy"]:
        queue = next(q for q in queues_for(users[leader]) if q.name == "unsatisfied_ratings")
        assert list(queue.petitions) == [petition], leader
        assert {"rework", "answer_rating"} <= set(allowed_actions(users[leader], petition))
    assert "unsatisfied_ratings" not in [q.name for q in queues_for(users["clerk"])]
    assert "rework" not in allowed_actions(users["clerk"], petition)
    assert users["secgen"].notifications.filter(kind="rating_unsatisfied", petition=petition).exists()
    # The leader's page offers the action, and the API carries it out like any other.
    page = _signed_in(users["secgen"]).get(f"/petitions/{petition.number}/").content.decode()
    assert 'data-action="rework"' in page and "不满意" in page
    with pytest.raises(Forbidden):  # the clerk may see it but it is not theirs: refused, nothing changes
        perform(Context(actor=users["clerk"]), petition, "rework", {"reason": "x"})
    response = _api(users["secgen"]).post(
        f"/api/v1/petitions/{petition.number}/actions/rework",
        {"reason": "请重新核实"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    petition.refresh_from_db()
    assert petition.status == "assigned" and petition.closed_at is None
    assert petition.events.order_by("-seq").first().action == "petition.rework"
    assert Rating.objects.get().follow_up == FollowUp.REWORKED
    assert not list(next(q for q in queues_for(users["secgen"]) if q.name == "unsatisfied_ratings").petitions)
    assert status(client, sub.query_code, secret).json()["stage"] == "handling"
    # The unit handles it again; after a new sign-off and reply the citizen may rate again.
    perform(
        Context(actor=users["housing"]),
        petition,
        "submit_result",
        {"findings": "复查", "result": "已彻底修复"},
    )
    perform(Context(actor=users["housing"]), petition, "sign_off", {"password": "demo-pass-2026"})
    perform(Context(actor=users["deputy"]), petition, "sign_off", {"password": "demo-pass-2026"})
    perform(Context(actor=users["clerk"]), petition, "reply", {"method": "written", "content": "已彻底修复"})
    body = status(client, sub.query_code, secret).json()
    assert body["reply"] == "已彻底修复" and body["can_rate"] is True


def test_an_unsatisfactory_rating_answered_by_a_leader(client, demo_org, taken_in):
    users, _units = demo_org
    sub, secret, petition = taken_in("replied")
    assert "answer_rating" not in allowed_actions(users["secgen"], petition)  # nothing to answer yet
    rating(client, sub.query_code, secret, "unsatisfied", "答复太简单")
    perform(Context(actor=users["deputy"]), petition, "answer_rating", {"answer": "已请部门当面向您说明。"})
    petition.refresh_from_db()
    assert petition.status == "replied"
    body = status(client, sub.query_code, secret).json()
    assert body["rating_answer"] == "已请部门当面向您说明。"
    with pytest.raises(Conflict):
        perform(Context(actor=users["deputy"]), petition, "answer_rating", {"answer": "再次"})


def test_the_status_page_shows_and_rates(client, taken_in):
    sub, secret, _petition = taken_in("replied")
    page = client.post("/portal/status", {"query_code": sub.query_code, "secret": secret})
    assert page.status_code == 200 and "已书面答复" in page.content.decode()
    wrong = client.post("/portal/status", {"query_code": sub.query_code, "secret": "nope"})
    assert wrong.status_code == 404 and "查询码或查询密码不正确" in wrong.content.decode()
    rated = client.post(
        "/portal/status", {"query_code": sub.query_code, "secret": secret, "rating": "satisfied", "rate": "1"}
    )
    assert rated.status_code == 200 and "您的评价已记录" in rated.content.decode()
    assert Rating.objects.get().value == "satisfied"


def _signed_in(user):
    c = Client()
    c.force_login(user)
    return c


def _api(user):
    from xinfang.accounts.models import ApiToken

    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}")


def test_ratings_feed_the_statistics_over_visible_petitions(client, api, demo_org, taken_in):
    users, units = demo_org
    # Two rated petitions, one of them involving the police unit (Rule 4.3: its staff never see it).
    a, a_secret, _pa = taken_in("replied")
    b, b_secret, pb = taken_in("replied")
    from xinfang.petitions.models import InvolvedUnit

    InvolvedUnit.objects.create(petition=pb, unit=units["POLICE"])
    rating(client, a.query_code, a_secret, "satisfied")
    rating(client, b.query_code, b_secret, "unsatisfied", "不行")
    body = api("secgen").get("/api/v1/ratings/statistics").json()
    assert body == {
        "total": 2,
        "rows": [
            {"rating": "satisfied", "count": 1},
            {"rating": "basically_satisfied", "count": 0},
            {"rating": "unsatisfied", "count": 1},
        ],
        "unsatisfied_open": 1,
    }
    # A handler of the involved unit sees neither (not assigned to them, and one involves them).
    assert api("police").get("/api/v1/ratings/statistics").json()["total"] == 0
    assert (
        api("secgen")
        .get("/api/v1/ratings/statistics", **{"from": "2000-01-01", "to": "2000-12-31"})
        .json()["total"]
        == 0
    )
    assert api("secgen").get("/api/v1/ratings/statistics", **{"from": "yesterday"}).status_code == 400


def test_query_counts_do_not_grow_with_the_queue(
    api, submission, client, django_assert_num_queries, django_assert_max_num_queries
):
    clerk = api("clerk")
    for _ in range(2):
        submission()
    clerk.get("/api/v1/intake")  # the token's first use is recorded once (an UPDATE), then not
    # The token with the user's roles, the submissions, their files: 3, however many are waiting.
    with django_assert_num_queries(3):
        assert clerk.get("/api/v1/intake").status_code == 200
    for _ in range(5):
        submission()
    with django_assert_num_queries(3):
        assert len(clerk.get("/api/v1/intake").json()) == 7
    sub, secret = submission()
    # The citizen's status: the submission with its petition (1), nothing else while received.
    with django_assert_max_num_queries(1):
        assert status(client, sub.query_code, secret).status_code == 200


def test_a_linked_submission_sees_progress_but_not_the_earlier_reply(client, api, drive, submission):
    earlier = drive("replied")
    sub, secret = submission()
    assert api("clerk").post(f"/api/v1/intake/{sub.pk}/link", {"number": earlier.number}).status_code == 200
    body = status(client, sub.query_code, secret).json()
    assert body["stage"] == "replied" and body["number"] == earlier.number and body["linked"] is True
    assert "reply" not in body and body["can_rate"] is False and body["documents"] == []
