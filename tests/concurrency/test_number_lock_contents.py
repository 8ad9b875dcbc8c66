"""What runs while the year's number is locked (issue 9: the lock ≤ 3 ms).

Between the statement that takes the number and the COMMIT, only what needs the number may run:
the search document's grams around it, the substitution of the number into the event and its
sealed state, and the HMACs. On PostgreSQL the last statement is sent with the COMMIT (pipeline
mode) when the registration's own block commits. These tests commit for real, as
test_numbering.py does.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from tests.concurrency.test_numbering import assert_gapless
from tests.factories import generator, register
from xinfang.audit import chain, state
from xinfang.audit.models import Event
from xinfang.petitions import audit_state, numbering
from xinfang.petitions.hooks import petition_numbered
from xinfang.petitions.models import NumberSequence, Petition
from xinfang.petitions.services import registration
from xinfang.search import index
from xinfang.search.models import SearchDocument
from xinfang.search.text import document_grams

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_full_serialisation_or_grams_while_the_number_is_locked(demo_org):
    # Before: the whole sealed state was described and serialised, the whole event hashed and
    # the search document's every gram computed and sorted after the number was taken.
    users, _units = demo_org
    locked = []
    calls_in_lock = []
    real_allocate = registration.allocate_number

    def allocate(*args, **kwargs):
        answer = real_allocate(*args, **kwargs)
        locked.append(True)
        return answer

    def watch(module, name):
        real = getattr(module, name)

        def watched(*args, **kwargs):
            if locked:
                calls_in_lock.append(name)
            return real(*args, **kwargs)

        return mock.patch.object(module, name, watched)

    with (
        mock.patch.object(registration, "allocate_number", allocate),
        watch(registration, "describe_written"),
        watch(audit_state, "describe_written"),
        watch(state, "digest"),
        watch(chain, "compute_hash"),
        watch(chain, "canonical"),
        watch(index, "grams_literal"),
    ):
        petition = register(users["clerk"], generator(51).registration())
    assert locked and calls_in_lock == []
    # What was prepared before the lock is what the rows and the chain say.
    call_command("verify_audit")
    body = SearchDocument.objects.get(petition=petition).body
    assert petition.number.casefold() in body
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT grams FROM search_searchdocument WHERE petition_id = %s", [petition.pk])
            assert sorted(cursor.fetchone()[0]) == sorted(document_grams(body))


def test_registrations_sent_with_their_commit_verify_and_stay_gapless(demo_org):
    users, _units = demo_org
    gen = generator(52)
    petitions = [register(users["clerk"], gen.registration()) for _ in range(5)]
    assert [p.serial for p in petitions] == [1, 2, 3, 4, 5]
    if connection.vendor == "postgresql":
        assert connection.connection._pipeline is None  # left after each commit
    for petition in petitions:
        event = Event.objects.get(petition=petition)
        assert event.data["number"] == petition.number
        assert Petition.objects.get(pk=petition.pk).number == petition.number
    call_command("verify_audit")
    assert_gapless(5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode is PostgreSQL's")
def test_a_last_statement_failing_at_the_commit_gives_the_number_back(demo_org):
    # The statement sent with the COMMIT fails only when the COMMIT's answer arrives: the
    # transaction must roll back as a failure of the statement itself would have, and the
    # connection must leave pipeline mode.
    users, _units = demo_org
    gen = generator(53)
    register(users["clerk"], gen.registration())
    year = NumberSequence.objects.get().year

    def duplicate(sender, **kwargs):
        # A write that breaks the number's unique row: known to fail only when it runs.
        return (
            "INSERT INTO petitions_numbersequence (prefix, year, last) VALUES (%s, %s, 0)",
            [NumberSequence.objects.get().prefix, year],
        )

    petition_numbered.connect(duplicate, dispatch_uid="test.duplicate")
    sent = []
    real_send = numbering.send_with_commit
    try:
        with (
            mock.patch.object(registration, "send_with_commit", lambda: sent.append(1) or real_send()),
            pytest.raises(IntegrityError),
        ):
            register(users["clerk"], gen.registration())
    finally:
        petition_numbered.disconnect(dispatch_uid="test.duplicate")
    assert sent == [1]
    # Left, or closed by Django when the ROLLBACK after the failed COMMIT failed too.
    assert connection.connection is None or connection.connection._pipeline is None
    assert not connection.in_atomic_block
    assert Petition.objects.count() == 1
    assert NumberSequence.objects.get().last == 1
    assert register(users["clerk"], gen.registration()).serial == 2
    call_command("verify_audit")
    assert_gapless(2)


def test_inside_an_outer_block_nothing_is_sent_with_a_later_commit(demo_org):
    # A door that writes more in the same transaction (the page's attachments) commits later:
    # its statements must be answered as they run, so no pipeline mode there.
    users, _units = demo_org
    with transaction.atomic():
        register(users["clerk"], generator(54).registration())
        if connection.vendor == "postgresql":
            assert connection.connection._pipeline is None
        assert Petition.objects.count() == 1
    call_command("verify_audit")
    assert_gapless(1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite checks each reference as it is written")
def test_references_written_before_the_number_are_checked_before_it_is_taken(demo_org):
    # Django's foreign keys are checked at the COMMIT (deferred), which runs while the number is
    # locked: some 30 to 60 look-ups for the rows a registration writes before the number. They
    # must run before the number is taken: a dangling reference written before it is refused
    # by the number's statement, not by the COMMIT after it.
    from xinfang.petitions.hooks import petition_text_changed

    users, _units = demo_org

    def dangling(sender, *, petition, **kwargs):
        with connection.cursor() as cursor:  # shingles of a petition that does not exist
            cursor.execute(
                "INSERT INTO search_mattershingles (petition_id, codes) VALUES (%s, '\\x00')",
                [petition.pk + 10**9],
            )

    outcomes = []
    real_allocate = registration.allocate_number

    def allocate(*args, **kwargs):
        try:
            answer = real_allocate(*args, **kwargs)
        except IntegrityError:
            outcomes.append("refused")
            raise
        outcomes.append("taken")
        return answer

    petition_text_changed.connect(dangling, dispatch_uid="test.dangling")
    try:
        with mock.patch.object(registration, "allocate_number", allocate), pytest.raises(IntegrityError):
            register(users["clerk"], generator(55).registration())
    finally:
        petition_text_changed.disconnect(dispatch_uid="test.dangling")
    assert outcomes == ["refused"]
    assert not Petition.objects.exists()
    assert register(users["clerk"], generator(56).registration()).serial == 1
    call_command("verify_audit")
    assert_gapless(1)
