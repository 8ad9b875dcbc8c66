"""Personal data at rest (DP-1): sealed with SM4-GCM or AES-256-GCM, the key outside
the database, tampering detected, keys rotated by a command."""

import base64
import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from tests.petitions.conftest import letter
from xinfang.audit.services import Context
from xinfang.core import crypto
from xinfang.petitions.models import Petitioner
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

CANARY_ID = "11010519491231002X"
CANARY_PHONE = "13912345678"
CANARY_ADDRESS = "金丝雀路99号"

KEY_A = "ka:" + base64.b64encode(b"A" * 16).decode()
KEY_B = "kb:" + base64.b64encode(b"B" * 16).decode()


@pytest.fixture
def make_canary(demo_org):
    """Register a petition with canary personal data, under the keys configured now."""
    users, _units = demo_org

    def make():
        petition, _ = register_petition(
            ctx=Context(actor=users["clerk"]),
            data=check_registration(
                letter(
                    petitioners=[
                        {
                            "name": "金丝雀",
                            "id_number": CANARY_ID,
                            "phone": CANARY_PHONE,
                            "address": CANARY_ADDRESS,
                        }
                    ]
                )
            ),
        )
        return petition

    return make


@pytest.fixture
def canary(make_canary):
    return make_canary()


def raw_columns(petition):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, address, masked FROM petitions_petitioner WHERE petition_id = %s",
            [petition.pk],
        )
        return cursor.fetchone()


@pytest.mark.parametrize("cipher", ["sm4-gcm", "aes-256-gcm"])
def test_round_trip_and_no_plaintext_in_the_row(make_canary, settings, cipher):
    settings.PII_CIPHER = cipher
    if cipher == "aes-256-gcm":
        settings.PII_KEYS = "k1:" + base64.b64encode(b"K" * 32).decode()
    canary = make_canary()
    petitioner = Petitioner.objects.get(petition=canary)
    raw = raw_columns(canary)
    assert all(value.startswith(f"enc1:{cipher}:") for value in raw)
    assert CANARY_ID not in "".join(raw) and CANARY_PHONE not in "".join(raw)
    # The masked copy is sealed too: a masked phone still shows seven of its digits.
    assert "139****5678" not in "".join(raw) and "金丝雀路" not in "".join(raw)
    assert Petitioner.objects.get(pk=petitioner.pk).id_number == CANARY_ID


def test_each_value_has_its_own_nonce():
    a = crypto.encrypt("13912345678", purpose="petitioner.phone")
    b = crypto.encrypt("13912345678", purpose="petitioner.phone")
    assert a != b


def test_flipped_byte_is_an_error_not_wrong_data():
    sealed = crypto.encrypt(CANARY_PHONE, purpose="petitioner.phone")
    prefix, payload = sealed.rsplit(":", 1)
    raw = bytearray(base64.b64decode(payload))
    raw[15] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{base64.b64encode(bytes(raw)).decode()}", purpose="petitioner.phone")


def test_a_value_moved_to_another_column_does_not_open():
    sealed = crypto.encrypt(CANARY_PHONE, purpose="petitioner.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, purpose="petitioner.id_number")


def test_plaintext_in_an_encrypted_column_is_refused(canary):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE petitions_petitioner SET phone = %s WHERE petition_id = %s", ["13800000000", canary.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        Petitioner.objects.get(petition=canary)


def test_key_rotation(make_canary, settings):
    settings.PII_KEYS = KEY_A
    canary = make_canary()
    assert raw_columns(canary)[0].split(":")[2] == "ka"
    settings.PII_KEYS = f"{KEY_B},{KEY_A}"
    out = io.StringIO()
    call_command("rotate_pii_key", stdout=out)
    # ID number, phone, address and their sealed masked copy (petitions/masking.py).
    assert "re-sealed 4 value(s)" in out.getvalue()
    assert {value.split(":")[2] for value in raw_columns(canary)} == {"kb"}
    settings.PII_KEYS = KEY_B  # the old key is gone and everything still opens
    assert Petitioner.objects.get(petition=canary).address == CANARY_ADDRESS
    call_command("rotate_pii_key", stdout=out)  # nothing left to do: safe to run again
    assert "re-sealed 0 value(s)" in out.getvalue()


def test_a_removed_key_is_an_error(make_canary, settings):
    settings.PII_KEYS = KEY_A
    canary = make_canary()
    settings.PII_KEYS = KEY_B
    with pytest.raises(crypto.DecryptionError):
        Petitioner.objects.get(petition=canary)


@pytest.mark.django_db(transaction=True)
def test_database_dump_has_no_canary_plaintext(canary):
    """A full dump of the database holds no ID number or phone number in clear (DP-1)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        dump = "\n".join(connection.connection.iterdump())
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        dump = subprocess.run(
            [
                "pg_dump",
                "-h",
                settings_dict["HOST"] or "127.0.0.1",
                "-p",
                str(settings_dict["PORT"] or 5432),
                "-U",
                settings_dict["USER"] or "postgres",
                settings_dict["NAME"],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    assert "金丝雀" in dump  # the dump is real: the name is not personal data we seal
    for canary_value in (CANARY_ID, CANARY_PHONE, CANARY_ADDRESS):
        assert canary_value not in dump


def test_blind_index_is_the_keyed_hash_of_kind_and_value_under_the_current_key():
    """blind_index keys its HMAC once per key and copies it per value: the digest must be the
    HMAC-SHA256 of "kind:value" under INDEX_KEY, written out here, also after the key changes."""
    import hashlib
    import hmac

    from django.test import override_settings

    from xinfang.petitions.services.registration import blind_index

    def expected(key, kind, value):
        return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    from django.conf import settings

    for kind, value in (("id", "110101199003074518"), ("phone", "13800138000"), ("id", "x")):
        assert blind_index(kind, value) == expected(settings.INDEX_KEY, kind, value)
        assert blind_index(kind, value) == blind_index(kind, value)  # the prepared key is not consumed
    with override_settings(INDEX_KEY="another key for the index"):
        assert blind_index("phone", "13800138000") == expected(
            "another key for the index", "phone", "13800138000"
        )
    assert blind_index("id", "") == ""
