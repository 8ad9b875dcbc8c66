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


def test_a_hash_and_a_digest_prepared_before_their_values_equal_the_whole_ones(demo_org):
    # Registration hashes its event and digests its state before the number is known
    # (chain.hash_later, state.digest_later); the reference: the same computed on the finished
    # event and description.
    import datetime

    from xinfang.audit import state
    from xinfang.audit.chain import GENESIS, compute_hash, hash_later

    users, _units = demo_org
    number_slot, state_slot, serial_slot = "~5d1e", "~77ab", "~c0de"
    values = {number_slot: 'XF-2026-"000042', state_slot: "ab" * 32}
    data = {"number": number_slot, "title": '~5d1 电梯 "~5d1e"', "n": [1, 2]}
    event = Event(
        petition_id=7,
        seq=1,
        at=datetime.datetime(2026, 12, 1, 8, 30, tzinfo=datetime.UTC),
        actor=users["clerk"],
        action="petition.registered",
        data=dict(data),
        source="web",
        request_id="r-1",
        prev_hash=GENESIS,
        version=2,
        state=state_slot,
    )
    finish = hash_later(GENESIS, event, (number_slot, state_slot))
    event.data = {**data, "number": values[number_slot]}
    event.state = values[state_slot]
    assert finish(values) == compute_hash(GENESIS, event)

    described = {
        "petition": {"number": number_slot, "serial": serial_slot, "title": "~c0d 信访"},
        "units": [3],
    }
    later = state.digest_later(described, (number_slot, serial_slot))
    whole = {"petition": {"number": "XF-2026-000042", "serial": 42, "title": "~c0d 信访"}, "units": [3]}
    assert later({number_slot: "XF-2026-000042", serial_slot: 42}) == state.digest(whole)
