"""The scale-out settings read from the environment: a replica only beside PostgreSQL, a Redis
URL that is one, the Redis queue's configuration (settings are read in a fresh process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG = "postgresql://xinfang@db-host:5432/xinfang"
SHOW = (
    "import json, xinfang.settings as s; print(json.dumps({'tasks': s.TASKS['default']['BACKEND'],"
    " 'rq': 'django_rq' in s.INSTALLED_APPS, 'replica': s.DATABASES.get('replica'),"
    " 'read_replica': s.READ_REPLICA, 'files': str(s.MEDIA_ROOT)}, default=str))"
)


def _settings(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("XINFANG_", "DATABASE_URL"))}
    base.update({"XINFANG_SECRET_KEY": "s" * 40 + "abcdefghij0123456789", "PYTHONPATH": str(ROOT / "src")})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=base, capture_output=True, text=True, check=False, timeout=120
    )


def test_by_default_no_replica_and_the_database_queue(tmp_path):
    result = _settings(XINFANG_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["tasks"] == "django_tasks_db.DatabaseBackend" and shown["rq"] is False
    assert shown["replica"] is None and shown["read_replica"] is None
    assert shown["files"] == str(tmp_path / "files")


def test_a_replica_beside_postgresql(tmp_path):
    result = _settings(
        XINFANG_DATA_DIR=str(tmp_path),
        DATABASE_URL=PG,
        XINFANG_REPLICA_URL="postgresql://xinfang@standby-host:5432/xinfang",
        XINFANG_FILES_DIR=str(tmp_path / "shared"),
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    replica = shown["replica"]
    assert (replica["HOST"], replica["TEST"]["MIRROR"], shown["read_replica"]) == (
        "standby-host",
        "default",
        "replica",
    )
    assert "jit=off" in replica["OPTIONS"]["options"] and replica["OPTIONS"]["connect_timeout"] == 3
    assert shown["files"] == str(tmp_path / "shared")


def test_a_replica_is_refused_beside_sqlite(tmp_path):
    result = _settings(XINFANG_DATA_DIR=str(tmp_path), XINFANG_REPLICA_URL=PG)
    assert result.returncode != 0
    assert "XINFANG_REPLICA_URL needs PostgreSQL" in result.stderr


def test_the_redis_queue(tmp_path):
    result = _settings(
        XINFANG_DATA_DIR=str(tmp_path), XINFANG_TASKS="rq", XINFANG_REDIS_URL="redis://q:6379/2"
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["tasks"] == "django_tasks_rq.RQBackend" and shown["rq"] is True


def test_a_redis_url_that_is_not_one_is_refused_without_repeating_it(tmp_path):
    for bad in ("http://q:6379/0", "redis://user:secret@q:6379/0/extra"):
        result = _settings(XINFANG_DATA_DIR=str(tmp_path), XINFANG_TASKS="rq", XINFANG_REDIS_URL=bad)
        assert result.returncode != 0
        assert "XINFANG_REDIS_URL must be redis://" in result.stderr
        assert "secret" not in result.stderr
    result = _settings(XINFANG_DATA_DIR=str(tmp_path), XINFANG_TASKS="celery")
    assert result.returncode != 0 and "XINFANG_TASKS" in result.stderr
