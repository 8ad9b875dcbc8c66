"""The procedure's action forms on the petition page: each form for the person it is
for, htmx and full-page answers, errors in place, refusals in the services' words."""

from __future__ import annotations

import pytest

from tests.workflow.conftest import PASSWORD
from xinfang.audit.models import Event
from xinfang.audit.services import Context
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.workflow import ACTIONS
from xinfang.petitions.workflow_models import Assignment, Instruction, Signoff

HX = {"HX-Request": "true"}

# (action, state it is possible in, channel, who opens the form)
FORMS = [
    ("propose", "registered", "letter", "clerk"),
    ("resolve_on_the_spot", "registered", "visit", "clerk"),
    ("instruct", "proposed", "letter", "secgen"),
    ("assign", "instructed", "letter", "clerk"),
    ("investigate", "instructed", "letter", "clerk"),
    ("accept_assignment", "assigned", "letter", "housing"),
    ("contribute", "assigned", "letter", "labour"),
    ("submit_result", "assigned", "letter", "housing"),
    ("sign_off", "result_submitted", "letter", "housing"),
    ("send_back", "result_submitted", "letter", "deputy"),
    ("reply", "confirmed", "letter", "clerk"),
    ("report", "replied", "superior", "clerk"),
    ("approve_report", "replied", "superior", "secgen"),
    ("close", "replied", "letter", "clerk"),
    ("archive", "closed", "letter", "clerk"),
    ("flag_urgent", "registered", "letter", "clerk"),
    ("coordinate", "assigned", "letter", "deputy"),
    ("record_persuasion", "registered", "letter", "clerk"),
    ("conclude_persuasion", "registered", "letter", "secgen"),
    ("refer_to_police", "registered", "letter", "secgen"),
    ("merge", "registered", "letter", "clerk"),
    ("void", "registered", "letter", "secgen"),
    ("record_involvement", "assigned", "letter", "clerk"),
]


def url(petition, action):
    return f"/petitions/{petition.number}/actions/{action}/"


def test_every_action_has_a_form_case():
    assert {row[0] for row in FORMS} == set(ACTIONS)


@pytest.mark.parametrize(("action", "state", "channel", "who"), FORMS, ids=[f[0] for f in FORMS])
def test_each_form_renders_for_the_person_it_is_for(client_for, drive, demo_org, action, state, channel, who):
    petition = drive(state, channel=channel)
    # Two actions are offered only once there is something to act on (petitions/guards.py).
    clerk = Context(actor=demo_org[0]["clerk"])
    if action == "conclude_persuasion":
        perform(clerk, petition, "record_persuasion", {"notes": "谈话记录"})
    if action == "approve_report":
        perform(clerk, petition, "report", {"report": "调查报告"})
    client = client_for(who)
    page = client.get(f"/petitions/{petition.number}/").content.decode()
    assert f'data-action="{action}"' in page  # the button is offered
    fragment = client.get(url(petition, action), headers=HX)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.startswith("<form") and f'id="action-form-{action}"' in html and "<html" not in html
    assert f'hx-post="{url(petition, action)}"' in html
    full = client.get(url(petition, action))
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert f'id="action-form-{action}"' in full.content.decode()


def test_the_panel_offers_only_workflow_actions(client_for, drive):
    petition = drive("registered")
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert 'data-action="propose"' in html and 'data-action="merge"' in html
    assert 'data-action="correct"' not in html and 'data-action="attach"' not in html
    assert 'data-action="instruct"' not in html and 'data-action="void"' not in html  # void: leaders only


