"""Typed readers for environment variables.

Every setting that comes from the environment goes through one of these, so a
typo in a deployment ("ture", "80OO") stops the process at start-up with a
message naming the variable instead of silently meaning something else.
An unset or blank variable means "use the default".
"""

from __future__ import annotations

import os
import re
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


class ImproperlyConfiguredEnv(ImproperlyConfigured):
    """An environment variable holds a value its setting cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# What Django's ALLOWED_HOSTS matches: a name, a ".suffix" wildcard, "*", an IPv4
# address or a bracketed IPv6 address. A URL ("https://x/") would never match.
_HOST = re.compile(r"^(\*|\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])$")

# The engines Xinfang is tested on; anything else would be a guess.
_DATABASE_ENGINES = {"django.db.backends.postgresql", "django.db.backends.sqlite3"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a whole number; got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name} must be at least {minimum}; got {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfiguredEnv(f"{name} must be at most {maximum}; got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_hosts(name: str, default: list[str]) -> list[str]:
    """Host names for ALLOWED_HOSTS: at least one, and each one a host, not a URL."""
    hosts = env_list(name, default)
    if not hosts:
        raise ImproperlyConfiguredEnv(f"{name} must name at least one host")
    for host in hosts:
        if not _HOST.match(host):
            raise ImproperlyConfiguredEnv(
                f"{name}: {host!r} is not a host name (write 'xinfang.example.gov.cn', not a URL)"
            )
    return hosts


def env_path(name: str, default: Path) -> Path:
    """A directory or file path; relative paths are taken from the working directory."""
    value = _raw(name)
    return Path(value).expanduser().resolve() if value else default


def env_match(name: str, default: str, pattern: str, description: str) -> str:
    """A string that must match `pattern` in full; `description` says what is expected."""
    value = _raw(name)
    if value is None:
        return default
    if not re.fullmatch(pattern, value):
        raise ImproperlyConfiguredEnv(f"{name} must be {description}; got {value!r}")
    return value


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value


def env_timezone(name: str, default: str) -> str:
    """An IANA time zone name such as Asia/Shanghai."""
    value = _raw(name)
    if value is None:
        return default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfiguredEnv(
            f"{name} must be a time zone name such as Asia/Shanghai; got {value!r}"
        ) from None
    return value


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (for container secrets).

    Setting both is refused: which one wins would be a guess.
    """
    direct = _raw(name)
    file_name = _raw(f"{name}_FILE")
    if direct and file_name:
        raise ImproperlyConfiguredEnv(f"set {name} or {name}_FILE, not both")
    if file_name:
        try:
            content = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(f"{name}_FILE: cannot read {file_name!r}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ImproperlyConfiguredEnv(f"{name}_FILE: {file_name!r} is not UTF-8 text") from None
        if not content:
            raise ImproperlyConfiguredEnv(f"{name}_FILE: {file_name!r} is empty")
        return content
    return direct


def env_database(name: str, **options) -> dict | None:
    """A Django DATABASES entry from a URL in NAME (or NAME_FILE, as it holds a password).

    None when unset. Only PostgreSQL (postgresql://user:password@host:port/name) and
    SQLite (sqlite:////absolute/path) are accepted. `options` go to dj_database_url
    (conn_max_age, conn_health_checks). The message never repeats the URL: it may
    contain the password.
    """
    url = env_secret(name)
    if url is None:
        return None
    try:
        config = dj_database_url.parse(url, **options)
    except ValueError:
        raise ImproperlyConfiguredEnv(
            f"{name} must be a database URL such as postgresql://user:password@host:5432/xinfang"
        ) from None
    if config.get("ENGINE") not in _DATABASE_ENGINES:
        raise ImproperlyConfiguredEnv(
            f"{name} must point to PostgreSQL (postgresql://…) or SQLite (sqlite:///…)"
        )
    if not config.get("NAME"):
        raise ImproperlyConfiguredEnv(f"{name} must name a database (…/xinfang at the end)")
    return config


# The table of the database cache (created by migrate and prepare_instance).
CACHE_TABLE = "xinfang_cache"


def env_cache(name: str) -> dict:
    """Django's `default` cache from a URL in NAME (or NAME_FILE, as it may hold a password).

    Throttles and rate limits count in this cache, so it must be one that every web
    process shares: unset or `db://` is the database cache (works on the embedded
    SQLite), `redis://host:6379/0` (or `rediss://`) is Django's Redis cache. `locmem://`
    counts per process and is for tests only. The message never repeats the URL.
    """
    url = env_secret(name)
    if url is None or url in {"db://", "database://"}:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
    if url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "xinfang"}
    if re.fullmatch(r"rediss?://[^\s/]+(/[0-9]{1,2})?/?", url):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfiguredEnv(f"{name} must be db://, redis://host:6379/0 or rediss://…")


def env_redis(name: str) -> str | None:
    """A Redis URL in NAME (or NAME_FILE, as it may hold a password); None when unset.
    The message never repeats the URL."""
    url = env_secret(name)
    if url is not None and not re.fullmatch(r"rediss?://[^\s/]+(/[0-9]{1,2})?/?", url):
        raise ImproperlyConfiguredEnv(f"{name} must be redis://host:6379/0 or rediss://…")
    return url


def env_networks(name: str, default: list[str]) -> list:
    """Addresses or networks (`10.0.0.5`, `10.0.0.0/24`, `::1`), comma-separated."""
    import ipaddress

    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name}: {item!r} is not an address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return networks
