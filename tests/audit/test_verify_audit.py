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


# --- The chain covers the state it records (issue 8, "Audit chain coverage") -------------
# Each case edits what the events describe, not the events; verify_audit (without
# --against) must catch every one.


def test_changed_status(chain, tamper):
    tamper("UPDATE petitions_petition SET status = 'closed' WHERE id = %s", [chain.pk])
    assert "no longer match" in refused()


def test_changed_title(chain, tamper):
    tamper("UPDATE petitions_petition SET title = '无事' WHERE id = %s", [chain.pk])
    assert "no longer match" in refused()


def test_deleted_involved_unit_the_firewall_itself(register, demo_org, tamper):
    _users, units = demo_org
    petition = register(involved_units=[units["POLICE"].pk])
    verify()
    tamper("DELETE FROM petitions_involvedunit WHERE petition_id = %s", [petition.pk])
    assert "no longer match" in refused()


def test_edited_request_id(chain, tamper):
    tamper("UPDATE audit_event SET request_id = 'forged' WHERE petition_id = %s AND seq = 2", [chain.pk])
    assert "does not match its hash" in refused()


def _delete_petition_entirely(petition, tamper):
    from xinfang.petitions.models import Petition

    relations = [
        f for f in Petition._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete
    ]
    for relation in relations:
        if relation.many_to_many:
            continue
        table, column = relation.related_model._meta.db_table, relation.field.column
        tamper(f"DELETE FROM {table} WHERE {column} = %s", [petition.pk])  # noqa: S608 - names from the models
    tamper(
        "DELETE FROM petitions_petition_repeat_of WHERE from_petition_id = %s OR to_petition_id = %s",
        [petition.pk, petition.pk],
    )
    tamper("DELETE FROM petitions_petition WHERE id = %s", [petition.pk])


@pytest.mark.parametrize("which", ["older", "newest"])
def test_a_whole_petition_deleted_without_saved_heads(chain, register, tamper, which):
    newest = register()
    _delete_petition_entirely(chain if which == "older" else newest, tamper)
    assert "removed" in refused() or "is gone" in refused()


def test_a_procedure_run_through_the_services_verifies(register, demo_org):
    """Every service appends its event after writing, so the sealed state is the state."""
    from xinfang.petitions.actions import perform

    users, units = demo_org
    petition = register()
    steps = [
        ("clerk", "flag_urgent", {"reason": "紧急"}),
        ("clerk", "record_involvement", {"units": [units["POLICE"].pk]}),
        ("clerk", "propose", {"opinion": "拟转", "important": True}),
        ("secgen", "instruct", {"instruction": "同意"}),
        ("chair", "instruct", {"instruction": "同意"}),
        ("clerk", "assign", {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]}),
        ("housing", "submit_result", {"findings": "属实", "result": "已修复"}),
        ("housing", "sign_off", {"password": "demo-pass-2026"}),
        ("deputy", "sign_off", {"password": "demo-pass-2026"}),
        ("clerk", "reply", {"method": "written", "content": "已答复"}),
        ("clerk", "close", {"outcome": "已解决"}),
        ("clerk", "archive", {"archive_number": "DA-2026-1"}),
    ]
    for who, action, body in steps:
        perform(Context(actor=users[who]), petition, action, body)
        verify()
    repeat = register()
    perform(Context(actor=users["clerk"]), repeat, "merge", {"into": register().number})
    verify()
