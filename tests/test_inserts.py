"""core/inserts.py's COPY values: a plain field's value is copied as it is only where Django's own
conversion (pre_save, then get_db_prep_save) would give back the same value; every other field
and every value of another type goes through Django's conversion, as before."""

import base64
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy

from tests.conftest import letter
from tests.reports.test_import_bulk import ledger, run
from xinfang.audit.models import ChainHead, Event, Source
from xinfang.core import crypto
from xinfang.core.inserts import _value_getter, insert, insert_values
from xinfang.petitions.masking import masked_copy
from xinfang.petitions.models import Deadline, InvolvedUnit, Petition, Petitioner, ReceptionRecord
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import unsaved_petition
from xinfang.petitions.workflow_models import Assignment, Reply
from xinfang.reports.models import ImportedPetition

pytestmark = pytest.mark.django_db

# The models a ledger import copies.
MODELS = [
    Petition,
    Petitioner,
    InvolvedUnit,
    ReceptionRecord,
    Deadline,
    Reply,
    Assignment,
    ImportedPetition,
    Event,
    ChainHead,
]


def django_value(field, obj):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def as_copied(value):
    """What COPY's text format receives: psycopg's integer wrappers are the same digits, its
    JSON wrapper (which compares by identity) holds the same object."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return getattr(value, "obj", value)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plain values are COPY's (PostgreSQL)")
def test_plain_values_are_what_django_would_copy(demo_org, register):
    """Every row a ledger import stored (every kind of row: tests/reports), read back, field by
    field: the value copied equals Django's conversion, except a time set on save and a freshly
    sealed value (a new nonce)."""
    users, _units = demo_org
    register()
    report = run(users, ledger(), bulk_write=True)
    assert report.errors == [] and report.created == 8
    checked = 0
    for model in MODELS:
        for obj in model.objects.all()[:20]:
            for field in model._meta.concrete_fields:
                got, want = _value_getter(field, connection)(obj), django_value(field, obj)
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    assert isinstance(got, datetime)
                elif isinstance(want, str) and crypto.is_sealed(want):
                    assert crypto.is_sealed(got) and got != want
                else:
                    assert as_copied(got) == as_copied(want), (model.__name__, field.name)
                checked += 1
    assert checked > 300


@pytest.mark.parametrize(
    ("model", "name", "value"),
    [
        (Deadline, "due_at", datetime(2026, 1, 5, 9, 0)),  # naive: Django makes it aware
        (Deadline, "name", gettext_lazy("reply")),  # a lazy string is resolved
        (Petition, "serial", True),  # a bool in an integer column
        (Petition, "serial", "12"),  # text in an integer column
        (Petition, "superior_due_date", datetime(2026, 1, 5, 23, 0, tzinfo=UTC)),  # cut to its day
        (Petitioner, "phone", "13800138000"),  # sealed
    ],
)
def test_other_values_go_through_django(model, name, value):
    field = model._meta.get_field(name)
    obj = model(**{field.attname: value})
    if isinstance(value, datetime) and value.tzinfo is None:
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            got = _value_getter(field, connection)(obj)
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            assert got == django_value(field, obj)
        return
    got = _value_getter(field, connection)(obj)
    if name == "phone":
        assert crypto.is_sealed(got) and crypto.decrypt(got, purpose=field._purpose()) == value
        return
    assert got == django_value(field, obj)
    assert type(got) is not type(value) or got != value


def test_a_time_set_on_save_is_set():
    field = Petition._meta.get_field("created_at")
    obj = Petition()
    assert _value_getter(field, connection)(obj) is not None and obj.created_at is not None


def test_plain_values_of_their_type_are_copied_as_they_are():
    day, at = date(2026, 1, 5), datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    obj = Petition(title="路灯", serial=7, urgent=True, superior_due_date=day, received_at=at, category_id=3)
    for name, value in [
        ("title", "路灯"),
        ("serial", 7),
        ("urgent", True),
        ("superior_due_date", day),
        ("received_at", at),
        ("category", 3),
    ]:
        assert _value_getter(Petition._meta.get_field(name), connection)(obj) is value


@pytest.mark.parametrize("cipher", ["sm4-gcm", "aes-256-gcm"])
def test_a_sealed_column_is_sealed_as_a_save_seals_it(settings, cipher):
    """The COPY path seals with the column's key read once (EncryptedTextField.sealer): the same
    cipher, key, column binding and format as a save's get_db_prep_save, under the settings in
    force; empty stays empty; the masked copy is derived and sealed too."""
    settings.PII_CIPHER = cipher
    settings.PII_KEYS = "kz:" + base64.b64encode(b"Z" * (32 if cipher == "aes-256-gcm" else 16)).decode()
    obj = Petitioner(id_number="11010519491231002X", phone="13912345678", address="金丝雀路99号")
    for name, plain in [
        ("phone", "13912345678"),
        ("id_number", "11010519491231002X"),
        ("address", "金丝雀路99号"),
        ("masked", masked_copy("11010519491231002X", "13912345678", "金丝雀路99号")),
    ]:
        field = Petitioner._meta.get_field(name)
        got, want = _value_getter(field, connection)(obj), django_value(field, obj)
        assert got.split(":")[:3] == want.split(":")[:3] == ["enc1", cipher, "kz"]
        assert len(got) == len(want) and got != want  # same length, its own nonce
        assert crypto.decrypt(got, purpose=f"petitioner.{name}") == plain
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(got, purpose="petitioner.work_unit")
    empty = Petitioner(phone="")
    assert _value_getter(Petitioner._meta.get_field("phone"), connection)(empty) == ""


def _stored(model, pk_field: str, pk: int) -> dict:
    """The row of `model` written for petition `pk`, every column but its id and the petition."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", pk_field)]
    return model.objects.filter(**{pk_field: pk}).values(*names).get()


