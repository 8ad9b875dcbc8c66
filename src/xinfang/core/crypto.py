"""Encryption of personal data at rest (DESIGN.md §5, 等级保护 CES1-28, GB/T 39786).

Values are sealed with SM4-GCM (the national standard cipher; AES-256-GCM where
configured) under a key that lives outside the database: XINFANG_PII_KEYS (or
_FILE) as "id:base64key" pairs, the first one current; without it, a key derived
from the secret key (also outside the database). Each value carries the id of
the key that sealed it, so keys rotate without downtime (manage.py rotate_pii_key).
The field name is bound in as associated data: a ciphertext copied into another
column fails to open instead of showing up there.

Format: "enc1:<cipher>:<key id>:<base64(nonce | ciphertext | tag)>".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = {"sm4-gcm": 16, "aes-256-gcm": 32}


class DecryptionError(Exception):
    """A value could not be opened: wrong key, or tampered with."""


@lru_cache(maxsize=8)
def _keyring(spec: str, cipher: str, secret: str) -> tuple[str, dict[str, bytes]]:
    size = KEY_BYTES[cipher]
    if not spec:
        # Derived, for installations that set no key of their own: still outside the database.
        derived = hmac.new(secret.encode(), b"xinfang personal data key", hashlib.sha256).digest()[:size]
        return "derived", {"derived": derived}
    keys: dict[str, bytes] = {}
    current = ""
    for item in spec.split(","):
        key_id, sep, encoded = item.strip().partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured("XINFANG_PII_KEYS entries look like id:base64key, e.g. k2026:…")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"XINFANG_PII_KEYS: key {key_id} is not base64") from None
        if len(key) != size:
            raise ImproperlyConfigured(f"XINFANG_PII_KEYS: key {key_id} must be {size} bytes for {cipher}")
        keys[key_id] = key
        current = current or key_id
    return current, keys


def keyring() -> tuple[str, dict[str, bytes]]:
    return _keyring(settings.PII_KEYS, settings.PII_CIPHER, settings.SECRET_KEY)


@lru_cache(maxsize=16)
def _engine(cipher: str, key: bytes):
    """The key prepared for its cipher, once per key: building it for every value was a
    quarter of opening one (a ledger export opens one per petitioner)."""
    return AESGCM(key) if cipher == "aes-256-gcm" else algorithms.SM4(key)


def _seal(cipher: str, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if cipher == "aes-256-gcm":
        return _engine(cipher, key).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(_engine(cipher, key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _open(cipher: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if cipher == "aes-256-gcm":
        return _engine(cipher, key).decrypt(nonce, sealed, aad)
    if len(sealed) < TAG_BYTES:
        raise InvalidTag()
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(_engine(cipher, key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def encrypt(plaintext: str, *, purpose: str) -> str:
    return sealer(purpose)(plaintext)


def sealer(purpose: str) -> Callable[[str], str]:
    """`encrypt(value, purpose=purpose)` for many values of one column (a ledger import seals
    four per petitioner): the cipher and the current key are read from the settings once, not
    once a value (four settings reads a value, about a tenth of sealing one)."""
    cipher = settings.PII_CIPHER
    key_id, keys = keyring()
    key, aad = keys[key_id], purpose.encode()
    head = f"{PREFIX}:{cipher}:{key_id}:"

    def seal(plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = _seal(cipher, key, nonce, plaintext.encode(), aad)
        return head + base64.b64encode(nonce + sealed).decode()

    return seal


def is_sealed(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def decrypt(value: str, *, purpose: str) -> str:
    return _decrypt(value, purpose.encode(), keyring()[1])


def opener(purpose: str) -> Callable[[str], str]:
    """`decrypt(value, purpose=purpose)` for many values of one column (an export): the
    keyring is read from the settings once, not once a value (three settings reads cost a
    sixth of opening a value)."""
    aad, keys = purpose.encode(), keyring()[1]
    return lambda value: _decrypt(value, aad, keys)


def _decrypt(value: str, aad: bytes, keys: dict[str, bytes]) -> str:
    try:
        _prefix, cipher, key_id, payload = value.split(":", 3)
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, binascii.Error):
        raise DecryptionError("not a sealed value") from None
    if cipher not in KEY_BYTES or key_id not in keys:
        raise DecryptionError(f"no key {key_id!r} for {cipher}")
    try:
        return _open(cipher, keys[key_id], raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode()
    except (InvalidTag, ValueError):
        raise DecryptionError("the value was tampered with or sealed under another key") from None


def sealed_with_current_key(value: str) -> bool:
    current, _keys = keyring()
    parts = value.split(":", 3)
    return len(parts) == 4 and parts[1] == settings.PII_CIPHER and parts[2] == current
