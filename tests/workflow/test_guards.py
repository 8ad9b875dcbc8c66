"""The rules each step enforces beyond the table: Rules 3.2, 3.3, 3.4, 4.3, 4.4, 4.5."""

import threading

import pytest
from django.db import connection

from tests.workflow.conftest import PASSWORD
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.notifications.models import Notification
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.permissions import allowed_actions, can_see_personal_data
from xinfang.petitions.workflow_models import Assignment, Signoff


@pytest.fixture
def act(demo_org):
    users, _units = demo_org

    def _act(who, petition, action, body=None):
        result = perform(Context(actor=users[who]), petition, action, body or {})
        petition.refresh_from_db()
        return result

    return _act


def test_important_letter_needs_a_principal_leader_before_transfer(drive, act, demo_org):
    from django.utils import translation

    _users, units = demo_org
    petition = drive("registered")
    act("clerk", petition, "propose", {"opinion": "拟转住建局", "important": True})
    act("secgen", petition, "instruct", {"instruction": "同意"})
    body = {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead", "kind": "transfer"}]}
    with pytest.raises(Conflict) as refused:
        act("clerk", petition, "assign", body)
    with translation.override("en"):  # the message is lazy: read it in English
        assert "principal leader" in str(refused.value.message)
    act("chair", petition, "instruct", {"instruction": "请住建局抓紧办理，结果报我。"})
    act("clerk", petition, "assign", body)
    assert petition.status == "assigned"
    instructions = [e.data["instruction"] for e in petition.events.filter(action="petition.instruct")]
    assert instructions == ["同意", "请住建局抓紧办理，结果报我。"]  # verbatim, in order


def test_refusal_message_in_chinese(drive, act, demo_org):
    from django.utils import translation

    _users, units = demo_org
    petition = drive("registered")
    act("clerk", petition, "propose", {"opinion": "拟转", "important": True})
    act("secgen", petition, "instruct", {"instruction": "同意"})
    with translation.override("zh-hans"), pytest.raises(Conflict) as refused:
        act("clerk", petition, "assign", {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]})
    assert str(refused.value.message) == "重要来信须经主要领导阅批后方可转办。"


def test_involved_units_never_receive_the_petition(drive, act, demo_org):
    _users, units = demo_org
    petition = drive("instructed", involved_units=[units["HOUSING"].pk])
    with pytest.raises(Conflict) as refused:
        act("clerk", petition, "assign", {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]})
    assert "市住房和城乡建设局" in str(refused.value.message)
    with pytest.raises(Conflict):
        act(
            "deputy",
            petition,
            "coordinate",
            {"lead_unit": units["LABOUR"].pk, "units": [units["HOUSING"].pk], "note": "联合"},
        )
    with pytest.raises(Conflict):
        act("clerk", petition, "flag_urgent", {"reason": "紧急", "notify_units": [units["HOUSING"].pk]})
    assert petition.status == "instructed" and not Assignment.objects.filter(petition=petition).exists()


@pytest.mark.parametrize(
    ("assignments", "field"),
    [
        ([], "assignments"),
        ([{"unit": "HOUSING", "role": "assist"}], "assignments"),
        ([{"unit": "HOUSING", "role": "lead"}, {"unit": "LABOUR", "role": "lead"}], "assignments"),
        ([{"unit": "HOUSING", "role": "lead"}, {"unit": "HOUSING", "role": "assist"}], "assignments"),
        ([{"unit": "SUPERIOR", "role": "lead"}], "assignments"),
        ([{"unit": "HOUSING", "role": "boss"}], "assignments.0.role"),
        ([{"unit": "HOUSING", "role": "lead", "due_date": "2026-02-30"}], "assignments.0.due_date"),
        ([{"unit": 999999, "role": "lead"}], "assignments.0.unit"),
    ],
)
def test_bad_assignments_are_400(drive, act, demo_org, assignments, field):
    _users, units = demo_org
    petition = drive("instructed")
    for item in assignments:
        if isinstance(item["unit"], str):
            item["unit"] = units[item["unit"]].pk
    with pytest.raises(InvalidInput) as refused:
        act("clerk", petition, "assign", {"assignments": assignments})
    assert field in refused.value.errors
    assert petition.status == "instructed"


