"""Bringing petitions to any state of the procedure, through the services, as the
demo organisation's people would."""

import itertools

import pytest
from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

PASSWORD = "demo-pass-2026"
_archive_numbers = itertools.count(1)

# How each state is reached, step by step: (actor, action, body factory).
PATHS = {
    "registered": [],
    "proposed": [("clerk", "propose", lambda u: {"opinion": "拟转市住建局办理"})],
    "instructed": ["proposed", ("secgen", "instruct", lambda u: {"instruction": "请市住建局核实处理。"})],
    "assigned": [
        "instructed",
        (
            "clerk",
            "assign",
            lambda u: {
                "assignments": [
                    {"unit": u["HOUSING"].pk, "role": "lead", "kind": "assignment"},
                    {"unit": u["LABOUR"].pk, "role": "assist", "kind": "assignment"},
                ]
            },
        ),
    ],
    "investigating": ["instructed", ("clerk", "investigate", lambda u: {"note": "办公室自行调查"})],
    "result_submitted": [
        "assigned",
        ("housing", "submit_result", lambda u: {"findings": "经核实属实", "result": "已修复路灯"}),
    ],
    "confirmed": [
        "result_submitted",
        ("housing", "sign_off", lambda u: {"password": PASSWORD}),
        ("deputy", "sign_off", lambda u: {"password": PASSWORD}),
    ],
    "replied": ["confirmed", ("clerk", "reply", lambda u: {"method": "written", "content": "已书面答复"})],
    "reported": [
        "replied",
        ("clerk", "report", lambda u: {"report": "查处报告正文"}),
        ("secgen", "approve_report", lambda u: {}),
    ],
    "closed": ["replied", ("clerk", "close", lambda u: {"outcome": "问题已解决"})],
    "archived": [
        "closed",
        ("clerk", "archive", lambda u: {"archive_number": f"DA-{next(_archive_numbers)}"}),
    ],
    "persuaded": [
        ("clerk", "record_persuasion", lambda u: {"notes": "耐心劝导"}),
        ("clerk", "conclude_persuasion", lambda u: {"outcome": "信访人同意息访"}),
    ],
    "referred_to_police": [("secgen", "refer_to_police", lambda u: {"reason": "多次劝导无效，扰乱秩序"})],
    "void": [("secgen", "void", lambda u: {"reason": "重复登记"})],
}


def registration(units, channel="letter", **overrides):
    data = {
        "channel": channel,
        "received_at": timezone.now().isoformat(),
        "petitioners": [{"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000"}],
        "title": "小区路灯损坏",
        "content": "小区路灯坏了三个月无人修理。",
        "category": "urban_construction",
    }
    if channel in ("visit", "call"):
        data["reception"] = {"notes": "来访反映路灯问题", "explained": "解释了处理流程"}
    if channel == "superior":
        data["superior"] = {
            "unit": units["SUPERIOR"].pk,
            "reference": "达信交〔2026〕1号",
            "due_date": "2026-12-31",
        }
    data.update(overrides)
    return data


@pytest.fixture
def drive(demo_org):
    users, units = demo_org

    def run_path(petition, state):
        for step in PATHS[state]:
            if isinstance(step, str):
                run_path(petition, step)
                continue
            actor, action, body = step
            perform(Context(actor=users[actor]), petition, action, body(units))

    def _drive(state, channel=None, **overrides):
        channel = channel or ("superior" if state == "reported" else "letter")
        petition, _created = register_petition(
            ctx=Context(actor=users["clerk"]),
            data=check_registration(registration(units, channel, **overrides)),
        )
        if state == "merged":
            other = _drive("registered")
            perform(Context(actor=users["clerk"]), petition, "merge", {"into": other.number})
        else:
            run_path(petition, state)
        petition = Petition.objects.get(pk=petition.pk)
        assert petition.status == state, (petition.status, state)
        return petition

    return _drive
