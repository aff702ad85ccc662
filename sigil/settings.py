"""Sigil settings: embedded defaults, production by environment variables (see README)."""
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sigil.env import env_bool, env_int, env_list, env_secret, env_str, local_keys

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SIGIL_PUBLIC_URL = env_str("SIGIL_PUBLIC_URL", "http://localhost:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [SIGIL_PUBLIC_URL]
PRODUCTION = SIGIL_PUBLIC_URL.startswith("https://")

SQLITE_PATH = env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
SECRET_KEY = env_secret("SECRET_KEY")
JWT_SIGNING_KEY = env_secret("JWT_SIGNING_KEY")
if not SECRET_KEY and PRODUCTION:
    raise ImproperlyConfigured("Set SECRET_KEY in production (SIGIL_PUBLIC_URL is https)")
if not SECRET_KEY:
    # Never a constant: random keys made on first start, in a 0600 file next to the SQLite file.
    _local_keys = local_keys(env_str("SIGIL_KEYS_FILE", str(Path(SQLITE_PATH).with_name("sigil-keys.json"))))
    SECRET_KEY = _local_keys["SECRET_KEY"]
    JWT_SIGNING_KEY = JWT_SIGNING_KEY or _local_keys["JWT_SIGNING_KEY"]
JWT_SIGNING_KEY = JWT_SIGNING_KEY or SECRET_KEY + ":jwt"
if JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "sigil",  # before whitenoise: its runserver makes the public URL follow the server's address
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "simple_history",
    "accounts",
    "scans",
    "intel",
    "signatures",
    "marketplace",
    "firewall",
]

MIDDLEWARE = [
    "sigil.api.middleware.BodySizeLimitMiddleware",
    "sigil.api.middleware.HostileTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit trail's actor: the request's user (DRF sets it once the bearer token is checked).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sigil.api.middleware.ServiceUnavailableMiddleware",
    "sigil.api.ratelimit.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "sigil.urls"
WSGI_APPLICATION = "sigil.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)}
else:
    # Embedded mode serves a small team: WAL lets readers run beside the one writer, writers queue
    # for up to SQLITE_BUSY_TIMEOUT_SECONDS instead of failing, and transactions take the write lock
    # when they begin (IMMEDIATE), so a read-then-write one never deadlocks into "database is locked".
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        },
        # Tests get a file too: an in-memory database shares one cache, where waiting writers fail
        # at once ("table is locked") instead of queueing like the embedded server's do.
        "TEST": {"NAME": str(Path(SQLITE_PATH).with_name("test_" + Path(SQLITE_PATH).name))},
    }}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sigil"}}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_MAX_LENGTH = 256

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
SIGIL_COLLECTSTATIC = env_bool("SIGIL_COLLECTSTATIC", False)  # scripts/prod: collectstatic into STATIC_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
                    if not DEBUG and SIGIL_COLLECTSTATIC
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without collectstatic (embedded mode, tests) whitenoise serves straight from the apps' static
# directories, so the admin and the API docs are styled with no extra step.
WHITENOISE_USE_FINDERS = not SIGIL_COLLECTSTATIC
if WHITENOISE_USE_FINDERS:
    warnings.filterwarnings("ignore", message=r"No directory at: .*staticfiles")

# Audit trail (sigil/audit.py): reasons as free text; history is read-only in admin.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# Request bodies over 1 MB are refused before parsing (sigil.api.middleware).
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sigil.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["sigil.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "sigil.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["sigil.api.ratelimit.TierRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sigil API",
    "DESCRIPTION": "Supply-chain security: scans, threat intelligence, signatures, marketplace verification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No call to the public validator service: the docs page talks to this server only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # source_type: scans also take "local"; reports and verifications name a remote source.
        "ScanSourceTypeEnum": "scans.constants.SourceType",
        "RemoteSourceTypeEnum": "intel.constants.ReportSourceType",
    },
}

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=3600),
    "ISSUER": env_str("JWT_ISSUER", SIGIL_PUBLIC_URL),
    "AUDIENCE": env_str("JWT_AUDIENCE", "sigil-api"),
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "LEEWAY": 0,
    "UPDATE_LAST_LOGIN": False,
}

