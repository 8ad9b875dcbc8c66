"""The ledger's masked personal data comes from the petitioners' sealed masked copy
(petitions/masking.py), not from opening the three sealed fields. Oracle: what the petition
page shows a reader without the right to see them (petitioner_rows, reveal=False), and for one
petitioner the masks written out by hand."""

import pytest
from django.db import connection

from xinfang.petitions.masking import fill_masked_copies, petitioner_rows
from xinfang.petitions.models import Petition, Petitioner
from xinfang.petitions.selectors import parse_filters
from xinfang.petitions.services.checks import PetitionerInput
from xinfang.reports.ledger import ledger_rows

pytestmark = pytest.mark.django_db

# Valid and odd values alike: PetitionerInput skips the registration's checks, as an old
# import or a future form might; the mask must treat them as the screen does.
PEOPLE = [
    [PetitionerInput("甲", "11010519491231002X", "13912345678", "四川省达州市通川区朝阳路1号")],
    [PetitionerInput("乙", "", "", "")],
    [PetitionerInput("丙", "1234567", "123456", "短")],  # shorter than the masks keep
    [PetitionerInput("丁", "", "02812345678", ""), PetitionerInput("戊", "11010519491231002X", "", "成都")],
    [PetitionerInput("己", "", "", "含<&>\"'的地址_x0041_很长很长")],
]


def _screen(user, petition) -> dict:
    """The ledger's cells as the petition page shows the same people (masked)."""
    people = petitioner_rows(user, petition, reveal=False)
    return {key: "、".join(p[key] for p in people if p[key]) for key in ("id_number", "phone", "address")} | {
        "petitioner": "、".join(p["name"] for p in people)
    }


def _ledger(user) -> dict:
    return {
        row["number"]: {k: row[k] for k in ("petitioner", "id_number", "phone", "address")}
        for row in ledger_rows(user, parse_filters({}))
    }


def test_ledger_masks_equal_the_screen_and_survive_a_refill(register, demo_org):
    users, _units = demo_org
    clerk = users["clerk"]
    petitions = [register(petitioners=people) for people in PEOPLE]
    anonymous = register(petitioners=[], anonymous=True)
    expected = {p.number: _screen(clerk, p) for p in [*petitions, anonymous]}
    # Written out: the mask keeps 4 + 4 of an ID number, 3 + 4 of a phone, 6 of an address.
    assert expected[petitions[0].number] == {
        "petitioner": "甲",
        "id_number": "1101**********002X",
        "phone": "139****5678",
        "address": "四川省达州市…",
    }
    assert expected[petitions[2].number]["id_number"] == "*******"
    assert expected[petitions[3].number]["phone"] == "028****5678"
    assert expected[anonymous.number] == {"petitioner": "", "id_number": "", "phone": "", "address": ""}
    assert _ledger(clerk) == expected

    # The migration's fill writes the same copies for rows that have none yet.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE petitions_petitioner SET masked = ''")
    assert fill_masked_copies(connection, batch=3) == Petitioner.objects.count()
    assert _ledger(clerk) == expected


def test_the_copy_follows_a_saved_change(register, demo_org):
    users, _units = demo_org
    petition = register()
    person = Petitioner.objects.get(petition=petition)
    person.phone = "13700001111"
    person.address = ""
    person.save()
    row = _ledger(users["clerk"])[petition.number]
    assert row["phone"] == "137****1111" and row["address"] == ""
    assert row == _screen(users["clerk"], Petition.objects.get(pk=petition.pk))
