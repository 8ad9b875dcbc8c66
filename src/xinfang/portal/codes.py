"""Query codes and secrets (CONVENTIONS 20).

The query code is public-ish (printed on the slip, quoted on the phone); the secret proves the
holder. Only a keyed hash of the secret is stored. A look-up answers the same for a wrong code and
a wrong secret: a missing code is compared against a dummy hash, so the two cost the same too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

# No 0/O, 1/I/L: the code and the secret are read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessable, still short enough for a phone call
SECRET_LENGTH = 8  # 31^8 ≈ 8.5·10^11, behind a throttle of a few tries per quarter hour


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_query_code() -> str:
    return "WS" + _random(CODE_LENGTH)


def new_secret() -> str:
    return _random(SECRET_LENGTH)


def _key() -> bytes:
    return hashlib.sha256(b"xinfang.portal.secret:" + settings.SECRET_KEY.encode()).digest()


def hash_secret(secret: str) -> str:
    return hmac.new(_key(), normalize(secret).encode(), hashlib.sha256).hexdigest()


def normalize(value) -> str:
    """Upper case, no spaces or dashes: what people type from a printed slip."""
    if not isinstance(value, str):
        return ""
    # Only letters and digits survive: nothing else can be part of a code or a secret, and
    # nothing else (a NUL byte, say) reaches the database.
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())[:32]


_DUMMY = "0" * 64


def secret_matches(stored_hash: str | None, secret: str) -> bool:
    """Constant-time comparison; a missing submission compares against a dummy hash."""
    candidate = hash_secret(secret)
    return hmac.compare_digest(stored_hash or _DUMMY, candidate) and stored_hash is not None