def test_propose_with_htmx_swaps_the_petition_body(client_for, drive):
    petition = drive("registered")
    response = client_for("clerk").post(
        url(petition, "propose"), {"opinion": "拟转市住建局办理。", "important": "on"}, headers=HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#petition-body" and response["HX-Reswap"] == "outerHTML"
    assert html.startswith('<div id="petition-body">') and "<html" not in html
    assert "“拟办”已完成。" in html
    assert "status--proposed" in html
    assert "张丽 提出拟办意见（重要来信）：“拟转市住建局办理。”" in html
    assert "状态：已登记 → 已拟办" in html
    petition.refresh_from_db()
    assert petition.status == "proposed" and petition.important


def test_without_htmx_an_action_redirects_to_the_petition_with_a_message(client_for, drive):
    petition = drive("closed")
    client = client_for("clerk")
    response = client.post(url(petition, "archive"), {"archive_number": "2026-信-001"})
    assert response.status_code == 302 and response["Location"] == f"/petitions/{petition.number}/"
    html = client.get(response["Location"]).content.decode()
    assert "“归档”已完成。" in html and "2026-信-001" in html
    assert "张丽 将信访事项归档，档案号 2026-信-001。" in html


def test_the_instruction_is_shown_verbatim(client_for, drive):
    petition = drive("proposed")
    text = "请市住建局于三日内核实，\n结果报我。<b>不要</b>拖延"
    client_for("secgen").post(url(petition, "instruct"), {"instruction": text}, headers=HX)
    assert Instruction.objects.get(petition=petition).text == text
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert "王建国（秘书长）批示：“请市住建局于三日内核实，\n结果报我。&lt;b&gt;不要&lt;/b&gt;拖延”" in html
    assert (
        "请市住建局于三日内核实，<br>结果报我。&lt;b&gt;不要&lt;/b&gt;拖延" in html
    )  # the instructions panel


def test_assign_builds_rows_and_never_offers_involved_units(client_for, drive, demo_org):
    _users, units = demo_org
    petition = drive("instructed", involved_units=[units["LABOUR"].pk])
    client = client_for("clerk")
    form = client.get(url(petition, "assign"), headers=HX).content.decode()
    assert f'value="{units["HOUSING"].pk}"' in form and "市住房和城乡建设局" in form
    assert "市人力资源和社会保障局" not in form.split("<template")[0]  # involved: not a choice
    assert f'value="{units["SUPERIOR"].pk}"' not in form  # a superior organ is not sent petitions
    response = client.post(
        url(petition, "assign"),
        {
            "assignments-0-unit": units["HOUSING"].pk,
            "assignments-0-role": "lead",
            "assignments-0-kind": "transfer",
            "assignments-0-due_date": "2099-01-31",
            "assignments-0-share_contact": "on",
            "assignments-1-unit": units["POLICE"].pk,
            "assignments-1-role": "assist",
            "assignments-1-kind": "assignment",
            "assignments-2-unit": "",  # an empty row left by the add-row button
            "assignments-2-role": "assist",
        },
        headers=HX,
    )
    assert response.status_code == 200, response.content.decode()
    lead = Assignment.objects.get(petition=petition, role="lead")
    assert lead.unit == units["HOUSING"] and lead.kind == "transfer" and lead.share_contact
    assert str(lead.due_date) == "2099-01-31"
    assert Assignment.objects.filter(petition=petition, role="assist", unit=units["POLICE"]).exists()
    html = response.content.decode()
    assert "张丽 将信访事项转交：市住房和城乡建设局（主办，转办，期限 2099-01-31）" in html


def test_the_server_refuses_an_involved_unit_anyway(client_for, drive, demo_org):
    _users, units = demo_org
    petition = drive("instructed", involved_units=[units["LABOUR"].pk])
    response = client_for("clerk").post(
        url(petition, "assign"),
        {
            "assignments-0-unit": units["LABOUR"].pk,
            "assignments-0-role": "lead",
            "assignments-0-kind": "assignment",
        },
        headers=HX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert html.startswith("<form") and "data-refusal" in html and "第4.3条" in html
    assert not Assignment.objects.filter(petition=petition).exists()


def test_bad_input_shows_errors_in_place(client_for, drive, demo_org):
    _users, units = demo_org
    petition = drive("registered")
    client = client_for("clerk")
    response = client.post(url(petition, "propose"), {"opinion": "   "}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 400 and html.startswith("<form")
    assert 'class="field field--invalid"' in html and 'aria-invalid="true"' in html and "此项必填" in html
    assert Petition.objects.get(pk=petition.pk).status == "registered"
    full = client.post(url(petition, "propose"), {"opinion": ""})
    assert full.status_code == 400 and "<html" in full.content.decode()

    instructed = drive("instructed")
    bad = client.post(
        url(instructed, "assign"),
        {
            "assignments-0-unit": units["HOUSING"].pk,
            "assignments-0-role": "lead",
            "assignments-0-due_date": "明天",
            "assignments-1-unit": "99999",
            "assignments-1-role": "boss",
        },
        headers=HX,
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "日期无效" in html and "单位 99999 不存在" in html
    assert 'value="明天"' in html  # what was typed stays
    none = client.post(url(instructed, "assign"), {"assignments-0-unit": ""}, headers=HX)
    assert none.status_code == 400 and "请至少给出一个单位" in none.content.decode()


def test_a_wrong_state_is_a_409_and_a_wrong_person_a_403(client_for, drive):
    petition = drive("registered")
    wrong_state = client_for("secgen").post(url(petition, "instruct"), {"instruction": "同意"}, headers=HX)
    assert wrong_state.status_code == 409
    assert "信访事项处于“已登记”状态时不能“阅批”" in wrong_state.content.decode().replace("\n", "")
    proposed = drive("proposed")
    wrong_person = client_for("clerk").post(url(proposed, "instruct"), {"instruction": "同意"}, headers=HX)
    assert wrong_person.status_code == 403 and "您无权对本信访事项“阅批”" in wrong_person.content.decode()
    assert client_for("clerk").get(url(proposed, "instruct"), headers=HX).status_code == 403
    assert client_for("secgen").get(url(petition, "instruct"), headers=HX).status_code == 409
    assert not Event.objects.filter(petition=proposed, action="petition.instruct").exists()


def test_hidden_petitions_and_unknown_actions_are_not_found(client_for, drive, demo_org):
    _users, units = demo_org
    petition = drive("proposed", involved_units=[units["SECGEN"].pk])
    secgen = client_for("secgen")
    assert secgen.get(url(petition, "instruct")).status_code == 404
    assert secgen.post(url(petition, "instruct"), {"instruction": "同意"}).status_code == 404
    assert client_for("clerk").get(url(petition, "delete")).status_code == 404
    assert client_for("housing").get(url(petition, "propose")).status_code == 404


def test_sign_off_asks_for_the_password_and_says_in_which_capacity(client_for, drive):
    petition = drive("result_submitted")
    housing = client_for("housing")
    form = housing.get(url(petition, "sign_off"), headers=HX).content.decode()
    assert 'autocomplete="current-password"' in form and "承办人员" in form and "经核实属实" in form
    wrong = housing.post(url(petition, "sign_off"), {"password": "nope"}, headers=HX)
    assert wrong.status_code == 403 and "密码错误" in wrong.content.decode()
    assert "nope" not in wrong.content.decode()
    assert housing.post(url(petition, "sign_off"), {"password": PASSWORD}, headers=HX).status_code == 200
    deputy_form = client_for("deputy").get(url(petition, "sign_off"), headers=HX).content.decode()
    assert "分管领导" in deputy_form and "赵敏" in deputy_form  # already signed by the handler
    client_for("deputy").post(url(petition, "sign_off"), {"password": PASSWORD}, headers=HX)
    assert Signoff.objects.filter(result__petition=petition).count() == 2
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert "赵敏 尝试以错误的密码签字确认，未记录签字。" in html
    assert "刘文华 以分管领导身份签字确认了办理结果。" in html
    assert "status--confirmed" in html


def test_reply_offers_no_reply_only_for_anonymous_petitions(client_for, drive):
    named = drive("confirmed")
    form = client_for("clerk").get(url(named, "reply"), headers=HX).content.decode()
    assert 'value="oral"' in form and 'value="written"' in form and 'value="none"' not in form
    anonymous = drive("confirmed", anonymous=True, petitioners=[])
    form = client_for("clerk").get(url(anonymous, "reply"), headers=HX).content.decode()
    assert 'value="none"' in form
    response = client_for("clerk").post(
        url(named, "reply"),
        {"method": "written", "content": "已书面答复信访人。", "replied_at": "2000-01-01T09:00"},
        headers=HX,
    )
    assert response.status_code == 400 and "答复时间不能早于" in response.content.decode()


def test_approve_report_shows_the_draft(client_for, drive, demo_org):
    users, _units = demo_org
    petition = drive("replied", channel="superior")
    perform(Context(actor=users["clerk"]), petition, "report", {"report": "经调查，情况属实，已整改。"})
    form = client_for("secgen").get(url(petition, "approve_report"), headers=HX).content.decode()
    assert "经调查，情况属实，已整改。" in form and "张丽" in form
    response = client_for("secgen").post(url(petition, "approve_report"), {}, headers=HX)
    assert response.status_code == 200 and "status--reported" in response.content.decode()


def test_the_procedure_panels_show_the_records(client_for, drive, demo_org):
    users, _units = demo_org
    petition = drive("archived")
    html = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    for text in (
        "拟转市住建局办理",
        "请市住建局核实处理。",
        "市人力资源和社会保障局",
        "协办单位",
        "经核实属实",
        "已修复路灯",
        "已书面答复",
        "问题已解决",
        "DA-",
    ):
        assert text in html, text
    assert html.count('class="badge badge--done">已签字') == 2


def test_the_void_form_warns(client_for, drive):
    petition = drive("registered")
    form = client_for("secgen").get(url(petition, "void"), headers=HX).content.decode()
    assert "action-form--warning" in form and "alert--warning" in form and "button--danger" in form


def test_record_involvement_from_the_page(client_for, drive, demo_org):
    users, units = demo_org
    petition = drive("assigned")
    client = client_for("clerk")
    url = f"/petitions/{petition.number}/actions/record_involvement/"
    refused = client.post(url, {"units": [units["HOUSING"].pk]}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409 and "市住房和城乡建设局" in refused.content.decode()
    done = client.post(url, {"units": [units["CHAIR"].pk], "person_name": "某干部"})
    assert done.status_code == 302
    assert petition.involved_units.filter(unit=units["CHAIR"]).exists()
    assert petition.involved_persons.filter(name="某干部").exists()


def test_no_signature_or_take_on_button_once_done(client_for, drive, demo_org):
    """签字确认 after signing answered 409, 承接本件 after taking was offered again."""
    users, _units = demo_org
    petition = drive("assigned")
    client = client_for("housing")
    page = f"/petitions/{petition.number}/"
    assert 'data-action="accept_assignment"' in client.get(page).content.decode()
    perform(Context(actor=users["housing"]), petition, "accept_assignment", {})
    assert 'data-action="accept_assignment"' not in client.get(page).content.decode()
    perform(
        Context(actor=users["housing"]), petition, "submit_result", {"findings": "属实", "result": "已修复"}
    )
    assert 'data-action="sign_off"' in client.get(page).content.decode()
    perform(Context(actor=users["housing"]), petition, "sign_off", {"password": PASSWORD})
    assert 'data-action="sign_off"' not in client.get(page).content.decode()
