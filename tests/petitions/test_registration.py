from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests.petitions.conftest import letter
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import correct_registration, register_petition

SHANGHAI = ZoneInfo("Asia/Shanghai")


def errors_of(data):
    with pytest.raises(InvalidInput) as caught:
        check_registration(data)
    return {k: [str(m) for m in v] for k, v in caught.value.errors.items()}


def test_registration_records_everything(register, demo_org):
    users, units = demo_org
    petition = register(involved_units=[units["HOUSING"].pk], important=True)
    year = timezone.localtime().year
    assert petition.number == f"XF-{year}-000001"
    assert petition.status == Status.REGISTERED
    assert petition.first_responder == users["clerk"]
    assert petition.important
    assert [iu.unit for iu in petition.involved_units.all()] == [units["HOUSING"]]
    petitioner = petition.petitioners.get()
    assert petitioner.id_number == "11010519491231002X"
    assert petitioner.id_number_index and petitioner.id_number_index != petitioner.id_number
    event = petition.events.get()
    assert event.action == "petition.registered"
    assert event.actor == users["clerk"]
    assert event.data["involved_units"] == [units["HOUSING"].pk]
    # The event log carries no personal data.
    assert "11010519491231002X" not in str(event.data) and "13800138000" not in str(event.data)


def test_numbers_are_consecutive(register):
    numbers = [register().number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_the_office_new_year_opens_a_new_numbering(register):
    # 00:30 on 1 January in the office is still 31 December in UTC: the number belongs to the
    # office's new year, and its serial starts again.
    with time_machine.travel(datetime(2026, 12, 31, 23, 50, tzinfo=SHANGHAI), tick=False):
        last = register(received_at=datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI).isoformat())
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        first = register(received_at=datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI).isoformat())
    assert (last.number, first.number) == ("XF-2026-000001", "XF-2027-000001")


def test_deadlines_start_from_receipt_not_registration(register):
    received = datetime(2026, 1, 31, 10, 0, tzinfo=SHANGHAI)
    petition = register(received_at=received.isoformat())
    due = {d.name: d.due_at.astimezone(SHANGHAI) for d in petition.deadlines.all()}
    # Seven days end on Saturday February 7, a rest day: the period ends on Monday the 9th.
    assert due["handling"] == datetime(2026, 2, 9, 23, 59, 59, tzinfo=SHANGHAI)
    # One calendar month from January 31 ends on the last day of February (a make-up working day in 2026).
    assert due["reply"] == datetime(2026, 2, 28, 23, 59, 59, tzinfo=SHANGHAI)
    assert "superior_report" not in due


def test_superior_assigned_needs_sender_reference_and_due_date(demo_org, register):
    _users, units = demo_org
    assert set(errors_of(letter(channel="superior"))) == {
        "superior.unit",
        "superior.reference",
        "superior.due_date",
    }
    petition = register(
        channel="superior",
        superior={"unit": units["SUPERIOR"].pk, "reference": "达信交〔2026〕12号", "due_date": "2026-12-20"},
    )
    assert petition.superior_unit == units["SUPERIOR"]
    assert petition.deadlines.get(name="superior_report").due_at.astimezone(SHANGHAI).date().isoformat() == (
        "2026-12-20"
    )


def test_superior_must_be_a_superior_organ(demo_org):
    _users, units = demo_org
    errors = errors_of(
        letter(
            channel="superior",
            superior={"unit": units["HOUSING"].pk, "reference": "x", "due_date": "2026-12-20"},
        )
    )
    assert list(errors) == ["superior.unit"]


def test_visits_and_calls_need_a_reception_record(register, demo_org):
    users, _units = demo_org
    assert list(errors_of(letter(channel="visit"))) == ["reception.notes"]
    petition = register(
        channel="call", reception={"notes": "来电反映路灯问题", "explained": "解释了维修流程", "visitors": 1}
    )
    assert petition.reception.notes == "来电反映路灯问题"
    assert petition.reception.received_by == users["clerk"]
    assert list(errors_of(letter(reception={"notes": "x"}))) == ["reception"]


def test_group_petition_flag(register):
    people = [{"name": f"村民{i}"} for i in range(5)]
    assert register(petitioners=people).is_group
    assert not register(petitioners=people[:4]).is_group


def test_repeat_petitions_are_linked(register):
    first = register()
    other = register(petitioners=[{"name": "赵六", "phone": "13900139000"}])
    again = register()
    assert list(again.repeat_of.all()) == [first]
    assert again.events.get().data["repeat_of"] == [first.number]
    assert not other.repeat_of.exists()


