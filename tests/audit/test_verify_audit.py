"""manage.py verify_audit detects an edited, deleted, inserted, reordered or truncated
event (LG-3); on PostgreSQL the database refuses to change events at all."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from xinfang.audit.chain import GENESIS, compute_hash
from xinfang.audit.models import AccessLog, ChainHead, Event
from xinfang.audit.services import Context, append_event


@pytest.fixture
def chain(register, demo_org):
    users, _units = demo_org
    petition = register()
    for n in range(3):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": n})
    register()  # a second petition, untouched
    return petition


def verify(*args):
    call_command("verify_audit", *args)


def refused(*args):
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", *args)
    return str(caught.value)


def test_intact_trail_verifies(chain):
    verify()


def test_edited_event(chain, tamper):
    tamper("UPDATE audit_event SET data = %s WHERE petition_id = %s AND seq = 2", ['{"n": 99}', chain.pk])
    assert "problem" in refused()


def test_deleted_event(chain, tamper):
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq = 2", [chain.pk])
    refused()


def test_inserted_event(chain, tamper, demo_org):
    users, _units = demo_org
    tamper("UPDATE audit_event SET seq = seq + 10 WHERE petition_id = %s AND seq >= 3", [chain.pk])
    forged = Event(
        petition=chain,
        seq=3,
        at=Event.objects.get(petition=chain, seq=2).at,
        actor=users["clerk"],
        action="petition.noted",
        data={"n": "forged"},
        source="web",
        prev_hash=GENESIS,
    )
    forged.hash = compute_hash(forged.prev_hash, forged)
    forged.save()
    refused()


def test_reordered_events(chain, tamper):
    tamper("UPDATE audit_event SET seq = 100 WHERE petition_id = %s AND seq = 2", [chain.pk])
    tamper("UPDATE audit_event SET seq = 2 WHERE petition_id = %s AND seq = 3", [chain.pk])
    tamper("UPDATE audit_event SET seq = 3 WHERE petition_id = %s AND seq = 100", [chain.pk])
    refused()


def test_truncated_chain(chain, tamper):
    """The chain alone cannot show a cut-off end; the sealed head does."""
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq = 4", [chain.pk])
    assert "problem" in refused()


def test_truncation_that_rewrites_the_head_is_caught_by_the_seal(chain, tamper):
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq = 4", [chain.pk])
    last = Event.objects.get(petition=chain, seq=3)
    ChainHead.objects.filter(petition=chain).update(seq=3, hash=last.hash)  # no key: the seal stays old
    refused()


def test_exported_heads_catch_a_rewrite_with_the_key(chain, tamper, tmp_path, settings):
    """Even someone holding the key is caught by heads saved outside the database."""
    saved = tmp_path / "heads.json"
    verify("--export-head", str(saved))
    assert json.loads(saved.read_text())["heads"][str(chain.pk)][0] == 4
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq = 4", [chain.pk])
    from xinfang.audit.chain import head_mac

    last = Event.objects.get(petition=chain, seq=3)
    ChainHead.objects.filter(petition=chain).update(
        seq=3, hash=last.hash, mac=head_mac(chain.pk, 3, last.hash)
    )
    verify()  # consistent again from inside the database…
    assert "gone or changed" in refused("--against", str(saved))  # …but not with the saved heads


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_events(chain):
    for sql in (
        "UPDATE audit_event SET action = 'x' WHERE petition_id = %s",
        "DELETE FROM audit_event WHERE petition_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [chain.pk])
    assert Event.objects.filter(petition=chain).count() == 4


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger is PostgreSQL's")
def test_postgresql_keeps_access_log_entries(chain, client):
    client.post("/accounts/login/", {"username": "clerk", "password": "nope"})
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.update(action="x")