@pytest.mark.parametrize(
    ("model", "names", "values"),
    [
        # Plain values, an enum member (converted), and the unnamed fields' defaults (met_at,
        # paused_at, unit: none).
        (
            Deadline,
            ("petition_id", "name", "rule", "starts_at", "due_at", "calendar_gap"),
            (
                "handling",
                Source.WEB,
                datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
                datetime(2026, 3, 5, tzinfo=UTC),
                "",
            ),
        ),
        (ImportedPetition, ("petition_id", "ledger_import_id", "original_number", "row"), (None, "L-7", 12)),
        # JSON, an enum member in a text column, version given; the rest by name.
        (
            Event,
            (
                "petition_id",
                "at",
                "actor_id",
                "action",
                "data",
                "source",
                "request_id",
                "state",
                "seq",
                "version",
                "prev_hash",
                "hash",
            ),
            (
                datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
                None,
                "petition.imported",
                {"sha256": "ab", "handling_units": [3, 1], "closed": True, "名": "值"},
                Source.COMMAND,
                "",
                "f" * 64,
                1,
                2,
                "0" * 64,
                "e" * 64,
            ),
        ),
        (ChainHead, ("petition_id", "seq", "hash", "mac"), (1, "a" * 64, "b" * 64)),
    ],
)
def test_plain_values_are_written_as_instances_of_them_are(demo_org, model, names, values):
    """insert_values writes the row `insert` writes for an instance holding the same values
    (the fields not named at their defaults), column by column, on either database."""
    users, _units = demo_org
    # Two petitions with no rows of their own yet (no clocks, no chain), as an import writes them.
    first, second = insert(
        Petition,
        [unsaved_petition(check_registration(letter()), actor=users["clerk"], year=2026) for _ in range(2)],
        returning_ids=True,
        match_on="number",
    )
    if model is ImportedPetition:
        from xinfang.reports.models import LedgerImport

        ledger = LedgerImport.objects.create(
            sha256="c" * 64, filename="l.csv", size=1, rows=1, by=users["clerk"]
        )
        values = (ledger.pk, *values[1:])
    insert(model, [model(**dict(zip(names, (first.pk, *values), strict=True)))])
    want = _stored(model, "petition_id", first.pk)
    if model is ImportedPetition:  # an original number is imported once
        model.objects.filter(petition_id=first.pk).delete()
    insert_values(model, names, [(second.pk, *values)])
    assert _stored(model, "petition_id", second.pk) == want


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (Assignment, ("petition_id", "assigned_at")),  # set on save
        (Petitioner, ("petition_id", "phone")),  # sealed
        (Event, ("petition_id",)),  # `data`'s default is computed (dict): it must be named
        (Deadline, ("petition",)),  # a field is named by its attname
    ],
)
def test_values_a_save_would_compute_are_refused(model, names):
    with pytest.raises(ValueError):
        insert_values(model, names, [(1,) * len(names)])
