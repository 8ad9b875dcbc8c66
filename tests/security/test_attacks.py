"""Attack cases from incidents in ticketing systems (REFERENCES.md B): script in titles
and names, javascript: links, forged internal fields in API bodies, and canary
personal data that must appear in no log, URL or error page."""

import logging
import re

import pytest
from django.test import Client

from tests.api.conftest import body
from xinfang.accounts.models import ApiToken
from xinfang.petitions.models import Petition

CANARY_ID = "11010519491231002X"
CANARY_PHONE = "13912345678"
PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><a href="javascript:alert(3)">x</a>'


@pytest.fixture
def api_clerk(demo_org):
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(demo_org[0]['clerk'])[1]}")


def test_script_in_titles_and_names_is_inert_everywhere(api_clerk, client, demo_org):
    number = api_clerk.post(
        "/api/v1/petitions",
        body(
            title=PAYLOAD[:200],
            content=PAYLOAD,
            requests="javascript:alert(4)",
            petitioners=[{"name": "<b>王</b>", "work_unit": PAYLOAD[:100]}],
        ),
        content_type="application/json",
    ).json()["number"]
    client.force_login(demo_org[0]["clerk"])
    for path in (f"/petitions/{number}/", "/petitions/", "/", f"/petitions/{number}/personal-data/"):
        html = client.get(path).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>王</b>" not in html, path
        assert 'href="javascript:' not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/petitions/{number}/").content.decode()


def test_forged_internal_fields_are_not_taken_from_the_body(api_clerk, demo_org):
    _users, units = demo_org
    forged = body(
        status="closed",
        number="XF-2026-999999",
        first_responder="secgen",
        serial=99,
        year=1999,
        archive_number="DA-1",
        outcome="已办结",
        assignments=[{"unit": units["HOUSING"].pk}],
    )
    created = api_clerk.post("/api/v1/petitions", forged, content_type="application/json").json()
    petition = Petition.objects.get(number=created["number"])
    assert petition.status == "registered" and petition.number != "XF-2026-999999"
    assert petition.first_responder.username == "clerk" and petition.year != 1999
    assert petition.archive_number == "" and petition.outcome == "" and not petition.assignments.exists()
    # Changing them afterwards is refused by name.
    response = api_clerk.patch(
        f"/api/v1/petitions/{petition.number}",
        {"status": "closed", "first_responder": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"status", "first_responder"}


def test_canary_personal_data_stays_out_of_logs_urls_and_error_pages(api_clerk, client, demo_org, caplog):
    caplog.set_level(logging.DEBUG)
    people = [{"name": "金丝雀", "id_number": CANARY_ID, "phone": CANARY_PHONE}]
    number = api_clerk.post(
        "/api/v1/petitions", body(petitioners=people), content_type="application/json"
    ).json()["number"]
    client.force_login(demo_org[0]["clerk"])
    pages = [
        client.get(path)
        for path in ("/", "/petitions/", f"/petitions/{number}/", f"/petitions/{number}/edit/")
    ]
    # Refusals and errors: a bad registration, a hidden petition, a refused action, a missing page.
    bad = api_clerk.post(
        "/api/v1/petitions",
        body(petitioners=[{"name": "x", "id_number": CANARY_ID[:-1] + "0", "phone": CANARY_PHONE + "9"}]),
        content_type="application/json",
    )
    assert bad.status_code == 400
    errors = [
        bad,
        client.get("/petitions/XF-1999-000001/"),
        Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(demo_org[0]['housing'])[1]}").get(
            f"/api/v1/petitions/{number}"
        ),
        api_clerk.post(
            f"/api/v1/petitions/{number}/actions/close", {"outcome": "x"}, content_type="application/json"
        ),
    ]
    for response in errors:
        text = response.content.decode()
        assert CANARY_ID not in text and CANARY_PHONE not in text
    for response in pages:
        for url in re.findall(r'(?:href|action|hx-get|hx-post|src)="([^"]*)"', response.content.decode()):
            assert CANARY_ID not in url and CANARY_PHONE not in url, url
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged  # something was logged (refusals, bad requests)
    assert CANARY_ID not in logged and CANARY_PHONE not in logged
    from xinfang.audit.models import AccessLog, Event

    stored = " ".join(str(row) for row in AccessLog.objects.values_list()) + " ".join(
        str(e.data) for e in Event.objects.all()
    )
    assert CANARY_ID not in stored and CANARY_PHONE not in stored
