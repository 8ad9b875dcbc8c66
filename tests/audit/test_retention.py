"""Retention of events: a chain whose oldest events were dropped still verifies from its
sealed checkpoint, and a removal made around the application still shows (LG-3).

The verifier's side runs on both databases (events removed by hand stand in for a
dropped month); dropping months is PostgreSQL's (tests/audit/test_partitions.py)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from xinfang.audit.chain import checkpoint_mac, verify_petition_chain
from xinfang.audit.models import ChainCheckpoint, Event
from xinfang.audit.services import Context, append_event


@pytest.fixture
def long_chain(register, demo_org):
    users, _units = demo_org
    petition = register()
    for n in range(4):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": n})
    return petition  # events 1..5


def sealed_at(petition, seq, **changes):
    """The checkpoint retention would write after dropping events 1..seq."""
    last = Event.objects.get(petition=petition, seq=seq)
    checkpoint = ChainCheckpoint(
        petition=petition, seq=seq, hash=last.hash, state=last.state, cut=timezone.now()
    )
    for name, value in changes.items():
        setattr(checkpoint, name, value)
    checkpoint.mac = checkpoint_mac(checkpoint)
    return checkpoint


def events(petition):
    return list(Event.objects.filter(petition=petition).order_by("seq"))


def test_the_rest_of_a_chain_verifies_from_its_checkpoint(long_chain):
    kept = events(long_chain)[2:]
    assert verify_petition_chain(kept, sealed_at(long_chain, 2)) == []
    # Without the checkpoint the same events are a chain with its start cut off.
    assert verify_petition_chain(kept)


def test_a_checkpoint_that_does_not_match_the_chain_is_caught(long_chain):
    kept = events(long_chain)[2:]
    # Sealed at the wrong place (as if event 3 had been dropped too): the sequence shows it.
    assert verify_petition_chain(kept, sealed_at(long_chain, 3))
    # Sealed with the right key over another hash: the link to event 3 breaks.
    assert verify_petition_chain(kept, sealed_at(long_chain, 2, hash="f" * 64))
    # Moved without the key: its seal no longer matches.
    moved = sealed_at(long_chain, 2)
    moved.seq = 1
    assert "wrong seal" in verify_petition_chain(kept, moved)[0]


def test_verify_audit_passes_after_retention_and_catches_what_retention_would_not_do(long_chain, tamper):
    sealed_at(long_chain, 2).save()
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq <= 2", [long_chain.pk])
    call_command("verify_audit")
    # One more event dropped than the checkpoint says: caught.
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq = 3", [long_chain.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_removing_the_checkpoint_shows(long_chain, tamper):
    sealed_at(long_chain, 2).save()
    tamper("DELETE FROM audit_event WHERE petition_id = %s AND seq <= 2", [long_chain.pk])
    call_command("verify_audit")
    tamper("DELETE FROM audit_chaincheckpoint WHERE petition_id = %s", [long_chain.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_chain_dropped_whole_verifies_and_goes_on(long_chain, tamper, demo_org, tmp_path):
    users, _units = demo_org
    saved = tmp_path / "heads.json"
    call_command("verify_audit", "--export-head", str(saved))
    sealed_at(long_chain, 5).save()
    tamper("DELETE FROM audit_event WHERE petition_id = %s", [long_chain.pk])
    call_command("verify_audit", "--against", str(saved))
    # The next event continues the chain from the checkpoint, not from a new genesis.
    event = append_event(long_chain, Context(actor=users["clerk"]), "petition.noted", {"n": 9})
    assert event.seq == 6
    assert event.prev_hash == ChainCheckpoint.objects.get(petition=long_chain).hash
    call_command("verify_audit", "--against", str(saved))


def test_a_whole_chain_removed_with_its_checkpoint_shows(long_chain, tamper):
    sealed_at(long_chain, 5).save()
    tamper("DELETE FROM audit_event WHERE petition_id = %s", [long_chain.pk])
    tamper("DELETE FROM audit_chaincheckpoint WHERE petition_id = %s", [long_chain.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")
