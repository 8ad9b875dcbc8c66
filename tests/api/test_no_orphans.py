"""No petition is orphaned by its own firewall (issue 8, item 3; Rules 4.1, 4.3, 4.4).

Involving the petition office, a unit above it (the top unit), or the first responder
in person hid the petition from the clerk who registered it, and involving every
reviewing leader's unit hid it from all of them. Such an involvement is refused with a
message, nothing is written, no number is used, and an Idempotency-Key retry gets the
same answer. The expectations are written out per unit of the demo organisation."""

import pytest

from tests.api.conftest import body
from xinfang.petitions.models import InvolvedUnit, NumberSequence, Petition

PETITIONS = "/api/v1/petitions"

# Involved units (demo codes) → the field refused, or None when the petition stays reachable.
# The clerk works in GENERAL (under OFFICE, under CPPCC); secgen in SECGEN, chair in CHAIR.
CASES = [
    (["CPPCC"], "involved_units"),  # the top unit: above everyone
    (["OFFICE"], "involved_units"),  # above the petition office
    (["GENERAL"], "involved_units"),  # the petition office itself
    (["SECGEN", "CHAIR"], "involved_units"),  # every reviewing leader
    (["SECGEN"], None),  # the principal leader can still review
    (["DEPUTY"], None),
    (["HOUSING", "POLICE"], None),
]


def numbers_used():
    return sum(NumberSequence.objects.values_list("last", flat=True))


@pytest.mark.parametrize("codes,refused", CASES)
def test_registration_refuses_an_involvement_that_hides_it_from_those_in_charge(
    api, demo_org, codes, refused
):
    _users, units = demo_org
    clerk = api("clerk", language="en")
    payload = body(involved_units=[units[c].pk for c in codes])
    before = (Petition.objects.count(), numbers_used())
    response = clerk.post(PETITIONS, payload, headers={"Idempotency-Key": "k-1"})
    if refused is None:
        assert response.status_code == 201, response.content[:300]
        number = response.json()["number"]
        assert clerk.get(f"{PETITIONS}/{number}").status_code == 200
        assert api("secgen").get(f"{PETITIONS}/{number}").status_code == 200 or "SECGEN" in codes
        return
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["errors"]) == [refused]
    assert "superior organ" in response.json()["errors"][refused][0]
    assert (Petition.objects.count(), numbers_used()) == before
    retry = clerk.post(PETITIONS, payload, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == 400


def test_the_first_responder_cannot_be_recorded_as_the_involved_person(api):
    response = api("clerk").post(PETITIONS, body(involved_persons=[{"name": "张丽", "user": "clerk"}]))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["involved_persons"]
    ok = api("clerk").post(PETITIONS, body(involved_persons=[{"name": "李强", "user": "clerk2"}]))
    assert ok.status_code == 201


def test_recording_the_office_as_involved_later_is_refused(api, demo_org):
    _users, units = demo_org
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body()).json()["number"]
    response = clerk.post(f"{PETITIONS}/{number}/actions/record_involvement", {"units": [units["CPPCC"].pk]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["units"]
    assert not InvolvedUnit.objects.filter(petition__number=number).exists()
    assert clerk.get(f"{PETITIONS}/{number}").status_code == 200
    fine = clerk.post(f"{PETITIONS}/{number}/actions/record_involvement", {"units": [units["POLICE"].pk]})
    assert fine.status_code == 200


def test_correcting_the_registration_cannot_orphan_it(api, demo_org):
    _users, units = demo_org
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body()).json()["number"]
    response = clerk.patch(f"{PETITIONS}/{number}", {"involved_units": [units["GENERAL"].pk]})
    assert response.status_code == 400
    assert not InvolvedUnit.objects.filter(petition__number=number).exists()
    assert clerk.get(f"{PETITIONS}/{number}").status_code == 200
