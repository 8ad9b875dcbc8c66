"""What the petition page reads (issue 9, round 10) and what it shows each reader (Rule 4.3).

The page asks in the petition's own statement which of its often empty relations have rows and
reads only those; the petition row is found through visible_to as a subquery; the timeline is
not asked again about petition numbers the page has just read through visible_to. These tests
check that it still has in hand exactly what the tables hold (plain reads as the oracle), that a
relation costs a statement only when it has rows, and that every reader is shown exactly the
references a hand-written matrix says they may see.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import WANG_WU, letter_from_wang_wu
from tests.web.conftest import PDF_BYTES
from xinfang.audit.services import Context
from xinfang.deadlines.models import Supervision
from xinfang.deadlines.services import issue_supervision
from xinfang.documents.generation import generate
from xinfang.documents.models import Attachment, GeneratedDocument
from xinfang.documents.services import add_attachment
from xinfang.petitions import references
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import has_rows, petition_detail

NUMBER = re.compile(r"XF-\d{4}-\d{6}")


def _main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def _statements(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
        return len(captured)


# The relations the page reads only when they have rows, and a plain read of each (the oracle).
RELATIONS = (
    "assignments",
    "repeat_of",
    "involved_units",
    "involved_persons",
    "attachments",
    "proposals",
    "instructions",
    "results",
    "replies",
    "reports",
    "coordinations",
    "persuasions",
    "police_referrals",
)


def test_the_page_has_in_hand_what_each_relation_holds(drive, demo_org, client_for):
    users, units = demo_org
    clerk = users["clerk"]
    rich = drive("assigned", involved_units=[units["POLICE"].pk])
    issue_supervision(
        ctx=Context(actor=clerk),
        petition=rich,
        unit=units["HOUSING"],
        kind="reminder",
        message="请尽快办理",
        due_date=timezone.localdate() + timedelta(days=3),
    )
    add_attachment(ctx=Context(actor=clerk), petition=rich, upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    registered = drive("registered", involved_persons=[{"name": "某人", "unit": units["LABOUR"].pk}])
    document = generate(ctx=Context(actor=clerk), petition=registered, data={"type": "registration_form"})
    petitions = [
        rich,
        registered,
        drive("registered", petitioners=[WANG_WU]),
        drive("registered", petitioners=[WANG_WU]),
    ]
    petitions += [drive(state) for state in ("reported", "persuaded", "referred_to_police", "archived")]
    for petition in petitions:
        read = petition_detail(clerk, petition.number, records=True)
        fresh = Petition.objects.get(pk=petition.pk)
        for name in RELATIONS:
            expected = sorted(getattr(fresh, name).values_list("pk", flat=True))
            assert sorted(row.pk for row in getattr(read, name).all()) == expected, (petition.status, name)
        # A relation the statement did not ask about is never said to be empty: its reader reads.
        assert has_rows(read, "petitioners") and has_rows(fresh, "supervisions")
        # The capabilities' relations: read by their panels only when the page found rows.
        assert has_rows(read, "supervisions") == Supervision.objects.filter(petition=petition).exists()
        assert (
            has_rows(read, "official_documents")
            == GeneratedDocument.objects.filter(petition=petition).exists()
        )
    assert Attachment.objects.filter(petition=rich).exists() and rich.involved_units.exists()
    assert "请尽快办理" in client_for("clerk").get(f"/petitions/{rich.number}/").content.decode()
    assert document.reference in client_for("clerk").get(f"/petitions/{registered.number}/").content.decode()


def test_a_relation_costs_a_statement_only_when_it_has_rows(make_petition, demo_org, client_for):
    """Written-out expectations: a registered petition without parties reads 7 statements
    (the session with its user, the petition, its petitioners and deadlines, the access log entry, the
    timeline, the header's count); each relation with rows adds its one read."""
    users, units = demo_org
    plain = make_petition()
    with_party = make_petition(involved_units=[units["HOUSING"].pk])
    with_party_and_person = make_petition(
        involved_units=[units["HOUSING"].pk], involved_persons=[{"name": "某人", "unit": units["LABOUR"].pk}]
    )
    with_attachment = make_petition()
    add_attachment(
        ctx=Context(actor=users["clerk"]),
        petition=with_attachment,
        upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
    )
    first = make_petition(petitioners=[WANG_WU])
    repeat = make_petition(petitioners=[WANG_WU])
    assert list(repeat.repeat_of.all()) == [first]
    client = client_for("clerk")
    expected = {plain: 7, with_party: 8, with_party_and_person: 9, with_attachment: 8, first: 7, repeat: 8}
    # The repeat's registration names the earlier petition, which its repeat links were read with:
    # the timeline asks nothing more about it.
    assert {p.number: _statements(client, f"/petitions/{p.number}/") for p in expected} == {
        p.number: n for p, n in expected.items()
    }


@pytest.fixture
def repeats(demo_org):
    """王五's three petitions: E (earlier, assigned to the housing bureau), C (a complaint about
    the police: the police is involved) and M (his next matter, a repeat of both, assigned to the
    police as lead and to the housing bureau as assisting unit)."""
    users, units = demo_org

    def assign(petition, assignments):
        for actor, action, body in (
            ("clerk", "propose", {"opinion": "拟转办"}),
            ("secgen", "instruct", {"instruction": "同意"}),
            ("clerk", "assign", {"assignments": assignments}),
        ):
            perform(Context(actor=users[actor]), petition, action, body)

    earlier = letter_from_wang_wu(users["clerk"], title="早先的事项")
    assign(earlier, [{"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment"}])
    complaint = letter_from_wang_wu(
        users["clerk"], title="投诉派出所民警", involved_units=[units["POLICE"].pk]
    )
    matter = letter_from_wang_wu(users["clerk"], title="邻里纠纷")
    assign(
        matter,
        [
            {"unit": units["POLICE"].pk, "role": "lead", "kind": "assignment"},
            {"unit": units["HOUSING"].pk, "role": "assist", "kind": "assignment"},
        ],
    )
    assert set(matter.repeat_of.all()) == {earlier, complaint}
    return earlier, complaint, matter


# Which of E and C each reader is shown on M's page (None: M itself is not found), decided by
# hand from Rule 4.3 and the assignments: the office sees both; the housing bureau sees E (its own
# assignment) but not C (not assigned to it); the police sees neither (C names the police, E is
# not assigned to it); the labour bureau holds no assignment of M; administrators read nothing.
SHOWN = {
    "clerk": {"E", "C"},
    "clerk2": {"E", "C"},
    "secgen": {"E", "C"},
    "deputy": {"E", "C"},
    "chair": {"E", "C"},
    "housing": {"E"},
    "police": set(),
    "labour": None,
    "auditor": None,
    "admin": None,
}


@pytest.mark.parametrize("username", sorted(SHOWN))
def test_each_reader_is_shown_exactly_the_references_they_may_see(repeats, client_for, monkeypatch, username):
    earlier, complaint, matter = repeats
    letters = {earlier.number: "E", complaint.number: "C"}
    asked = []

    def spy(user, numbers):  # the real check, recording what the timeline asked about
        numbers = set(numbers)
        asked.append({letters[n] for n in numbers})
        return real(user, numbers)

    real = references.visible_numbers
    monkeypatch.setattr(references, "visible_numbers", spy)
    response = client_for(username).get(f"/petitions/{matter.number}/")
    if SHOWN[username] is None:
        assert response.status_code == 404 and earlier.number not in response.content.decode()
        return
    assert response.status_code == 200
    shown = {letters[n] for n in set(NUMBER.findall(_main(response))) - {matter.number}}
    assert shown == SHOWN[username]
    # The registration event names E and C; the timeline asks only about those the repeat links
    # (read through visible_to) did not show.
    assert asked == ([{"E", "C"} - SHOWN[username]] if SHOWN[username] != {"E", "C"} else [])


def test_a_merge_into_a_hidden_petition_shows_no_number(make_petition, demo_org, client_for):
    """X is merged into Y, which involves the Secretary-General's unit: the clerk is shown Y's
    number; the Secretary-General sees X but only that it went into a petition he may not see."""
    users, units = demo_org
    target = make_petition(involved_units=[units["SECGEN"].pk])
    merged = make_petition()
    perform(Context(actor=users["clerk"]), merged, "merge", {"into": target.number})
    clerk_page = client_for("clerk").get(f"/petitions/{merged.number}/")
    assert f'<a href="/petitions/{target.number}/">{target.number}</a>' in _main(clerk_page)
    secgen_page = client_for("secgen").get(f"/petitions/{merged.number}/")
    assert secgen_page.status_code == 200
    assert target.number not in secgen_page.content.decode()
    assert "另一件您无权查看的信访事项" in _main(secgen_page)
    assert client_for("secgen").get(f"/petitions/{target.number}/").status_code == 404
