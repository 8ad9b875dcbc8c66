"""Settings come from the environment through typed helpers that fail loudly.

The helpers are tested one by one; then settings.py itself is executed afresh
(runpy, so the settings the test run uses stay untouched) under chosen
environments; and the places where only a real process tells the truth (Django
start-up, `manage.py check --deploy`) run in a subprocess.
"""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from xinfang import env
from xinfang.env import ImproperlyConfiguredEnv

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "src" / "xinfang" / "settings.py"
VAR = "XINFANG_TEST_VALUE"


@pytest.fixture
def setenv(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    monkeypatch.delenv(f"{VAR}_FILE", raising=False)

    def set_(value, name=VAR):
        monkeypatch.setenv(name, value)

    return set_


def raises_naming(name=VAR):
    """The error must name the variable: that is the whole point of failing loudly."""
    return pytest.raises(ImproperlyConfiguredEnv, match=name)


# --- env_str ---------------------------------------------------------------------


def test_str_unset_and_blank_mean_default(setenv):
    assert env.env_str(VAR, "fallback") == "fallback"
    assert env.env_str(VAR) is None
    setenv("   ")
    assert env.env_str(VAR, "fallback") == "fallback"


def test_str_is_stripped(setenv):
    setenv("  value \n")
    assert env.env_str(VAR, "fallback") == "value"


# --- env_bool --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " on "])
def test_bool_true(setenv, raw):
    setenv(raw)
    assert env.env_bool(VAR, False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off"])
def test_bool_false(setenv, raw):
    setenv(raw)
    assert env.env_bool(VAR, True) is False


def test_bool_default(setenv):
    assert env.env_bool(VAR, True) is True
    assert env.env_bool(VAR, False) is False


@pytest.mark.parametrize("raw", ["ture", "2", "perhaps", "y es"])
def test_bool_bad_value(setenv, raw):
    setenv(raw)
    with raises_naming():
        env.env_bool(VAR, False)


# --- env_int ---------------------------------------------------------------------


def test_int_good_and_default(setenv):
    assert env.env_int(VAR, 7) == 7
    setenv("42")
    assert env.env_int(VAR, 7, minimum=1, maximum=42) == 42


@pytest.mark.parametrize("raw", ["80OO", "1.5", "ten", "0x10"])
def test_int_not_a_number(setenv, raw):
    setenv(raw)
    with raises_naming():
        env.env_int(VAR, 7)


def test_int_bounds(setenv):
    setenv("0")
    with raises_naming() as excinfo:
        env.env_int(VAR, 7, minimum=1)
    assert "at least 1" in str(excinfo.value)
    setenv("25")
    with raises_naming() as excinfo:
        env.env_int(VAR, 7, maximum=24)
    assert "at most 24" in str(excinfo.value)


# --- env_list and env_hosts ------------------------------------------------------


def test_list(setenv):
    assert env.env_list(VAR, ["a"]) == ["a"]
    setenv(" a, b ,,c ")
    assert env.env_list(VAR, []) == ["a", "b", "c"]


def test_list_default_is_a_copy(setenv):
    default = ["a"]
    env.env_list(VAR, default).append("b")
    assert default == ["a"]


def test_hosts_good(setenv):
    setenv("xinfang.example.gov.cn, .example.org,10.0.0.5,[::1],localhost")
    assert env.env_hosts(VAR, []) == [
        "xinfang.example.gov.cn",
        ".example.org",
        "10.0.0.5",
        "[::1]",
        "localhost",
    ]


@pytest.mark.parametrize("raw", ["https://xinfang.example.gov.cn", "xinfang.example.gov.cn/", "a b", ","])
def test_hosts_bad(setenv, raw):
    setenv(raw)
    with raises_naming():
        env.env_hosts(VAR, ["localhost"])


# --- env_path ----------------------------------------------------------------------


def test_path_default_and_absolute(setenv, tmp_path):
    assert env.env_path(VAR, tmp_path) == tmp_path
    setenv(str(tmp_path / "data"))
    assert env.env_path(VAR, Path("/nowhere")) == tmp_path / "data"


def test_path_relative_is_resolved(setenv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setenv("var")
    path = env.env_path(VAR, Path("/nowhere"))
    assert path.is_absolute()
    assert path == (tmp_path / "var").resolve()


# --- env_match, env_choice, env_timezone ---------------------------------------------


def test_match(setenv):
    assert env.env_match(VAR, "XF", r"[A-Z]{1,3}", "1-3 capitals") == "XF"
    setenv("ABC")
    assert env.env_match(VAR, "XF", r"[A-Z]{1,3}", "1-3 capitals") == "ABC"


def test_match_is_full_match(setenv):
    setenv("ABCD")
    with raises_naming() as excinfo:
        env.env_match(VAR, "XF", r"[A-Z]{1,3}", "1-3 capitals")
    assert "1-3 capitals" in str(excinfo.value)


def test_choice(setenv):
    assert env.env_choice(VAR, "INFO", {"INFO", "DEBUG"}) == "INFO"
    setenv("DEBUG")
    assert env.env_choice(VAR, "INFO", {"INFO", "DEBUG"}) == "DEBUG"
    setenv("debug")  # case matters: the value is passed on as it is
    with raises_naming():
        env.env_choice(VAR, "INFO", {"INFO", "DEBUG"})


def test_timezone(setenv):
    assert env.env_timezone(VAR, "Asia/Shanghai") == "Asia/Shanghai"
    setenv("Asia/Urumqi")
    assert env.env_timezone(VAR, "Asia/Shanghai") == "Asia/Urumqi"


@pytest.mark.parametrize("raw", ["Asia/Beijing", "../etc/passwd", "UTC+8"])
def test_timezone_bad(setenv, raw):
    setenv(raw)
    with raises_naming():
        env.env_timezone(VAR, "Asia/Shanghai")


# --- env_secret ----------------------------------------------------------------------


def test_secret_direct_and_unset(setenv):
    assert env.env_secret(VAR) is None
    setenv("s3cret")
    assert env.env_secret(VAR) == "s3cret"


def test_secret_from_file_is_stripped(setenv, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    setenv(str(secret), f"{VAR}_FILE")
    assert env.env_secret(VAR) == "from-a-file"


def test_secret_both_set_is_refused(setenv, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file", encoding="utf-8")
    setenv("direct")
    setenv(str(secret), f"{VAR}_FILE")
    with raises_naming() as excinfo:
        env.env_secret(VAR)
    assert "not both" in str(excinfo.value)


def test_secret_empty_file_is_refused(setenv, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(" \n", encoding="utf-8")
    setenv(str(secret), f"{VAR}_FILE")
    with raises_naming(f"{VAR}_FILE") as excinfo:
        env.env_secret(VAR)
    assert "empty" in str(excinfo.value)


def test_secret_missing_file_is_refused(setenv, tmp_path):
    setenv(str(tmp_path / "absent"), f"{VAR}_FILE")
    with raises_naming(f"{VAR}_FILE"):
        env.env_secret(VAR)


def test_secret_binary_file_is_refused(setenv, tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"\xff\xfe\x00")
    setenv(str(secret), f"{VAR}_FILE")
    with raises_naming(f"{VAR}_FILE"):
        env.env_secret(VAR)


# --- env_database --------------------------------------------------------------------


def test_database_unset(setenv):
    assert env.env_database(VAR) is None


def test_database_postgresql(setenv):
    setenv("postgresql://xf:pw@db.example:5433/xinfang")
    config = env.env_database(VAR, conn_max_age=60)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("xinfang", "xf", "pw")
    assert (config["HOST"], config["PORT"], config["CONN_MAX_AGE"]) == ("db.example", 5433, 60)


def test_database_from_file(setenv, tmp_path):
    url = tmp_path / "url"
    url.write_text("postgres://xf:pw@db.example/xinfang\n", encoding="utf-8")
    setenv(str(url), f"{VAR}_FILE")
    assert env.env_database(VAR)["HOST"] == "db.example"


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://xf:pw@db.example/xinfang",  # not a database Xinfang is tested on
        "postgresql://xf:pw@db.example:notaport/xinfang",
        "db.example/xinfang",
        "postgresql://xf:pw@db.example:5432/",  # no database name
    ],
)
def test_database_bad(setenv, raw):
    setenv(raw)
    with raises_naming() as excinfo:
        env.env_database(VAR)
    assert "pw" not in str(excinfo.value), "the password must not reach logs"


# --- env_cache, env_networks (issue 8, item 4) -------------------------------------


def test_cache_unset_is_the_shared_database_cache(setenv):
    assert env.env_cache(VAR) == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "xinfang_cache",
    }


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/1", "rediss://:secret@cache.example:6380/0"])
def test_cache_redis(setenv, url):
    setenv(url)
    assert env.env_cache(VAR) == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


@pytest.mark.parametrize("raw", ["memcached://x", "redis://", "redis://h/1 2", "db"])
def test_cache_bad(setenv, raw):
    setenv(raw)
    with raises_naming() as excinfo:
        env.env_cache(VAR)
    assert "secret" not in str(excinfo.value)


def test_networks(setenv):
    setenv("10.0.0.5, 10.0.0.0/24,::1")
    assert [str(n) for n in env.env_networks(VAR, [])] == ["10.0.0.5/32", "10.0.0.0/24", "::1/128"]


def test_networks_bad(setenv):
    setenv("10.0.0.5,proxy.example")
    with raises_naming():
        env.env_networks(VAR, [])


def test_behind_a_proxy_the_loopback_is_trusted_by_default(load_settings):
    assert [str(n) for n in load_settings(XINFANG_BEHIND_PROXY="1")["TRUSTED_PROXIES"]] == [
        "127.0.0.1/32",
        "::1/128",
    ]
    assert load_settings()["TRUSTED_PROXIES"] == []


def test_helper_errors_are_improperly_configured():
    # Code that catches Django's exception catches ours too.
    assert issubclass(ImproperlyConfiguredEnv, ImproperlyConfigured)


# --- settings.py under chosen environments ---------------------------------------------

GOOD_KEY = secrets.token_urlsafe(64)


def clean_environ(**values) -> dict[str, str]:
    """The current environment without any Xinfang or database variable, plus `values`."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("XINFANG_", "DATABASE_URL", "DJANGO_"))
    }
    environ.update(values)
    return environ


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """Execute settings.py afresh under an environment; returns its globals."""

    def load(**values):
        values.setdefault("XINFANG_SECRET_KEY", GOOD_KEY)
        values.setdefault("XINFANG_DATA_DIR", str(tmp_path / "data"))
        for name in list(os.environ):
            if name.startswith("XINFANG_") or name.startswith("DATABASE_URL"):
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def test_production_defaults(load_settings):
    conf = load_settings()
    assert conf["DEBUG"] is False
    assert conf["SECURE_SSL_REDIRECT"] is True
    assert conf["SESSION_COOKIE_SECURE"] and conf["CSRF_COOKIE_SECURE"]
    assert conf["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert conf["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert conf["NUMBER_PREFIX"] == "XF"
    assert conf["LANGUAGE_CODE"] == "zh-hans"
    assert conf["STORAGES"]["staticfiles"]["BACKEND"].endswith("CompressedManifestStaticFilesStorage")
    assert "SECURE_PROXY_SSL_HEADER" not in conf


def test_plain_http_relaxes_cookies(load_settings):
    conf = load_settings(XINFANG_HTTPS="0")
    assert not conf.get("SECURE_SSL_REDIRECT")
    assert not conf.get("SESSION_COOKIE_SECURE")


def test_behind_proxy_trusts_forwarded_proto(load_settings):
    conf = load_settings(XINFANG_BEHIND_PROXY="1")
    assert conf["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_sqlite_database_lives_in_the_data_dir(load_settings, tmp_path):
    conf = load_settings(XINFANG_DATA_DIR=str(tmp_path / "elsewhere"))
    database = conf["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path / "elsewhere" / "xinfang.sqlite3"
    assert Path(database["TEST"]["NAME"]).parent == tmp_path / "elsewhere"
    assert conf["MEDIA_ROOT"] == tmp_path / "elsewhere" / "files"
    assert conf["STATIC_ROOT"] == tmp_path / "elsewhere" / "static"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_database_url_selects_postgresql(load_settings):
    conf = load_settings(DATABASE_URL="postgresql://xf:pw@db.example:5432/xinfang")
    database = conf["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db.example", "xinfang")
    assert "OPTIONS" not in database or "init_command" not in database["OPTIONS"]


def test_secret_key_from_file(load_settings, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n", encoding="utf-8")
    conf = load_settings(XINFANG_SECRET_KEY="", XINFANG_SECRET_KEY_FILE=str(key_file))
    assert conf["SECRET_KEY"] == GOOD_KEY


@pytest.mark.parametrize("key", ["", "too-short", "a" * 80])
def test_unusable_secret_key_is_refused(load_settings, key):
    with pytest.raises(ImproperlyConfigured, match="XINFANG_SECRET_KEY"):
        load_settings(XINFANG_SECRET_KEY=key)


@pytest.mark.parametrize("prefix", ["XF", "SZX_2", "ABCDEFGHIJ"])
def test_number_prefix_good(load_settings, prefix):
    assert load_settings(XINFANG_NUMBER_PREFIX=prefix)["NUMBER_PREFIX"] == prefix


@pytest.mark.parametrize("prefix", ["X-F", "信访", "XF/1", "ABCDEFGHIJK", "X F"])
def test_number_prefix_bad(load_settings, prefix):
    with pytest.raises(ImproperlyConfigured, match="XINFANG_NUMBER_PREFIX"):
        load_settings(XINFANG_NUMBER_PREFIX=prefix)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("XINFANG_DEBUG", "perhaps"),
        ("XINFANG_HTTPS", "sometimes"),
        ("XINFANG_ALLOWED_HOSTS", "https://xinfang.example.gov.cn"),
        ("XINFANG_SESSION_HOURS", "0"),
        ("XINFANG_MAX_UPLOAD_MB", "50MB"),
        ("XINFANG_TIME_ZONE", "Beijing"),
        ("XINFANG_TOKEN_THROTTLE", "twenty"),
        ("XINFANG_LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://db.example/xinfang"),
    ],
)
def test_bad_values_stop_the_settings(load_settings, name, value):
    with pytest.raises(ImproperlyConfiguredEnv, match=name):
        load_settings(**{name: value})


# --- real processes ----------------------------------------------------------------------


def run(args, environ, timeout=120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def django_setup(environ):
    environ = {**environ, "DJANGO_SETTINGS_MODULE": "xinfang.settings", "PYTHONPATH": str(ROOT / "src")}
    return run(["-c", "import django; django.setup()"], environ)


def test_startup_with_a_bad_value_fails_loudly(tmp_path):
    result = django_setup(
        clean_environ(XINFANG_SECRET_KEY=GOOD_KEY, XINFANG_DATA_DIR=str(tmp_path), XINFANG_DEBUG="perhaps")
    )
    assert result.returncode != 0
    assert "XINFANG_DEBUG" in result.stderr
    assert "perhaps" in result.stderr


def test_startup_without_a_secret_key_fails(tmp_path):
    result = django_setup(clean_environ(XINFANG_DATA_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "XINFANG_SECRET_KEY" in result.stderr


def test_startup_with_good_values_succeeds(tmp_path):
    # The counterpart of the two above: they fail for the reason they name.
    result = django_setup(clean_environ(XINFANG_SECRET_KEY=GOOD_KEY, XINFANG_DATA_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_check(tmp_path):
    """`manage.py check --deploy` on production defaults: not one warning."""
    environ = clean_environ(
        XINFANG_SECRET_KEY=GOOD_KEY,
        XINFANG_DATA_DIR=str(tmp_path),
        XINFANG_ALLOWED_HOSTS="xinfang.example.gov.cn",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_deployment_check_can_fail(tmp_path):
    """The check above is able to fail: DEBUG on in production is reported."""
    environ = clean_environ(XINFANG_SECRET_KEY=GOOD_KEY, XINFANG_DATA_DIR=str(tmp_path), XINFANG_DEBUG="1")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    # Issue 9: JIT compilation cost 30-65 % of the list and dashboard queries' time.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
def test_postgresql_connections_cost_random_pages_as_an_ssd():
    # Issue 10: with the default 4 the planner scanned every search document for a common term.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