def test_handlers_see_only_their_assignments_with_contact_masked(drive, act, demo_org):
    users, units = demo_org
    petition = drive("instructed")
    act(
        "clerk",
        petition,
        "assign",
        {
            "assignments": [
                {"unit": units["HOUSING"].pk, "role": "lead", "share_contact": True},
                {"unit": units["LABOUR"].pk, "role": "assist"},
            ]
        },
    )
    visible = {
        name: Petition.objects.visible_to(users[name]).filter(pk=petition.pk).exists()
        for name in ("housing", "labour", "police")
    }
    assert visible == {"housing": True, "labour": True, "police": False}
    assert can_see_personal_data(users["housing"], petition)
    assert not can_see_personal_data(users["labour"], petition)
    assert allowed_actions(users["housing"], petition) == ["accept_assignment", "submit_result", "attach"]
    assert allowed_actions(users["labour"], petition) == ["accept_assignment", "contribute", "attach"]


def test_sign_off_needs_both_people_and_the_right_password(drive, act, demo_org):
    users, _units = demo_org
    petition = drive("result_submitted")
    with pytest.raises(Forbidden):
        act("housing", petition, "sign_off", {"password": "wrong"})
    assert petition.events.order_by("-seq").first().action == "petition.sign_off_refused"
    with pytest.raises(Forbidden):
        act("secgen", petition, "sign_off", {"password": PASSWORD})  # not the leader in charge
    act("housing", petition, "sign_off", {"password": PASSWORD})
    assert petition.status == "result_submitted"
    with pytest.raises(Conflict):
        act("housing", petition, "sign_off", {"password": PASSWORD})
    act("deputy", petition, "sign_off", {"password": PASSWORD})
    assert petition.status == "confirmed"
    assert sorted(Signoff.objects.values_list("capacity", "user__username")) == [
        ("handler", "housing"),
        ("leader", "deputy"),
    ]


def test_send_back_reopens_the_assignment_and_a_new_result_is_signed(drive, act, demo_org):
    petition = drive("result_submitted")
    act("deputy", petition, "send_back", {"reason": "请补充现场照片"})
    assert petition.status == "assigned"
    assert Assignment.objects.get(petition=petition, role="lead").status == "in_progress"
    act("housing", petition, "submit_result", {"findings": "补充核实", "result": "已修复并拍照"})
    act("housing", petition, "sign_off", {"password": PASSWORD})
    act("deputy", petition, "sign_off", {"password": PASSWORD})
    assert petition.status == "confirmed"


def test_superior_matters_are_reported_before_closing(drive, act):
    petition = drive("replied", channel="superior")
    with pytest.raises(Conflict):
        act("clerk", petition, "close", {"outcome": "已解决"})
    with pytest.raises(Conflict):
        act("secgen", petition, "approve_report")  # nothing drafted yet
    act("clerk", petition, "report", {"report": "查处报告"})
    act("secgen", petition, "approve_report")
    act("clerk", petition, "close", {"outcome": "已解决并上报"})
    assert petition.status == "closed"
    assert Deadline.objects.get(petition=petition, name="superior_report").met_at is not None


def test_only_superior_matters_are_reported(drive, act):
    petition = drive("replied")
    with pytest.raises(Conflict):
        act("clerk", petition, "report", {"report": "报告"})


def test_no_close_without_an_outcome(drive, act):
    petition = drive("replied")
    with pytest.raises(InvalidInput):
        act("clerk", petition, "close", {"outcome": "  "})
    assert petition.status == "replied"


def test_archive_numbers_are_unique(drive, act):
    first, second = drive("closed"), drive("closed")
    act("clerk", first, "archive", {"archive_number": "DA-2026-001"})
    with pytest.raises(Conflict):
        act("clerk", second, "archive", {"archive_number": "DA-2026-001"})


