"""Registration seals the state of the rows it has just written without reading them back
(audit_state.describe_written, issue 9). The oracle is the read-back: `describe` of the stored
rows, which is what verify_audit compares with. Every shape the generator makes (all channels,
groups, anonymous letters, superior references with due dates, involved units and persons with
and without an account, reception records) must seal exactly what the database then holds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from tests.factories import generator, register
from xinfang.audit import state
from xinfang.audit.models import ChainCount, Event
from xinfang.petitions.audit_state import describe, describe_written
from xinfang.petitions.models import NumberSequence, Petition

pytestmark = pytest.mark.django_db


def _sealed_matches_rows(petition: Petition) -> None:
    sealed = Event.objects.get(petition=petition, seq=1).state
    read_back = describe([petition.pk])[petition.pk]
    assert sealed == state.digest(read_back)
    assert sealed == state.digests([petition.pk])[petition.pk]


def test_every_generated_shape_seals_what_is_stored(demo_org):
    users, units = demo_org
    gen = generator(7)
    channels = set()
    for _ in range(40):
        data = gen.registration()
        channels.add(data["channel"])
        _sealed_matches_rows(register(users["clerk"], data))
    # The sample covers the shapes that differ in what is written.
    assert {"letter", "visit", "superior"} <= channels


def test_involved_parties_and_an_office_time_zone_receipt(demo_org):
    users, units = demo_org
    data = generator(8).registration()
    data.update(
        channel="visit",
        anonymous=False,
        # Microseconds and the office's zone: stored in UTC, described the same way.
        received_at=datetime(2026, 3, 1, 9, 30, 12, 123456, tzinfo=ZoneInfo("Asia/Shanghai")).isoformat(),
        involved_units=[units["HOUSING"].pk, units["LABOUR"].pk],
        involved_persons=[
            {"name": "赵敏", "unit": units["HOUSING"].pk, "user": "housing"},
            {"name": "钱某", "unit": units["LABOUR"].pk, "user": None},
        ],
        reception={"notes": "两人来访。", "explained": "已解释。", "visitors": 2},
    )
    data.pop("superior", None)
    petition = register(users["clerk"], data)
    _sealed_matches_rows(petition)
    petitioners = list(petition.petitioners.all())
    in_memory = describe_written(
        petition,
        petitioners=petitioners,
        involved_units=list(petition.involved_units.all()),
        involved_persons=list(petition.involved_persons.all()),
    )
    assert in_memory == describe([petition.pk])[petition.pk]


def test_a_changed_row_no_longer_matches_the_seal(demo_org, tamper):
    # The check above can fail: the same comparison after an edit around the application.
    users, _units = demo_org
    petition = register(users["clerk"], generator(9).registration())
    tamper("UPDATE petitions_petition SET title = %s WHERE id = %s", ["改过的标题", petition.pk])
    assert Event.objects.get(petition=petition, seq=1).state != state.digests([petition.pk])[petition.pk]


def test_chain_count_and_verify_after_registrations(demo_org):
    users, _units = demo_org
    gen = generator(10)
    petitions = [register(users["clerk"], gen.registration()) for _ in range(5)]
    counter = ChainCount.objects.get(pk=1)
    assert counter.count == Petition.objects.count()
    assert counter.last_petition_id == petitions[-1].pk
    call_command("verify_audit")


def test_a_seventh_digit_is_kept(demo_org, settings):
    # The number is written into the petition by the statement that takes it (PostgreSQL):
    # a serial past 999999 must not lose a digit to the padding.
    users, _units = demo_org
    first = register(users["clerk"], generator(11).registration())
    NumberSequence.objects.filter(year=first.year).update(last=999_999)
    petition = register(users["clerk"], generator(12).registration())
    stored = Petition.objects.values_list("number", "serial").get(pk=petition.pk)
    assert stored == (f"{settings.NUMBER_PREFIX}-{first.year}-1000000", 1_000_000)
    assert (petition.number, petition.serial) == stored
    call_command("verify_audit")
