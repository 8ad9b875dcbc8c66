"""An organisation with every persona of the permission matrix, and petitions in
several states that involve some of them (Rule 4.3)."""

import pytest

from tests.api.conftest import PDF
from tests.factories import letter_from_wang_wu
from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.audit.services import Context
from xinfang.documents.generation import generate
from xinfang.documents.services import add_attachment
from xinfang.petitions.actions import perform

PASSWORD = "demo-pass-2026"

# persona → demo username (or one created below); None is the anonymous visitor.
PERSONAS = {
    "clerk": "clerk",
    "secretary_general": "secgen",
    "principal_leader": "chair",
    "deputy": "deputy",
    "lead_handler": "housing",
    "assisting_handler": "labour",
    "involved_unit_handler": "police",
    "involved_person": "clerk2",
    "unrelated_handler": "education",
    "system_admin": "admin",
    "audit_admin": "auditor",
    "anonymous": None,
}


@pytest.fixture
def world(demo_org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    users, units = demo_org
    education = Unit.objects.create(code="EDU", name="市教育局", kind=UnitKind.DEPARTMENT)
    teacher = User(username="education", name="钱老师", unit=education)
    teacher.set_password(PASSWORD)
    teacher.save()
    UserRole.objects.create(user=teacher, role=Role.HANDLER)
    users = {u.username: u for u in User.objects.select_related("unit")}

    def letter(**extra):
        involved = {
            "title": "拖欠工资",
            "content": "拖欠工资半年",
            "involved_units": [units["POLICE"].pk],
            "involved_persons": [{"name": "李强", "user": "clerk2"}],
        }
        petition = letter_from_wang_wu(users["clerk"], **(involved | extra))
        add_attachment(
            ctx=Context(actor=users["clerk"]), petition=petition, upload=SimpleUploadedFile("scan.pdf", PDF)
        )
        return petition

    def act(who, petition, action, body):
        perform(Context(actor=users[who]), petition, action, body)

    registered = letter()
    assigned = letter()
    closed = letter()
    for petition in (assigned, closed):
        act("clerk", petition, "propose", {"opinion": "拟转"})
        act("secgen", petition, "instruct", {"instruction": "同意"})
        act(
            "clerk",
            petition,
            "assign",
            {
                "assignments": [
                    {"unit": units["HOUSING"].pk, "role": "lead"},
                    {"unit": units["LABOUR"].pk, "role": "assist"},
                ]
            },
        )
    act("housing", closed, "submit_result", {"findings": "属实", "result": "已解决"})
    act("housing", closed, "sign_off", {"password": PASSWORD})
    act("deputy", closed, "sign_off", {"password": PASSWORD})
    act("clerk", closed, "reply", {"method": "oral", "content": "已答复"})
    act("clerk", closed, "close", {"outcome": "已解决"})
    petitions = {"registered": registered, "assigned": assigned, "closed": closed}
    for p in petitions.values():
        # Official documents: the office's registration form, read by office staff only.
        generate(ctx=Context(actor=users["clerk"]), petition=p, data={"type": "registration_form"})
        p.refresh_from_db()
    return users, units, petitions
