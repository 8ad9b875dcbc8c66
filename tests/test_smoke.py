from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition


def test_register_a_letter(demo_org):
    users, units = demo_org
    data = check_registration(
        {
            "channel": "letter",
            "received_at": timezone.now().isoformat(),
            "petitioners": [{"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000"}],
            "title": "小区路灯损坏",
            "content": "小区路灯坏了三个月无人修理。",
            "category": "urban_construction",
            "involved_units": [units["HOUSING"].pk],
        }
    )
    petition, created = register_petition(ctx=Context(actor=users["clerk"]), data=data)
    assert created
    assert petition.number.endswith("-000001")
    assert petition.events.count() == 1