def test_anonymous_petitions_need_no_petitioner(register):
    assert list(errors_of(letter(petitioners=[]))) == ["petitioners"]
    assert register(petitioners=[], anonymous=True).petitioners.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"received_at": "2026-02-30T10:00:00+08:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": (timezone.now() + timedelta(days=1)).isoformat()}, "received_at"),
        ({"received_at": "1980-01-01T10:00:00+08:00"}, "received_at"),
        ({"title": ""}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"content": "   "}, "content"),
        ({"category": "nonsense"}, "category"),
        ({"category": 7}, "category"),
        ({"petitioners": [{"name": "王五", "id_number": "110105194912310021"}]}, "petitioners.0.id_number"),
        ({"petitioners": [{"name": "王五", "phone": "12345"}]}, "petitioners.0.phone"),
        ({"petitioners": [{"name": ""}]}, "petitioners.0.name"),
        ({"petitioners": "王五"}, "petitioners"),
        (
            {
                "petitioners": [
                    {"name": "甲", "id_number": "11010519491231002X"},
                    {"name": "乙", "id_number": "11010519491231002X"},
                ]
            },
            "petitioners.1.id_number",
        ),
        ({"involved_units": [999999]}, "involved_units"),
        ({"involved_units": ["abc"]}, "involved_units"),
        ({"involved_units": [2**70]}, "involved_units"),
        ({"involved_units": [True]}, "involved_units"),
        ({"involved_persons": [{"name": "某科长", "unit": 2**64}]}, "involved_persons.0.unit"),
        ({"involved_persons": [{"name": "某科长", "unit": 999999}]}, "involved_persons.0.unit"),
        (
            {"channel": "superior", "superior": {"unit": 999999, "reference": "x", "due_date": "2026-12-20"}},
            "superior.unit",
        ),
        ({"involved_persons": [{"name": "某科长", "user": "nobody"}]}, "involved_persons.0.user"),
        ({"important": "maybe"}, "important"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_bad_input_is_refused_field_by_field(demo_org, overrides, field):
    assert field in errors_of(letter(**overrides))


def test_bad_input_changes_nothing(demo_org):
    with pytest.raises(InvalidInput):
        check_registration(letter(title=""))
    assert not Petition.objects.exists()


def test_messages_follow_the_language(demo_org):
    from django.utils import translation

    with translation.override("en"):
        english = errors_of(letter(title=""))["title"][0]
    assert english == "This field is required."


def test_only_office_staff_register(demo_org):
    users, _units = demo_org
    data = check_registration(letter())
    for username in ("housing", "admin", "auditor"):
        with pytest.raises(Forbidden):
            register_petition(ctx=Context(actor=users[username]), data=data)
    assert not Petition.objects.exists()


def test_correction_while_registered_is_logged(register, demo_org):
    users, units = demo_org
    petition = register()
    corrected = correct_registration(
        ctx=Context(actor=users["clerk2"]),
        petition=petition,
        changes={"title": "小区路灯长期损坏", "involved_units": [units["HOUSING"].pk]},
    )
    assert corrected.title == "小区路灯长期损坏"
    event = corrected.events.order_by("-seq").first()
    assert event.action == "petition.corrected"
    assert event.actor == users["clerk2"]
    assert event.data["fields"] == ["title", "involved_units"]
    assert event.data["changes"]["title"] == {"old": "小区路灯损坏", "new": "小区路灯长期损坏"}


def test_correction_validates_the_whole_registration(register, demo_org):
    users, _units = demo_org
    petition = register()
    with pytest.raises(InvalidInput) as caught:
        correct_registration(
            ctx=Context(actor=users["clerk"]), petition=petition, changes={"channel": "visit"}
        )
    assert "reception.notes" in caught.value.errors
    with pytest.raises(InvalidInput):
        correct_registration(
            ctx=Context(actor=users["clerk"]), petition=petition, changes={"status": "closed"}
        )
    petition.refresh_from_db()
    assert petition.channel == "letter" and petition.status == Status.REGISTERED
    assert petition.events.count() == 1


def test_correction_personal_data_is_not_logged(register, demo_org):
    users, _units = demo_org
    petition = register()
    correct_registration(
        ctx=Context(actor=users["clerk"]),
        petition=petition,
        changes={"petitioners": [{"name": "王五", "phone": "13700137000"}]},
    )
    event = petition.events.order_by("-seq").first()
    assert event.data["fields"] == ["petitioners"]
    assert "13700137000" not in str(event.data)


def test_no_correction_after_registration_stage(register, demo_org):
    users, _units = demo_org
    petition = register()
    # Set up the later state directly: the workflow services that move it come later.
    Petition.objects.filter(pk=petition.pk).update(status=Status.PROPOSED)
    with pytest.raises(Conflict):
        correct_registration(
            ctx=Context(actor=users["clerk"]), petition=petition, changes={"title": "新标题"}
        )


@pytest.mark.parametrize(
    "channel", [*Channel.values, "fax", "", None, 7, ["letter"], {"letter": 1}, "LETTER", " letter"]
)
def test_a_channel_is_known_exactly_when_it_is_a_channels_code(demo_org, channel):
    """Reference: membership in Channel.values, the list the check tested before (an
    unhashable value is no code either, not an error)."""
    try:
        check_registration(letter(channel=channel))
        errors = {}
    except InvalidInput as refused:
        errors = refused.errors
    assert ("channel" in errors) == (channel not in Channel.values)


def test_a_given_date_decides_whether_a_birth_date_is_possible(demo_org):
    """A caller checking many registrations (the ledger import) gives the date once; it is the
    one an ID number's birth date is checked against, as timezone.localdate() is otherwise."""
    person = [{"name": "王五", "id_number": "11010519491231002X"}]  # born 1949-12-31
    check_registration(letter(petitioners=person))
    check_registration(letter(petitioners=person), today=date(1949, 12, 31))
    with pytest.raises(InvalidInput) as refused:
        check_registration(letter(petitioners=person), today=date(1949, 12, 30))
    assert "petitioners.0.id_number" in refused.value.errors
