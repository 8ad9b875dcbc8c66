"""The embedded database and its data directory are private to the service account
(issue 8, item 7): 0700 for the directory, 0600 for the database, its WAL and shared
memory file, whatever the umask."""

import os
import stat

from django.db.utils import ConnectionHandler

from xinfang.core.datadir import ensure_private_dir


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_are_0600_in_a_0700_directory(
    tmp_path, settings, django_db_blocker
):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    settings.DATA_DIR = data
    old = os.umask(0o022)
    try:
        handler = ConnectionHandler(
            {
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(data / "xinfang.sqlite3"),
                    "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
                }
            }
        )
        connection = handler["default"]
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x text)")
            cursor.execute("INSERT INTO t VALUES ('王五')")
        files = sorted(p.name for p in data.iterdir())
        assert "xinfang.sqlite3-wal" in files, files  # the WAL exists, so its mode is checked too
        assert {name: mode(data / name) for name in files} == dict.fromkeys(files, 0o600)
        assert mode(data) == 0o700
        connection.close()
    finally:
        os.umask(old)


def test_prepare_instance_makes_an_existing_data_directory_private(tmp_path):
    existing = tmp_path / "var"
    existing.mkdir()
    os.chmod(existing, 0o755)
    ensure_private_dir(existing)
    assert mode(existing) == 0o700
    nested = ensure_private_dir(tmp_path / "new" / "data")
    assert mode(nested) == 0o700
