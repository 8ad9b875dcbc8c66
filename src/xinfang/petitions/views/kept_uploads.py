"""Files chosen on the registration form, kept while the form comes back with errors.

A browser cannot refill a file input, so a clerk who chose three scans and mistyped a
date used to lose them (issue 8). A file that passes the same checks as an attachment
(size, sniffed type) is written under the data directory with a random name, mode
0600, and listed in the user's session under a random token. The page carries only
the token: a token from another session is simply unknown there, and an unknown or
forged one is refused with a message, never a 500. Kept files older than a day are
removed whenever another file is kept.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File

SESSION_KEY = "registration_kept_uploads"
MAX_AGE_SECONDS = 24 * 3600
_TOKEN_CHARS = frozenset("0123456789abcdef")


def _directory() -> Path:
    path = Path(settings.DATA_DIR) / "kept-uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _purge_stale(directory: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for entry in directory.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except OSError:  # removed meanwhile by another worker
            pass


def _kept(session) -> dict:
    return dict(session.get(SESSION_KEY, {}))


def keep(session, upload) -> str:
    """Store an upload that passed the attachment checks; returns its token."""
    directory = _directory()
    _purge_stale(directory)
    token = secrets.token_hex(16)
    fd = os.open(directory / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        upload.seek(0)
        for chunk in upload.chunks():
            out.write(chunk)
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
        if entry is None or not token or not (_directory() / token).is_file():
            unknown.append(token)
        else:
            found.append({"token": token, **entry})
    return found, unknown


def open_kept(entry: dict) -> File:
    """The kept file as an upload for documents.services.add_attachment."""
    handle = open(_directory() / entry["token"], "rb")  # noqa: SIM115 - closed by release()
    return File(handle, name=entry["name"])


def release(session, tokens) -> None:
    """Forget and delete kept files (attached, or removed by the clerk)."""
    kept = _kept(session)
    gone = [token for token in tokens if kept.pop(token, None) is not None]
    for token in gone:
        with contextlib.suppress(OSError):
            (_directory() / token).unlink()
    if gone:  # an untouched session is not written again (registration's statement count)
        session[SESSION_KEY] = kept
