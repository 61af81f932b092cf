"""Django settings, read from the environment.

One settings module for every use. With nothing set, Jiedao runs as the demo: SQLite and
uploaded documents under the checkout's ``var/`` folder, a secret generated once into
``var/secret_key``. Production sets ``JIEDAO_ENV=production`` and must then give
``JIEDAO_SECRET_KEY``, ``JIEDAO_ALLOWED_HOSTS`` and usually ``DATABASE_URL``.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def _default_data_dir() -> Path:
    # Run from a checkout (editable install), data lives beside the code so that `make run`
    # and a plain `jiedao ...` in the same checkout see the same database.
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.cwd() / "var"


DATA_DIR = Path(os.environ.get("JIEDAO_DATA_DIR") or _default_data_dir())
DATA_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = os.environ.get("JIEDAO_ENV", "demo")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("JIEDAO_DEBUG", "") == "1"


def _secret_key() -> str:
    if key := os.environ.get("JIEDAO_SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("JIEDAO_SECRET_KEY must be set when JIEDAO_ENV=production.")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written once per checkout and never committed (var/ is ignored).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("JIEDAO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("JIEDAO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "jiedao.core",
    "jiedao.intake",
    "jiedao.review",
    "jiedao.notices",
    "jiedao.reports",
    "jiedao.api",
    "ninja",  # serves the API docs' own Swagger UI files (no CDN)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jiedao.urls"
WSGI_APPLICATION = "jiedao.wsgi.application"

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
                "jiedao.core.context_processors.public_page",
            ],
        },
    },
]


def _databases() -> dict:
    if url := os.environ.get("DATABASE_URL"):
        database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        return {"default": database}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "jiedao.sqlite3",
            # Reuse connections: opening one and running the PRAGMAs costs ~0.7 ms a request.
            "CONN_MAX_AGE": 300,
            "CONN_HEALTH_CHECKS": True,
            # Writers queue on the busy timeout instead of failing with "database is locked":
            # IMMEDIATE takes the write lock at BEGIN, so no transaction has to upgrade a read
            # lock half-way (the upgrade is what fails under concurrency).
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
            # A file, not memory, so that tests with several threads share one database; one per
            # test run, so that two runs side by side do not trample each other.
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root before collectstatic
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    # Documents never sit under a public URL: the storage has no base_url and every photo is
    # read back through a permission-checked view.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "documents"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION or os.environ.get("JIEDAO_MANIFEST_STATIC") == "1"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collected, hashed files (tests, `jiedao runserver`), WhiteNoise serves from the source.
WHITENOISE_USE_FINDERS = STORAGES["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage")
MEDIA_ROOT = DATA_DIR / "documents"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Phone photos are large; Django spools anything above this to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 3  # an unfinished application is kept three days
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("JIEDAO_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

LOGIN_URL = "review:login"
LOGIN_REDIRECT_URL = "review:queue"

# How long unfinished applications (answers and photos) are kept before `jiedao drafts purge`.
JIEDAO_DRAFT_MAX_AGE_HOURS = int(os.environ.get("JIEDAO_DRAFT_MAX_AGE_HOURS", "72"))
# The version of the consent text shown on the check page; stored with every application.
JIEDAO_CONSENT_VERSION = "2026-11-v1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JIEDAO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # urllib3's debug lines carry whole request URLs: phone numbers in Aliyun's query string.
        "urllib3": {"level": "WARNING"},
    },
}


# ---------------------------------------------------------------------------------------------
# SMS notices (jiedao.notices). Credentials and tokens come only from the environment; Django's
# error pages hide settings whose names contain KEY, SECRET or TOKEN.


def _per_number_limits(raw: str) -> list[tuple[int, int]]:
    """Read "60:1,3600:5,86400:10": at most 1 message a minute, 5 an hour, 10 a day to one number."""
    limits = []
    for part in raw.split(","):
        if part.strip():
            seconds, _sep, count = part.partition(":")
            limits.append((int(seconds), int(count or 1)))
    return limits


# console (the demo: logged, kept in DATA_DIR/sms-console.jsonl, shown on the case page),
# aliyun (Alibaba Cloud SMS through its SDK) or http_json (a generic gateway).
JIEDAO_SMS_PROVIDER = os.environ.get("JIEDAO_SMS_PROVIDER", "console")
# The signature (签名) registered at the provider; it prefixes every message as 【…】.
JIEDAO_SMS_SIGN_NAME = os.environ.get("JIEDAO_SMS_SIGN_NAME", "芷江西路街道")
# Event → template code approved at the provider; JIEDAO_SMS_TEMPLATE_CODES is a JSON object
# overriding some or all, e.g. {"received": "SMS_123456789"}.
JIEDAO_SMS_TEMPLATE_CODES = {
    "received": "JIEDAO_RECEIVED",
    "needs_more": "JIEDAO_NEEDS_MORE",
    "approved": "JIEDAO_APPROVED",
    "rejected": "JIEDAO_REJECTED",
    "paid": "JIEDAO_PAID",
    "withdrawn": "JIEDAO_WITHDRAWN",
    **json.loads(os.environ.get("JIEDAO_SMS_TEMPLATE_CODES") or "{}"),
}
# Where residents check their case, named in the texts; must fit within the parameter limit.
JIEDAO_SMS_SITE = os.environ.get("JIEDAO_SMS_SITE", "http://127.0.0.1:8000/status/")
# The provider's limit on one template parameter, in characters (Aliyun: 35).
JIEDAO_SMS_PARAM_LIMIT = int(os.environ.get("JIEDAO_SMS_PARAM_LIMIT", "35"))
JIEDAO_SMS_CONNECT_TIMEOUT = float(os.environ.get("JIEDAO_SMS_CONNECT_TIMEOUT", "5"))
JIEDAO_SMS_READ_TIMEOUT = float(os.environ.get("JIEDAO_SMS_READ_TIMEOUT", "10"))
# A worker's claim on a batch; always at least one call's connect + read timeouts.
JIEDAO_SMS_LEASE_SECONDS = float(os.environ.get("JIEDAO_SMS_LEASE_SECONDS", "300"))
# After a send with an unknown outcome, wait this long before asking the provider about it.
JIEDAO_SMS_RECONCILE_DELAY_SECONDS = float(os.environ.get("JIEDAO_SMS_RECONCILE_DELAY_SECONDS", "120"))
JIEDAO_SMS_PER_NUMBER_LIMITS = _per_number_limits(os.environ.get("JIEDAO_SMS_PER_NUMBER_LIMITS", "60:1,3600:5,86400:10"))
JIEDAO_SMS_RETRY_BASE_SECONDS = float(os.environ.get("JIEDAO_SMS_RETRY_BASE_SECONDS", "30"))
JIEDAO_SMS_RETRY_CAP_SECONDS = float(os.environ.get("JIEDAO_SMS_RETRY_CAP_SECONDS", "3600"))
JIEDAO_SMS_MAX_AGE_HOURS = float(os.environ.get("JIEDAO_SMS_MAX_AGE_HOURS", "24"))
JIEDAO_SMS_BATCH = int(os.environ.get("JIEDAO_SMS_BATCH", "20"))
JIEDAO_SMS_WORKER_IDLE_SECONDS = float(os.environ.get("JIEDAO_SMS_WORKER_IDLE_SECONDS", "2"))
# Shared secret of the delivery-report endpoint; unset, the endpoint refuses every report.
JIEDAO_SMS_RECEIPT_TOKEN = os.environ.get("JIEDAO_SMS_RECEIPT_TOKEN", "")
JIEDAO_SMS_CONSOLE_FILE = Path(os.environ.get("JIEDAO_SMS_CONSOLE_FILE") or DATA_DIR / "sms-console.jsonl")
JIEDAO_SMS_HTTP_URL = os.environ.get("JIEDAO_SMS_HTTP_URL", "")
JIEDAO_SMS_HTTP_TOKEN = os.environ.get("JIEDAO_SMS_HTTP_TOKEN", "")
JIEDAO_SMS_ALIYUN_ENDPOINT = os.environ.get("JIEDAO_SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
JIEDAO_SMS_ALIYUN_PROTOCOL = os.environ.get("JIEDAO_SMS_ALIYUN_PROTOCOL", "https")
JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID", "")
JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET", "")


# ---------------------------------------------------------------------------------------------
# Partner API (jiedao.api): webhooks, delivered by the `jiedao notices work` loop.

# Extra rounds the notices worker runs after each SMS round (other outboxes of the same pattern).
JIEDAO_WORKER_EXTRA_ROUNDS = ["jiedao.api.webhooks.run_once"]
# Connect + read timeout of one webhook POST, in seconds.
JIEDAO_WEBHOOK_TIMEOUT = float(os.environ.get("JIEDAO_WEBHOOK_TIMEOUT", "10"))
JIEDAO_WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("JIEDAO_WEBHOOK_RETRY_BASE_SECONDS", "30"))
JIEDAO_WEBHOOK_RETRY_CAP_SECONDS = float(os.environ.get("JIEDAO_WEBHOOK_RETRY_CAP_SECONDS", "3600"))
# Retried until accepted, and given up (failed) once a delivery is this old.
JIEDAO_WEBHOOK_MAX_AGE_HOURS = float(os.environ.get("JIEDAO_WEBHOOK_MAX_AGE_HOURS", "72"))