def test_anonymous_petitions_record_why_no_reply(drive, act):
    named = drive("confirmed")
    with pytest.raises(InvalidInput):
        act("clerk", named, "reply", {"method": "none", "content": "无地址"})
    anonymous = drive("confirmed", anonymous=True, petitioners=[])
    act("clerk", anonymous, "reply", {"method": "none", "content": "匿名来信，无联系方式，无法答复"})
    assert anonymous.status == "replied"


def test_resolve_on_the_spot_only_for_visits_and_calls_by_the_first_responder(drive, act):
    letter = drive("registered")
    with pytest.raises(Conflict):
        act("clerk", letter, "resolve_on_the_spot", {"reply": "已解释"})
    visit = drive("registered", channel="visit")
    with pytest.raises(Forbidden):
        act("clerk2", visit, "resolve_on_the_spot", {"reply": "已解释"})
    act("clerk", visit, "resolve_on_the_spot", {"reply": "已当场解释政策"})
    assert visit.status == "replied"
    assert set(
        Deadline.objects.filter(petition=visit, met_at__isnull=False).values_list("name", flat=True)
    ) == {"handling", "reply"}


def test_persuaded_only_after_a_persuasion_record(drive, act):
    petition = drive("registered")
    with pytest.raises(Conflict):
        act("clerk", petition, "conclude_persuasion", {"outcome": "息访"})
    act("clerk", petition, "record_persuasion", {"notes": "讲明政策"})
    act("clerk", petition, "conclude_persuasion", {"outcome": "同意息访"})
    assert petition.status == "persuaded" and petition.outcome == "同意息访"


def test_merge_into_a_hidden_petition_is_refused_as_unknown(drive, act, demo_org):
    _users, units = demo_org
    hidden_from_secgen = drive("registered", involved_units=[units["SECGEN"].pk])
    petition = drive("registered")
    with pytest.raises(InvalidInput):
        perform(Context(actor=demo_org[0]["secgen"]), petition, "merge", {"into": hidden_from_secgen.number})


def test_coordination_makes_a_joint_lead(drive, act, demo_org):
    _users, units = demo_org
    petition = drive("assigned")
    act(
        "deputy",
        petition,
        "coordinate",
        {
            "lead_unit": units["LABOUR"].pk,
            "units": [units["HOUSING"].pk, units["POLICE"].pk],
            "note": "联合处理",
        },
    )
    roles = dict(Assignment.objects.filter(petition=petition).values_list("unit__code", "role"))
    assert roles == {"LABOUR": "lead", "HOUSING": "assist", "POLICE": "assist"}


def test_deadlines_follow_the_procedure(drive, act, demo_org):
    petition = drive("assigned")
    names = dict(Deadline.objects.filter(petition=petition).values_list("name", "met_at"))
    assert names["handling"] and names["transfer"]  # met by the assignment
    assert names["reply"] is None
    _users, units = demo_org
    assert f"assignment:{units['HOUSING'].pk}" in names


def test_notifications_reach_the_next_people_after_commit(
    drive, act, demo_org, django_capture_on_commit_callbacks
):
    users, units = demo_org
    petition = drive("registered", involved_persons=[{"name": "陈志远", "user": "chair"}])
    with django_capture_on_commit_callbacks(execute=True):
        act("clerk", petition, "propose", {"opinion": "拟办", "important": True})
    recipients = set(
        Notification.objects.filter(petition=petition).values_list("recipient__username", flat=True)
    )
    # The chair would review an important letter, but is involved in this one: never told.
    assert recipients == {"secgen"}
    with django_capture_on_commit_callbacks(execute=True):
        act("clerk", petition, "flag_urgent", {"reason": "可能引发群体事件"})
    urgent = set(Notification.objects.filter(kind="urgent").values_list("recipient__username", flat=True))
    assert urgent == {"secgen", "deputy"}


