"""A petition's references to other petitions pass the read policy (Rule 4.3, issue 8,
item 1). The scenario of the issue: 王五 complains about the police (petition A); his
next matter (B) is assigned to the police. The police handler reading B must not learn
that A exists: not from B's repeat flag, its merge record, its timeline, nor a count."""

import pytest

from tests.factories import letter_from_wang_wu
from xinfang.audit.services import Context
from xinfang.petitions.actions import perform


@pytest.fixture
def complaint_and_next_matter(demo_org):
    users, units = demo_org

    complaint = letter_from_wang_wu(
        users["clerk"], title="投诉派出所民警", involved_units=[units["POLICE"].pk]
    )
    matter = letter_from_wang_wu(users["clerk"], title="邻里纠纷")
    for action, body in (
        ("propose", {"opinion": "拟转公安"}),
        ("instruct", {"instruction": "同意"}),
        ("assign", {"assignments": [{"unit": units["POLICE"].pk, "role": "lead", "kind": "assignment"}]}),
    ):
        who = "secgen" if action == "instruct" else "clerk"
        perform(Context(actor=users[who]), matter, action, body)
    return users, complaint, matter


def texts(client, number):
    return [
        client.get(f"/api/v1/petitions/{number}").content.decode(),
        client.get(f"/api/v1/petitions/{number}/events").content.decode(),
        client.get(f"/petitions/{number}/").content.decode(),
    ]


def test_the_involved_unit_does_not_learn_of_the_complaint(client, complaint_and_next_matter):
    users, complaint, matter = complaint_and_next_matter
    client.force_login(users["police"])
    assert client.get(f"/api/v1/petitions/{matter.number}").json()["flags"]["repeat_of"] == []
    for text in texts(client, matter.number):
        assert complaint.number not in text


def test_the_office_still_sees_the_repeat(client, complaint_and_next_matter):
    users, complaint, matter = complaint_and_next_matter
    client.force_login(users["clerk"])
    assert client.get(f"/api/v1/petitions/{matter.number}").json()["flags"]["repeat_of"] == [complaint.number]
    assert all(complaint.number in text for text in texts(client, matter.number))


def test_a_hidden_repeat_merged_into_the_matter_shows_no_number(client, complaint_and_next_matter):
    users, complaint, matter = complaint_and_next_matter
    perform(Context(actor=users["clerk"]), complaint, "merge", {"into": matter.number})
    client.force_login(users["police"])
    for text in texts(client, matter.number):
        assert complaint.number not in text
    events = client.get(f"/api/v1/petitions/{matter.number}/events").json()
    assert [e["data"]["from"] for e in events if e["action"] == "petition.merged_in"] == [None]
    client.force_login(users["clerk"])
    assert complaint.number in client.get(f"/petitions/{matter.number}/").content.decode()
    # The merged petition's own page names the one it went into when that is visible.
    assert matter.number in client.get(f"/petitions/{complaint.number}/").content.decode()
