"""Xinfang settings: one module, driven by environment variables (see docs/configuration.md).

Defaults are for production (HTTPS, DEBUG off); `make run` and the tests relax
what plain HTTP on the loopback needs and nothing more.
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from xinfang.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_cache,
    env_choice,
    env_database,
    env_hosts,
    env_int,
    env_list,
    env_match,
    env_networks,
    env_path,
    env_redis,
    env_secret,
    env_str,
    env_timezone,
)

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent

DATA_DIR = env_path("XINFANG_DATA_DIR", BASE_DIR / "var")
DEBUG = env_bool("XINFANG_DEBUG", False)
HTTPS = env_bool("XINFANG_HTTPS", True)

SECRET_KEY = env_secret("XINFANG_SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfiguredEnv(
        "XINFANG_SECRET_KEY or XINFANG_SECRET_KEY_FILE must be set (`make run` creates one under var/)."
    )
# Django's deployment check wants 50+ characters with at least 5 different ones.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfiguredEnv("XINFANG_SECRET_KEY must be at least 50 random characters long.")

# The key that chains the event log; outside the database by design (docs/configuration.md).
AUDIT_KEY = env_secret("XINFANG_AUDIT_KEY") or SECRET_KEY
# Keys sealing personal data at rest (core/crypto.py): "id:base64key,…", the first current.
PII_KEYS = env_secret("XINFANG_PII_KEYS") or ""
PII_CIPHER = env_choice("XINFANG_PII_CIPHER", "sm4-gcm", {"sm4-gcm", "aes-256-gcm"})
# The key for blind indexes of personal data (exact look-ups of ID numbers and phones).
INDEX_KEY = env_secret("XINFANG_INDEX_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_hosts("XINFANG_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("XINFANG_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "xinfang.core",
    "xinfang.accounts",
    "xinfang.audit",
    "xinfang.petitions",
    "xinfang.documents",
    "xinfang.notifications",
    "xinfang.deadlines",
    "xinfang.search",
    "xinfang.reports",
    "captcha",
    "xinfang.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read in the session's own statement (accounts/sessions.py).
    "xinfang.accounts.middleware.SessionUserMiddleware",
    # Remembers where the primary's WAL was after a user's write (core/replicas.py).
    "xinfang.core.replicas.ReadYourWritesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it tells the user why they were signed out.
    "xinfang.accounts.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "xinfang.core.middleware.RequestIdMiddleware",
    "xinfang.audit.access.AccessContextMiddleware",
    "csp.middleware.CSPMiddleware",
    "xinfang.core.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "xinfang.urls"
WSGI_APPLICATION = "xinfang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xinfang.core.context_processors.site",
                "xinfang.notifications.context_processors.notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production; without it an embedded SQLite
# file under XINFANG_DATA_DIR is used. SQLite runs in WAL mode and opens every
# transaction IMMEDIATE, so concurrent writers queue on the busy timeout instead
# of failing with "database is locked" when a read transaction upgrades.
_database = env_database("DATABASE_URL", conn_max_age=60, conn_health_checks=True)
if _database:
    DATABASES = {"default": _database}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "xinfang.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so that threads and processes in the concurrency tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_xinfang.sqlite3")}
else:
    # PostgreSQL's JIT compiles the list, count and dashboard queries on every call
    # (they cross its cost thresholds at 10⁵ petitions) and spends more time compiling
    # than it saves: 30-65 % of those queries' time (docs/benchmarks.md). These are
    # short OLTP queries; JIT is off for the application's connections only.
    # random_page_cost 1.1 (the usual SSD value; the default 4 models spinning disks): with
    # 4 the planner reads a common search term's candidates by scanning every document
    # instead of the GIN index, several times slower (docs/search.md, docs/benchmarks.md).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = (_pg_options.get("options", "") + " -c jit=off -c random_page_cost=1.1").strip()
# A streaming replica (hot standby) for reads that may lag: lists, search, statistics,
# exports (core/replicas.py, docs/scaling.md). Unset: every read goes to the primary.
_replica = env_database("XINFANG_REPLICA_URL", conn_max_age=60, conn_health_checks=True)
READ_REPLICA = None
if _replica:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or (
        _replica["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfiguredEnv("XINFANG_REPLICA_URL needs PostgreSQL for it and for DATABASE_URL.")
    _replica_options = _replica.setdefault("OPTIONS", {})
    _replica_options["options"] = (
        _replica_options.get("options", "") + " -c jit=off -c random_page_cost=1.1"
    ).strip()
    # A replica that does not answer must not hold a request long: the primary serves instead.
    _replica_options.setdefault("connect_timeout", 3)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    READ_REPLICA = "replica"
DATABASE_ROUTERS = ["xinfang.core.replicas.PrimaryReplicaRouter"]
# How long after a write a user's marked reads compare positions before trusting the replica.
REPLICA_WRITER_SECONDS = env_int("XINFANG_REPLICA_WRITER_SECONDS", 300, minimum=5, maximum=24 * 3600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------
# Demo mode (`make run`) relaxes what a throwaway local instance with published
# passwords cannot use: forced two-factor enrolment and password expiry.
DEMO = env_bool("XINFANG_DEMO", False)
AUTH_USER_MODEL = "accounts.User"
# Every sign-in, web or API, goes through the lock-out (docs/security.md).
AUTHENTICATION_BACKENDS = ["xinfang.accounts.backends.LockoutBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xinfang.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "xinfang.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"remembered": 5}},
]
PASSWORD_MAX_AGE_DAYS = env_int("XINFANG_PASSWORD_MAX_AGE_DAYS", 0 if DEMO else 90, minimum=0, maximum=3650)
LOCKOUT_FAILURES = env_int("XINFANG_LOCKOUT_FAILURES", 5, minimum=1, maximum=100)
LOCKOUT_MINUTES = env_int("XINFANG_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
REQUIRE_2FA = env_bool("XINFANG_REQUIRE_2FA", not DEMO)
# Sessions are rows that name their user, so that disabling an account ends them all.
SESSION_ENGINE = "xinfang.accounts.sessions"
SESSION_COOKIE_AGE = env_int("XINFANG_SESSION_HOURS", 8, minimum=1, maximum=24) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
IDLE_MINUTES = env_int("XINFANG_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
API_TOKEN_TTL_HOURS = env_int("XINFANG_API_TOKEN_HOURS", 12, minimum=1, maximum=24 * 30)
# Our lock-out counts wrong codes together with wrong passwords; django-otp's own
# per-device delay on top would make a mistyped code lock the user out for seconds.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "Xinfang"

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_timezone("XINFANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project's own assets (vendored htmx, CSS, JS) live in the package, which is not an app.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Attachments, documents, exports and staged uploads: on storage every app server and worker
# shares when there are several machines (docs/scaling.md).
MEDIA_ROOT = env_path("XINFANG_FILES_DIR", DATA_DIR / "files")
_static_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if env_bool("XINFANG_STATIC_MANIFEST", True)
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STORAGES = {
    # Attachments: never served directly (no MEDIA_URL route); only through the
    # authorising download view. Files are private to the service account.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(MEDIA_ROOT),
            "base_url": "/nonexistent/",
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {"BACKEND": _static_backend},
}
WHITENOISE_USE_FINDERS = not env_bool("XINFANG_STATIC_MANIFEST", True)
MAX_UPLOAD_BYTES = env_int("XINFANG_MAX_UPLOAD_MB", 50, minimum=1, maximum=2048) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Petitions ----------------------------------------------------------------
# Part of every petition number (PREFIX-2026-000123) and of URLs: no hyphens or spaces.
NUMBER_PREFIX = env_match(
    "XINFANG_NUMBER_PREFIX", "XF", r"[A-Za-z0-9_]{1,10}", "1-10 ASCII letters, digits or underscores"
)
OFFICE_NAME = env_str("XINFANG_OFFICE_NAME", "")
# PostgreSQL: a registration's COMMIT releases the year's number before the disk's flush, and
# the registration waits for the disk afterwards, before answering (petitions/numbering.py).
NUMBER_RELEASE_BEFORE_FLUSH = env_bool("XINFANG_NUMBER_RELEASE_BEFORE_FLUSH", True)

# --- Audit ----------------------------------------------------------------------
# The access log is kept at least 184 days (six months, Cybersecurity Law Art. 21).
ACCESS_LOG_RETENTION_DAYS = env_int("XINFANG_ACCESS_LOG_RETENTION_DAYS", 365, minimum=184)
# Events (the petitions' timelines and audit chain) are kept for ever unless this is set: then
# `manage.py audit_partitions --drop-expired` drops whole months older than it, sealing where
# each chain resumes (docs/scaling.md). Set it to the office's archive period; never under 184.
EVENT_RETENTION_DAYS = env_int("XINFANG_EVENT_RETENTION_DAYS", 0, minimum=0)
# --- Deadlines, reminders, background work (docs/deadlines.md) -------------------
# Which set of deadline policies new clocks follow: the seed's rules or the national regulation's.
DEADLINE_PROFILE = env_choice("XINFANG_DEADLINE_PROFILE", "default", {"default", "national"})
# Reminders go out this long before a clock runs out.
REMINDER_LEAD_HOURS = env_int("XINFANG_REMINDER_LEAD_HOURS", 24, minimum=1, maximum=24 * 30)
# The deadline worker sweeps this often (seconds).
DEADLINE_SWEEP_SECONDS = env_int("XINFANG_DEADLINE_SWEEP_SECONDS", 60, minimum=5, maximum=24 * 3600)
# The task queue. "db": a table in the database, no broker to run, works on SQLite and
# PostgreSQL; `manage.py run_deadline_worker` both schedules and runs. "rq": Redis (RQ through
# django-tasks-rq), run by `manage.py rqworker` processes on any machine, while
# run_deadline_worker only schedules the periodic jobs, once per interval however many run
# (core/taskqueue.py, docs/scaling.md).
TASK_QUEUE = env_choice("XINFANG_TASKS", "db", {"db", "rq"})
REDIS_URL = env_redis("XINFANG_REDIS_URL")
if TASK_QUEUE == "rq":
    if not REDIS_URL:
        raise ImproperlyConfiguredEnv("XINFANG_TASKS=rq needs XINFANG_REDIS_URL (redis://host:6379/0).")
    INSTALLED_APPS.append("django_rq")
    # A job may run as long as a large export; the results are kept a day for the status pages.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600, "DEFAULT_RESULT_TTL": 86400}}
    RQ = {"DEFAULT_RESULT_TTL": 86400}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail for reminders and escalations. The console backend (the default) prints them.
_email_backend = env_choice("XINFANG_EMAIL_BACKEND", "console", {"console", "smtp", "locmem"})
EMAIL_BACKEND = f"django.core.mail.backends.{_email_backend}.EmailBackend"
EMAIL_HOST = env_str("XINFANG_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("XINFANG_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("XINFANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("XINFANG_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("XINFANG_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("XINFANG_EMAIL_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfiguredEnv("XINFANG_EMAIL_STARTTLS and XINFANG_EMAIL_SSL cannot both be on.")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("XINFANG_EMAIL_FROM", "xinfang@localhost")

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "xinfang.accounts.api_auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (nesting bounded, core/parsers.py): the contract is JSON, and the OpenAPI document
    # then offers no form bodies the services would misread; uploads declare their multipart parser.
    "DEFAULT_PARSER_CLASSES": ["xinfang.core.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "xinfang.core.api.Pagination",
    "EXCEPTION_HANDLER": "xinfang.core.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF reads "N/period" by the period's first letter (s, m, h, d) and would only fail at request time.
    "DEFAULT_THROTTLE_RATES": {
        "token": env_match(
            "XINFANG_TOKEN_THROTTLE", "20/min", r"[0-9]+/[smhd][a-z]*", "a rate such as 20/min"
        )
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinfang API",
    "DESCRIPTION": "Letters-and-visits case management. Contract: API.md; errors are application/problem+json.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the vendored sidecar package: no CDN on a government intranet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error responses (problem+json) and the limits the views check by hand (core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "xinfang.core.openapi.declare_problems",
    ],
}

# --- Security -----------------------------------------------------------------
# Content Security Policy (django-csp): nothing inline, nothing from elsewhere, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("XINFANG_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("XINFANG_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
BEHIND_PROXY = env_bool("XINFANG_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Only these peers may say who the client is (X-Forwarded-For); anyone else's header is
# ignored, so a client cannot pick the address its throttle and access log entries get.
# Behind a proxy on the same machine the loopback is enough.
TRUSTED_PROXIES = env_networks("XINFANG_TRUSTED_PROXIES", ["127.0.0.1", "::1"] if BEHIND_PROXY else [])

# --- Cache --------------------------------------------------------------------
# Throttles and rate limits count in the default cache, which every web process
# shares: the database cache by default, Redis with XINFANG_CACHE_URL=redis://….
CACHES = {"default": env_cache("XINFANG_CACHE_URL")}
SILENCED_SYSTEM_CHECKS: list[str] = []

LOG_LEVEL = env_choice("XINFANG_LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

SITE_NAME = _("Xinfang petition case management")

# --- Official documents (documents/references.py, documents/rendering.py, docs/configuration.md) ---
# The issuing organ printed as 发文机关标志, and the 文号 patterns per document type:
# "code=pattern;code=pattern", each pattern with {year} and {serial} (and optionally {prefix}).
DOCUMENT_ISSUER = env_str("XINFANG_DOCUMENT_ISSUER", "政协达州市委员会办公室")
DOCUMENT_REFERENCE_PREFIX = env_str("XINFANG_DOCUMENT_REFERENCE_PREFIX", "达市政协信")
DOCUMENT_REFERENCE_PATTERNS = env_str("XINFANG_DOCUMENT_REFERENCES", "")
# "background": PDFs are made by the task worker after the request; "inline": within it.
DOCUMENT_PDF_MODE = env_choice("XINFANG_DOCUMENT_PDF", "background", {"background", "inline"})
# LibreOffice's soffice; the PDF conversion gives up after this many seconds.
DOCUMENT_SOFFICE = env_str("XINFANG_SOFFICE", "soffice")
# "auto": a LibreOffice kept running per process, over UNO (python3-uno), where available;
# "command": one `soffice --convert-to` per batch.
DOCUMENT_CONVERTER = env_choice("XINFANG_DOCUMENT_CONVERTER", "auto", {"auto", "command"})
DOCUMENT_PDF_TIMEOUT = env_int("XINFANG_DOCUMENT_PDF_TIMEOUT", 60, minimum=5, maximum=600)
# The public portal (docs/portal.md). Its rate limits count in the `default` cache, which must be
# shared by all web workers in production (a database or Redis cache).
PORTAL_SUBMISSIONS_PER_ADDRESS_HOUR = env_int("XINFANG_PORTAL_SUBMISSIONS_PER_ADDRESS_HOUR", 5, minimum=1)
PORTAL_SUBMISSIONS_PER_PHONE_DAY = env_int("XINFANG_PORTAL_SUBMISSIONS_PER_PHONE_DAY", 3, minimum=1)
PORTAL_QUERY_FAILURES = env_int("XINFANG_PORTAL_QUERY_FAILURES", 10, minimum=3, maximum=1000)
PORTAL_RATING_DAYS = env_int("XINFANG_PORTAL_RATING_DAYS", 30, minimum=1, maximum=365)
PORTAL_MAX_FILES = 5
PORTAL_NOTICE = env_str("XINFANG_PORTAL_NOTICE", "")
# Demo mode only (`make run`): the CAPTCHA answer PASSED is accepted, so that scripts and the
# browser tests can submit. Never in production: it follows XINFANG_DEMO and nothing else.
PORTAL_DEMO_CAPTCHA = DEMO
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 20  # minutes: a citizen may take a while over the form
CAPTCHA_IMAGE_SIZE = (150, 50)
