"""Settings for the test suite: the production settings module, read with a test
environment (plain HTTP, a throwaway data directory, static files from the
finders, a fixed secret). DATABASE_URL passes through to choose PostgreSQL."""

import os
import tempfile

os.environ.setdefault("XINFANG_SECRET_KEY", "test-secret-key-" + "x" * 48)
os.environ.setdefault("XINFANG_HTTPS", "0")
os.environ.setdefault("XINFANG_STATIC_MANIFEST", "0")
# Two-factor sign-in is tested on its own (tests/accounts); elsewhere a password signs in.
os.environ.setdefault("XINFANG_REQUIRE_2FA", "0")
os.environ.setdefault("XINFANG_DATA_DIR", tempfile.mkdtemp(prefix="xinfang-test-"))
# Each test starts with an empty cache (tests/conftest.py), which a per-process cache makes
# cheap; the shared database and Redis caches are tested with real processes (tests/security).
os.environ.setdefault("XINFANG_CACHE_URL", "locmem://")

from xinfang.settings import *  # noqa: E402,F403  (the settings under test, unchanged)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# WhiteNoise warns on every request when STATIC_ROOT is missing; tests serve from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# A second alias on the same database, as a replica would be (core/replicas.py). Unused until
# a test sets READ_REPLICA = "replica": the router tests (tests/scale) switch it on.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
