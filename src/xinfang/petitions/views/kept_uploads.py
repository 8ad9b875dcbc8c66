"""Files chosen on the registration form, kept while the form comes back with errors.

A browser cannot refill a file input, so a clerk who chose three scans and mistyped a
date used to lose them (issue 8). A file that passes the same checks as an attachment
(size, sniffed type) is written to the default storage with a random name (private,
like attachments), and listed in the user's session under a random token. The storage,
not a local folder, because the corrected form may reach another app server. The page
carries only the token: a token from another session is simply unknown there, and an
unknown or forged one is refused with a message, never a 500. Kept files older than a
day are removed whenever another file is kept.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

SESSION_KEY = "registration_kept_uploads"
MAX_AGE_SECONDS = 24 * 3600
_TOKEN_CHARS = frozenset("0123456789abcdef")
_FOLDER = "kept-uploads"


def _name(token: str) -> str:
    return f"{_FOLDER}/{token}"


def _purge_stale() -> None:
    cutoff = timezone.now() - timedelta(seconds=MAX_AGE_SECONDS)
    try:
        _folders, files = default_storage.listdir(_FOLDER)
    except FileNotFoundError:
        return
    for name in files:
        # Removed meanwhile by another worker, or a storage without modification times.
        with contextlib.suppress(OSError, NotImplementedError):
            if default_storage.get_modified_time(_name(name)) < cutoff:
                default_storage.delete(_name(name))


def _kept(session) -> dict:
    return dict(session.get(SESSION_KEY, {}))


def keep(session, upload) -> str:
    """Store an upload that passed the attachment checks; returns its token."""
    _purge_stale()
    token = secrets.token_hex(16)
    upload.seek(0)
    # 128 random bits: the name is new, so the storage keeps it as given.
    stored = default_storage.save(_name(token), upload)
    if stored != _name(token):  # a storage that renamed it anyway: keep what it chose
        token = stored.rsplit("/", 1)[-1]
    upload.seek(0)
    kept = _kept(session)
    kept[token] = {"name": str(upload.name or "")[:255], "size": upload.size}
    session[SESSION_KEY] = kept
    return token


def listed(session, tokens) -> tuple[list[dict], list[str]]:
    """The kept files named by the page's tokens that belong to this session and still
    exist, and the tokens that do not (forged, another user's, expired)."""
    kept = _kept(session)
    found, unknown = [], []
    for token in dict.fromkeys(tokens):  # a token sent twice is attached once
        entry = kept.get(token) if isinstance(token, str) and set(token) <= _TOKEN_CHARS else None
        if entry is None or not token or not default_storage.exists(_name(token)):
            unknown.append(token)
        else:
            found.append({"token": token, **entry})
    return found, unknown


def open_kept(entry: dict) -> File:
    """The kept file as an upload for documents.services.add_attachment."""
    handle = default_storage.open(_name(entry["token"]), "rb")  # closed by release()
    return File(handle, name=entry["name"])


def release(session, tokens) -> None:
    """Forget and delete kept files (attached, or removed by the clerk)."""
    kept = _kept(session)
    gone = [token for token in tokens if kept.pop(token, None) is not None]
    for token in gone:
        with contextlib.suppress(OSError):
            default_storage.delete(_name(token))
    if gone:  # an untouched session is not written again (registration's statement count)
        session[SESSION_KEY] = kept