# Rate limits: django-ratelimit counters on the default cache (Redis in production).
RATELIMIT_USE_CACHE = "default"
RATELIMIT_ENABLE = True
SIGIL_LOGIN_FAILURES_PER_EMAIL = env_int("SIGIL_LOGIN_FAILURES_PER_EMAIL", 5)
SIGIL_LOGIN_FAILURES_PER_ADDRESS = env_int("SIGIL_LOGIN_FAILURES_PER_ADDRESS", 20)
SIGIL_LOGIN_WINDOW_SECONDS = env_int("SIGIL_LOGIN_WINDOW_SECONDS", 900)
SIGIL_ANONYMOUS_PER_MINUTE = env_int("SIGIL_ANONYMOUS_PER_MINUTE", 30)
if not REDIS_URL:
    # Local memory is per process: fine for the embedded single-process server.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL if CELERY_BROKER_URL else None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Quota counters of past days are never read again; yesterday's stays for a day of grace.
    "prune-daily-scan-counts": {"task": "scans.tasks.prune_daily_scan_counts", "schedule": 6 * 3600},
    # Re-verification passes that never finished, and intel changes no signal announced.
    "reverify-catch-up": {"task": "marketplace.tasks.reverify_catch_up", "schedule": 60},
}
# OSV import (README, OSV): an https URL of an OSV zip (or a directory) re-imported every
# SIGIL_OSV_IMPORT_HOURS by beat; empty (the default) = no scheduled import.
SIGIL_OSV_IMPORT_URL = env_str("SIGIL_OSV_IMPORT_URL", "")
SIGIL_OSV_IMPORT_HOURS = env_int("SIGIL_OSV_IMPORT_HOURS", 6)
if SIGIL_OSV_IMPORT_URL:
    CELERY_BEAT_SCHEDULE["osv-import"] = {"task": "marketplace.tasks.osv_import_scheduled",
                                          "schedule": SIGIL_OSV_IMPORT_HOURS * 3600}

# Outbound network (marketplace): guarded client. See docs/design.md, Outbound network.
PYPI_URL = env_str("PYPI_URL", "https://pypi.org").rstrip("/")
NPM_REGISTRY_URL = env_str("NPM_REGISTRY_URL", "https://registry.npmjs.org").rstrip("/")
# host:port pairs allowed over plain http and on non-global addresses (tests' fake registries).
SIGIL_OUTBOUND_ALLOWLIST = env_list("SIGIL_OUTBOUND_ALLOWLIST")
# POST /v1/verify waits this long for a worker, then answers 202 (the client polls). Well below
# gunicorn's worker timeout (gunicorn.conf.py refuses to start otherwise), and only on spare threads.
SIGIL_VERIFY_WAIT_SECONDS = env_int("SIGIL_VERIFY_WAIT_SECONDS", 10)
SIGIL_VERIFY_MAX_WAITERS = env_int("SIGIL_VERIFY_MAX_WAITERS", max(0, env_int("GUNICORN_THREADS", 4) - 1))
SIGIL_VERIFY_MAX_ARTIFACT_BYTES = env_int("SIGIL_VERIFY_MAX_ARTIFACT_BYTES", 50 * 1024 * 1024)
SIGIL_GIT_TIMEOUT_SECONDS = env_int("SIGIL_GIT_TIMEOUT_SECONDS", 120)
SIGIL_VERIFY_REUSE_HOURS = env_int("SIGIL_VERIFY_REUSE_HOURS", 24)
# Install-time firewall (README, Firewall): the package proxy in front of PYPI_URL and NPM_REGISTRY_URL.
# Hosts (host or host:port) distribution files may come from, besides the index's own host.
SIGIL_FIREWALL_PYPI_FILE_HOSTS = env_list("SIGIL_FIREWALL_PYPI_FILE_HOSTS") or ["files.pythonhosted.org"]
SIGIL_FIREWALL_METADATA_TTL = env_int("SIGIL_FIREWALL_METADATA_TTL", 300)  # seconds before revalidating
SIGIL_FIREWALL_SCAN_WAIT_SECONDS = env_int("SIGIL_FIREWALL_SCAN_WAIT_SECONDS", 20)  # then 503 + Retry-After
SIGIL_FIREWALL_RETRY_AFTER = env_int("SIGIL_FIREWALL_RETRY_AFTER", 15)
# Upstream down: serve cached metadata up to this many seconds after upstream last confirmed it.
SIGIL_FIREWALL_STALE_IF_ERROR = env_int("SIGIL_FIREWALL_STALE_IF_ERROR", 24 * 3600)
SIGIL_WEBHOOK_MAX_ATTEMPTS = env_int("SIGIL_WEBHOOK_MAX_ATTEMPTS", 6)
# Re-verification (README, Badges and re-verification): batch sizes and Celery rate limits per worker.
SIGIL_REVERIFY_BATCH_SIZE = env_int("SIGIL_REVERIFY_BATCH_SIZE", 200)          # results per threat batch
SIGIL_REVERIFY_RESCAN_BATCH_SIZE = env_int("SIGIL_REVERIFY_RESCAN_BATCH_SIZE", 10)  # artifacts per rescan batch
SIGIL_REVERIFY_BATCH_RATE = env_str("SIGIL_REVERIFY_BATCH_RATE", "120/m")
SIGIL_REVERIFY_RESCAN_RATE = env_str("SIGIL_REVERIFY_RESCAN_RATE", "12/m")
SIGIL_REVERIFY_STUCK_SECONDS = env_int("SIGIL_REVERIFY_STUCK_SECONDS", 900)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
SIGIL_TRUSTED_PROXIES = env_int("SIGIL_TRUSTED_PROXIES", 0)
