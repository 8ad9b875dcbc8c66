from xinfang.audit.chain import verify_petition_chain
from xinfang.audit.models import Event
from xinfang.audit.services import Context, append_event


def chain(petition):
    return list(Event.objects.filter(petition=petition).order_by("seq"))


def test_events_chain_and_verify(register, demo_org):
    users, _units = demo_org
    petition = register()
    append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": 1})
    events = chain(petition)
    assert [e.seq for e in events] == [1, 2]
    assert events[1].prev_hash == events[0].hash
    assert verify_petition_chain(events) == []


def test_edited_event_is_detected(register, demo_org, tamper):
    users, _units = demo_org
    petition = register()
    append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": 1})
    tamper(
        "UPDATE audit_event SET data = %s WHERE petition_id = %s AND seq = 1",
        ['{"number": "forged"}', petition.pk],
    )
    assert verify_petition_chain(chain(petition))


def test_removed_event_is_detected(register, demo_org):
    users, _units = demo_org
    petition = register()
    for n in range(2):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": n})
    events = chain(petition)
    del events[1]
    assert verify_petition_chain(events)


def test_reordered_events_are_detected(register, demo_org):
    users, _units = demo_org
    petition = register()
    for n in range(2):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {"n": n})
    events = chain(petition)
    events[1], events[2] = events[2], events[1]
    assert verify_petition_chain(events)


def test_hash_depends_on_the_key(register, settings):
    petition = register()
    events = chain(petition)
    settings.AUDIT_KEY = "another-key-" + "y" * 40
    assert verify_petition_chain(events)
