"""The data directory and the embedded database are readable by the service account only.

SQLite creates its database with the process's umask (usually 0644) and gives
its -wal and -shm files the database file's mode, so a database created by a
default umask let every local account read petitions from the file or its WAL.
The data directory is made 0700 and the database files 0600, as attachments
already are (settings: FILE_UPLOAD_PERMISSIONS).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.conf import settings

SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def ensure_private_dir(path) -> Path:
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask, and the directory may predate us
    return path


def seal_sqlite_files(sender=None, connection=None, **kwargs) -> None:
    """On every new SQLite connection (connection_created): the file and its companions 0600,
    and the data directory 0700 when the database lives in it."""
    if connection is None or connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    name = Path(str(connection.settings_dict["NAME"]))
    if name.parent.resolve() == Path(settings.DATA_DIR).resolve():
        os.chmod(name.parent, 0o700)
    for suffix in SQLITE_SUFFIXES:
        with contextlib.suppress(FileNotFoundError):  # -wal, -shm appear with the first write
            os.chmod(f"{name}{suffix}", 0o600)
