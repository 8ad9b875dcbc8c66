"""A registration's fixed-shape statements built once per process (issue 9): the bearer token's
look-up, the category's, the earlier petitions of the same person, the petition's and the access
log's INSERTs. Each answer is compared with what the ORM's own queryset (or save) gives for the
same rows: the oracle is the ORM, not the kept statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import generator, register
from xinfang.accounts.models import ApiToken, _hash_token, _token_lookup
from xinfang.audit.models import AccessLog
from xinfang.petitions.models import Category, Petition
from xinfang.petitions.services.checks import _CATEGORY
from xinfang.petitions.services.registration import MAX_REPEAT_LINKS, blind_index

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}


def test_token_found_as_the_orm_finds_it(demo_org):
    users, _units = demo_org
    token, raw = ApiToken.issue(users["housing"])
    found = ApiToken.find_live(raw)
    expected = _token_lookup().filter(key_hash=_hash_token(raw), expires_at__gt=timezone.now()).first()
    assert found.pk == token.pk
    assert _fields(found) == _fields(expected)
    assert _fields(found.user) | {"role_codes": None} == _fields(expected.user) | {"role_codes": None}
    assert found.user.role_codes == frozenset(users["housing"].roles.values_list("role", flat=True))
    assert _fields(found.user.unit) == _fields(expected.user.unit)
    assert found._state.db == expected._state.db and not found._state.adding


def test_expired_revoked_and_unknown_tokens_are_not_found(demo_org):
    users, _units = demo_org
    expired, raw_expired = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, raw_revoked = ApiToken.issue(users["clerk"])
    revoked.revoke()
    _live, raw_live = ApiToken.issue(users["clerk"])
    assert ApiToken.find_live(raw_expired) is None
    assert ApiToken.find_live(raw_revoked) is None
    assert ApiToken.find_live(raw_live + "x") is None
    assert ApiToken.find_live(raw_live) is not None


def test_category_found_as_the_orm_finds_it(demo_org):
    active = Category.objects.filter(active=True).order_by("code")
    for category in active[:5]:
        (found,) = _CATEGORY.get(code=category.code)
        assert _fields(found) == _fields(Category.objects.filter(code=category.code, active=True).first())
    inactive = active.first()
    Category.objects.filter(pk=inactive.pk).update(active=False)
    assert _CATEGORY.get(code=inactive.code) == []
    assert _CATEGORY.get(code="no-such-category") == []


def _earlier_oracle(petition) -> list[int]:
    """The earlier petitions of the same people (ID number or phone), not void, newest first:
    what the repeat links must name, read from the stored petitioners."""
    ids = [p.id_number_index for p in petition.petitioners.all() if p.id_number_index]
    phones = [p.phone_index for p in petition.petitioners.all() if p.phone_index]
    rows = (
        Petition.objects.exclude(pk=petition.pk)
        .exclude(status="void")
        .filter(pk__in=[p.petition_id for p in _matching_petitioners(ids, phones)])
        .order_by("-received_at", "-id")
        .values_list("pk", flat=True)
    )
    return list(rows[:MAX_REPEAT_LINKS])


def _matching_petitioners(ids, phones):
    from xinfang.petitions.models import Petitioner

    return [p for p in Petitioner.objects.all() if p.id_number_index in ids or p.phone_index in phones]


@pytest.mark.parametrize("people", [1, 2, 3])
def test_repeat_links_of_every_shape(demo_org, people):
    # One, two and three petitioners, some with ID number and phone, some with a phone only: each
    # shape is its own kept statement; the links are those the stored petitioners give.
    users, _units = demo_org
    gen = generator(70 + people)
    persons = [gen._petitioner(gen.person(), i == 0) for i in range(people)]
    if people > 1:
        persons[-1]["id_number"] = ""
    for i in range(3):
        earlier = gen.registration()
        earlier.update(channel="letter", anonymous=False, petitioners=[persons[i % people]])
        earlier.pop("superior", None)
        earlier.pop("reception", None)
        register(users["clerk"], earlier)
    data = gen.registration()
    data.update(channel="letter", anonymous=False, petitioners=persons)
    data.pop("superior", None)
    data.pop("reception", None)
    petition = register(users["clerk"], data)
    linked = list(
        Petition.repeat_of.through.objects.filter(from_petition=petition)
        .order_by("id")
        .values_list("to_petition_id", flat=True)
    )
    expected = _earlier_oracle(petition)
    assert len(expected) >= 3
    assert linked == expected
    assert [p.pk for p in petition.repeat_of.all()] == expected
    assert all(blind_index("phone", p["phone"]) for p in persons)


def test_petition_row_as_save_writes_it(demo_org):
    # The registered petition read back equals the instance the service returned: its id read
    # back, created_at/updated_at set by pre_save on the instance as save() sets them.
    users, _units = demo_org
    petition = register(users["clerk"], generator(80).registration())
    stored = Petition.objects.get(pk=petition.pk)
    for field in Petition._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(petition, field.attname), field.name
    assert petition._state.db == "default" and not petition._state.adding


def test_access_log_entry_as_create_writes_it(demo_org, api):
    users, _units = demo_org
    client = api("clerk")
    before = AccessLog.objects.count()
    response = client.post(
        "/api/v1/petitions", generator(81).registration(), headers={"X-Request-ID": "req-81"}
    )
    assert response.status_code == 201, response.content
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.order_by("-id").first()
    assert (
        entry.user_id,
        entry.username,
        entry.unit_id,
        entry.action,
        entry.object_type,
        entry.object_ref,
        entry.outcome,
        entry.request_id,
        entry.ip,
    ) == (
        users["clerk"].pk,
        "clerk",
        users["clerk"].unit_id,
        "petition.personal_data",
        "petition",
        response.json()["number"],
        "allowed",
        "req-81",
        "127.0.0.1",
    )
    assert abs((timezone.now() - entry.at).total_seconds()) < 60