def test_no_notification_when_the_action_fails(drive, act, demo_org, django_capture_on_commit_callbacks):
    _users, units = demo_org
    petition = drive("instructed", involved_units=[units["HOUSING"].pk])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        act("clerk", petition, "assign", {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]})
    assert not Notification.objects.filter(petition=petition, kind="assigned").exists()


@pytest.mark.django_db(transaction=True)
def test_two_leaders_instructing_at_once_give_one_transition(demo_org, drive):
    users, _units = demo_org
    petition = drive("proposed")
    outcomes = []
    barrier = threading.Barrier(2)

    def instruct(name):
        try:
            barrier.wait()
            perform(Context(actor=users[name]), petition, "instruct", {"instruction": f"{name} 批示"})
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=instruct, args=(name,)) for name in ("secgen", "chair")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both may legitimately instruct (a further instruction is allowed in "instructed"),
    # but the petition moved once and both instructions are on record, in order.
    petition.refresh_from_db()
    assert petition.status == "instructed"
    assert sorted(outcomes) == ["ok", "ok"]
    assert petition.events.filter(action="petition.instruct").count() == 2
    assert list(petition.events.values_list("seq", flat=True)) == list(range(1, petition.events.count() + 1))


@pytest.mark.django_db(transaction=True)
def test_double_click_on_assign_gives_one_transition_and_one_refusal(demo_org, drive):
    users, units = demo_org
    petition = drive("instructed")
    outcomes = []
    barrier = threading.Barrier(2)
    body = {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]}

    def assign():
        try:
            barrier.wait()
            perform(Context(actor=users["clerk"]), petition, "assign", body)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        except Exception as exc:
            outcomes.append(repr(getattr(exc, "errors", exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=assign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert Assignment.objects.filter(petition=petition).count() == 1


def test_involvement_found_later_is_recorded_and_hides_the_petition(drive, act, demo_org):
    users, units = demo_org
    petition = drive("assigned")
    act("clerk", petition, "record_involvement", {"units": [units["CHAIR"].pk]})
    assert not Petition.objects.visible_to(users["chair"]).filter(pk=petition.pk).exists()


def test_an_assigned_unit_cannot_be_recorded_as_involved(drive, act, demo_org):
    from xinfang.audit.models import AccessLog

    _users, units = demo_org
    petition = drive("assigned")
    with pytest.raises(Conflict) as refused:
        act("clerk", petition, "record_involvement", {"units": [units["HOUSING"].pk]})
    assert "市住房和城乡建设局" in str(refused.value.message)
    assert AccessLog.objects.filter(action="firewall.refused", object_ref=petition.number).exists()
    assert not petition.involved_units.exists()


def test_refused_assignment_to_an_involved_unit_is_logged(drive, act, demo_org):
    from xinfang.audit.models import AccessLog

    _users, units = demo_org
    petition = drive("instructed", involved_units=[units["HOUSING"].pk])
    with pytest.raises(Conflict):
        act("clerk", petition, "assign", {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]})
    entry = AccessLog.objects.get(action="firewall.refused")
    assert (
        entry.outcome == "denied"
        and entry.user.username == "clerk"
        and str(units["HOUSING"].pk) in entry.detail
    )


def test_actions_sure_to_be_refused_by_the_channel_are_not_offered(drive, demo_org):
    users, _units = demo_org
    letter = drive("registered")
    visit = drive("registered", channel="visit")
    assert "resolve_on_the_spot" not in allowed_actions(users["clerk"], letter)
    assert "resolve_on_the_spot" in allowed_actions(users["clerk"], visit)
    replied = drive("replied")
    superior = drive("replied", channel="superior")
    assert "close" in allowed_actions(users["clerk"], replied) and "report" not in allowed_actions(
        users["clerk"], replied
    )
    assert "report" in allowed_actions(users["clerk"], superior) and "close" not in allowed_actions(
        users["clerk"], superior
    )
