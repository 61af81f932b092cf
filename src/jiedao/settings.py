"""Django settings, read from the environment.

One settings module for every use. With nothing set, Jiedao runs as the demo: SQLite and
uploaded documents under the checkout's ``var/`` folder, a secret generated once into
``var/secret_key``. Production sets ``JIEDAO_ENV=production`` and must then give
``JIEDAO_SECRET_KEY``, ``JIEDAO_ALLOWED_HOSTS`` and usually ``DATABASE_URL``.
"""

from __future__ import annotations

import base64
import datetime as dt
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "jiedao.core",
    "jiedao.intake",
    "jiedao.activities",
    "jiedao.rosters",
    "jiedao.ratings",
    "jiedao.bulletins",
    "jiedao.news",
    "jiedao.sites",
    "jiedao.enterprises",
    "jiedao.review",
    "jiedao.notices",
    "jiedao.reports",
    "jiedao.api",
    "jiedao.ops",
    "ninja",  # serves the API docs' own Swagger UI files (no CDN)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files (an SVG is a document) get the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads request.POST/FILES (CSRF does): refuses oversized bodies unread.
    "jiedao.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jiedao.core.staff_auth_middleware.StaffSignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into our page
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
                "jiedao.lib.context_processors.public_page",
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
            # Django's SQLite, with write transactions taking turns through a file lock rather than
            # SQLite's sleep-and-retry (jiedao.lib.sqlite_backend says why).
            "ENGINE": "jiedao.lib.sqlite_backend",
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
# ...and that file is written here, in the data folder, never the system temp folder: a worker
# killed mid-upload (kill -9, OOM, a deploy) cannot delete it, and a raw upload still carries its
# EXIF and GPS. `jiedao documents sweep` removes what is left here after an hour. The server
# process also points Python's tempfile here (jiedao.asgi), for the request body it spools.
UPLOAD_SPOOL_DIR = Path(os.environ.get("JIEDAO_UPLOAD_SPOOL_DIR") or DATA_DIR / "spool")
UPLOAD_SPOOL_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(UPLOAD_SPOOL_DIR)
# DATA_UPLOAD_MAX_NUMBER_FILES and the request size: "Response headers and request limits", below.

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 3  # an unfinished application is kept three days
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# A form sent from a page kept open too long: a page in the site's frame, not Django's bare 403.
CSRF_FAILURE_VIEW = "jiedao.core.views.csrf_failure"
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
    # Every handler masks ID numbers and mobile numbers in what it writes (PIPL; lib/logging.py).
    "filters": {
        "mask_personal_data": {"()": "jiedao.lib.logging.MaskPersonalData"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("JIEDAO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default handlers (its own console, the error e-mail) do not mask: replaced by
        # the masked e-mail handler here, everything else reaches the root's masked console.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
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


# ---------------------------------------------------------------------------------------------
# Documents in object storage (S3)
#
# With JIEDAO_S3_BUCKET set, document photos go to an S3-compatible object store (MinIO, Ceph,
# Alibaba Cloud OSS, AWS S3) instead of DATA_DIR/documents, so that several app servers and
# workers share them. Objects are written private (no public ACL) under the same random,
# server-made names; they are read back only with storage.open() by the permission-checked views
# (jiedao.lib.http.private_photo_response), never through a public or presigned URL.
# Credentials: JIEDAO_S3_ACCESS_KEY_ID / JIEDAO_S3_SECRET_ACCESS_KEY, or, left unset, boto3's own
# chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws, an instance or task role).

JIEDAO_S3_BUCKET = os.environ.get("JIEDAO_S3_BUCKET", "")
if JIEDAO_S3_BUCKET:
    _s3_endpoint = os.environ.get("JIEDAO_S3_ENDPOINT_URL", "")
    _s3_options = {
        "bucket_name": JIEDAO_S3_BUCKET,
        # A key prefix inside the bucket, e.g. "jiedao/documents"; empty: the bucket's root.
        "location": os.environ.get("JIEDAO_S3_PREFIX", ""),
        # "private" unless told otherwise; empty sends no ACL header at all (AWS buckets whose
        # Object Ownership is "bucket owner enforced" refuse requests that carry an ACL).
        "default_acl": os.environ.get("JIEDAO_S3_DEFAULT_ACL", "private") or None,
        # Names are random; never replace an object that happens to exist.
        "file_overwrite": False,
        # Should anything ever ask for a URL, it gets a short-lived signed one, never a public one.
        "querystring_auth": True,
        "querystring_expire": 60,
        "custom_domain": None,
        "object_parameters": {"ContentType": "image/jpeg", "CacheControl": "no-store, private"},
    }
    if _s3_endpoint:
        _s3_options["endpoint_url"] = _s3_endpoint
    if _s3_region := os.environ.get("JIEDAO_S3_REGION", ""):
        _s3_options["region_name"] = _s3_region
    # MinIO and most self-hosted stores answer on one host name: path-style addressing.
    if _s3_addressing := os.environ.get("JIEDAO_S3_ADDRESSING_STYLE", "path" if _s3_endpoint else ""):
        _s3_options["addressing_style"] = _s3_addressing
    if _s3_key_id := os.environ.get("JIEDAO_S3_ACCESS_KEY_ID", ""):
        _s3_options["access_key"] = _s3_key_id
        _s3_options["secret_key"] = os.environ.get("JIEDAO_S3_SECRET_ACCESS_KEY", "")
    # Server-side encryption at rest: "AES256" (SSE-S3) or "aws:kms" (+ JIEDAO_S3_SSE_KMS_KEY_ID).
    if _s3_sse := os.environ.get("JIEDAO_S3_SSE", ""):
        _s3_options["object_parameters"]["ServerSideEncryption"] = _s3_sse
        if _s3_kms_key := os.environ.get("JIEDAO_S3_SSE_KMS_KEY_ID", ""):
            _s3_options["object_parameters"]["SSEKMSKeyId"] = _s3_kms_key
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}


# ---------------------------------------------------------------------------------------------
# ID numbers at rest (jiedao.lib.crypto). Encrypted with Fernet keys and compared by a keyed
# hash; neither key may live in the database or its backups. In the demo both are generated once
# into DATA_DIR (0600, like the secret key); production must set them.


def _data_dir_secret(name: str, make) -> str:
    path = DATA_DIR / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def _id_keys() -> list[str]:
    """Fernet keys, newest first: the first encrypts, all decrypt (see `jiedao keys rotate`)."""
    raw = os.environ.get("JIEDAO_ID_KEYS")
    if not raw:
        if PRODUCTION:
            raise ImproperlyConfigured("JIEDAO_ID_KEYS must be set when JIEDAO_ENV=production.")
        # A Fernet key is 32 random bytes in url-safe base64; one per line in the file.
        raw = _data_dir_secret("id_keys", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return [key.strip() for key in raw.replace("\n", ",").split(",") if key.strip()]


def _id_hash_key() -> str:
    if key := os.environ.get("JIEDAO_ID_HASH_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("JIEDAO_ID_HASH_KEY must be set when JIEDAO_ENV=production.")
    return _data_dir_secret("id_hash_key", lambda: secrets.token_urlsafe(32))


JIEDAO_ID_KEYS = _id_keys()
JIEDAO_ID_HASH_KEY = _id_hash_key()
# Django's error reports (technical 500 page, error e-mail) mask ID and mobile numbers too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "jiedao.lib.logging.MaskingExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "jiedao.lib.logging.MaskingExceptionReporter"


# ---------------------------------------------------------------------------------------------
# Staff sign-in (two factors, lockout, sessions): jiedao.core.staff_auth. See docs/security.md.

# django-axes checks the lockout before the password backend runs.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Failures are counted per username *and* address together: a colleague mistyping behind the
# office's one NAT address locks only themselves, and an attacker elsewhere cannot lock a real
# user out. Failed second-factor codes count towards the same limit.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("JIEDAO_SIGN_IN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("JIEDAO_SIGN_IN_COOLOFF_MINUTES", "15")))
# A correct password alone must not wipe the count of wrong codes: the count is cleared only
# once both factors have passed (jiedao.core.staff_auth.sign_in_complete).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "jiedao.core.staff_auth_views.lockout_response"
# The client's address: REMOTE_ADDR, or, behind our reverse proxies (JIEDAO_TRUSTED_PROXIES, or
# JIEDAO_TRUSTED_PROXY_COUNT of them), the X-Forwarded-For entry the outermost trusted proxy saw.
# One function for the lockout, the rate limits and the audit trail (jiedao.lib.addresses).
JIEDAO_TRUSTED_PROXY_COUNT = int(os.environ.get("JIEDAO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "jiedao.lib.addresses.client_ip_address"
# Keep usernames out of axes' own log lines; the attempts table has them.
AXES_VERBOSE = False

OTP_TOTP_ISSUER = os.environ.get("JIEDAO_OTP_ISSUER", "芷江西路街道")
# Wrong codes make the device wait 1, 2, 4, 8 … seconds before it checks the next one, from
# any address: the per-device brake that the per-address lockout cannot give.
OTP_TOTP_THROTTLE_FACTOR = 1
# The admin lists devices but never shows their secret keys.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# A staff session ends after this long without a request, and in any case this long after sign-in.
# Residents' sessions (unfinished applications, SESSION_COOKIE_AGE) are not affected.
JIEDAO_STAFF_IDLE_SECONDS = int(os.environ.get("JIEDAO_STAFF_IDLE_MINUTES", "30")) * 60
JIEDAO_STAFF_ABSOLUTE_SECONDS = int(os.environ.get("JIEDAO_STAFF_ABSOLUTE_HOURS", "12")) * 3600

# Offices whose assessor insists on MLPS character classes set this to 3 or 4 (of lower case,
# upper case, digits, symbols); 0 (the default) relies on length and the common-password list.
JIEDAO_PASSWORD_CHARACTER_CLASSES = int(os.environ.get("JIEDAO_PASSWORD_CHARACTER_CLASSES", "0"))
if JIEDAO_PASSWORD_CHARACTER_CLASSES:
    AUTH_PASSWORD_VALIDATORS.append(
        {
            "NAME": "jiedao.core.staff_auth.CharacterClassesValidator",
            "OPTIONS": {"classes": JIEDAO_PASSWORD_CHARACTER_CLASSES},
        }
    )


# ---------------------------------------------------------------------------------------------
# Response headers and request limits (docs/security.md). `jiedao check --deploy --fail-level
# WARNING` passes with production settings; CI runs it.

# Content-Security-Policy on every response (django-csp). Every script and stylesheet is a file
# under /static/ (no inline <script>, <style>, style="" or on…= attributes: templates draw bars as
# SVG attributes instead), so 'self' suffices and an injected script has nowhere to run.
# img-src: blob: for the photo preview shown before upload (site.js), data: for the API docs'
# icons. Responses that set their own policy keep it (the private photo view's sandbox).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# HSTS preload: off unless asked for. Preloading is a promise for the whole registrable domain
# (often the district's, shared with other offices) that is slow to undo, so it is the domain
# owner's decision (JIEDAO_HSTS_PRELOAD=1), not a default of this application.
SECURE_HSTS_PRELOAD = PRODUCTION and os.environ.get("JIEDAO_HSTS_PRELOAD", "") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not PRODUCTION else ["security.W021"]

# Request limits; each refusal is a page in the public form's look, or the API's JSON error.
# A phone photo is 2–8 MB and one is refused above 20 MB (intake.photos.MAX_UPLOAD_BYTES); a
# partner submits every page of an application in one request, hence 100 MB for a whole body.
# Checked from Content-Length by jiedao.core.middleware before the body is read.
JIEDAO_MAX_REQUEST_BYTES = int(os.environ.get("JIEDAO_MAX_REQUEST_MB", "100")) * 1024 * 1024
# Files in one request, empty file inputs included (a browser sends every one). One application
# has about ten pages; 40 leaves room for a larger programme and still bounds the temporary files.
DATA_UPLOAD_MAX_NUMBER_FILES = 40

# Webhook addresses must be public (jiedao.lib.netguard): no loopback, private, link-local
# (cloud metadata), multicast or reserved address, at registration and at each delivery. This
# comma-separated list of networks (CIDR) is the explicit exception, e.g. a partner on the
# government intranet: "10.20.0.0/16".


def _networks(raw: str) -> list[str]:
    import ipaddress

    try:  # a typo fails at start-up, not at the first delivery
        return [str(ipaddress.ip_network(part.strip(), strict=False)) for part in raw.split(",") if part.strip()]
    except ValueError as error:
        raise ImproperlyConfigured(f"JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS: {error}") from None


JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS = _networks(os.environ.get("JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS", ""))


# ---------------------------------------------------------------------------------------------
# Residents' access codes and shared rate limits.

# The cache every server process shares (rate-limit counters live here): Redis when
# JIEDAO_REDIS_URL is set (production), otherwise a table in the application's own database,
# which every gunicorn worker, the SMS worker and the commands already share (`jiedao migrate`
# creates it). Its ``incr`` is atomic (jiedao.lib.cache); MAX_ENTRIES is high so that culling
# never throws away live counters.
if _redis_url := os.environ.get("JIEDAO_REDIS_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": os.environ.get("JIEDAO_CACHE_PREFIX", "jiedao"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "jiedao.lib.cache.DatabaseCache",
            "LOCATION": "jiedao_cache",
            "KEY_PREFIX": os.environ.get("JIEDAO_CACHE_PREFIX", "jiedao"),
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        }
    }
JIEDAO_RATELIMIT_CACHE = "default"
# Our own reverse proxies (addresses or networks, comma-separated). A request from one of them is
# attributed to the right-most X-Forwarded-For entry they did not write (jiedao.lib.addresses);
# empty: JIEDAO_TRUSTED_PROXY_COUNT decides.
JIEDAO_TRUSTED_PROXIES = [
    item.strip() for item in os.environ.get("JIEDAO_TRUSTED_PROXIES", "").split(",") if item.strip()
]
# A code sent by SMS opens a case's details and the upload of requested documents.
JIEDAO_ACCESS_CODE_TTL_SECONDS = int(os.environ.get("JIEDAO_ACCESS_CODE_TTL_SECONDS", "600"))
JIEDAO_ACCESS_CODE_MAX_ATTEMPTS = int(os.environ.get("JIEDAO_ACCESS_CODE_MAX_ATTEMPTS", "5"))
# seconds:count pairs: codes sent to one phone, and codes asked for from one address.
JIEDAO_ACCESS_CODE_PHONE_LIMITS = os.environ.get("JIEDAO_ACCESS_CODE_PHONE_LIMITS", "60:1,3600:5")
JIEDAO_ACCESS_CODE_ADDRESS_LIMITS = os.environ.get("JIEDAO_ACCESS_CODE_ADDRESS_LIMITS", "3600:20")
# Wrong reference + phone pairs from one address before the status lookup pauses for it.
JIEDAO_STATUS_LOOKUP_ADDRESS_LIMITS = os.environ.get("JIEDAO_STATUS_LOOKUP_ADDRESS_LIMITS", "600:30")
# How long a verified code keeps the case open in that browser.
JIEDAO_ACCESS_SESSION_SECONDS = int(os.environ.get("JIEDAO_ACCESS_SESSION_SECONDS", "1800"))
JIEDAO_SMS_TEMPLATE_CODES.setdefault("access_code", "JIEDAO_ACCESS_CODE")
JIEDAO_SMS_TEMPLATE_CODES.setdefault("ref_reminder", "JIEDAO_REFERENCE_REMINDER")
# New applications with an ID number typed on the public form, checked for an open case, from one
# client address (seconds:count): the check must not become a way to test whose number has applied.
JIEDAO_DUPLICATE_CHECK_ADDRESS_LIMITS = os.environ.get("JIEDAO_DUPLICATE_CHECK_ADDRESS_LIMITS", "3600:20")
# Expired codes and the plain code in their SMS rows are cleared by the worker's loop.
JIEDAO_WORKER_EXTRA_ROUNDS = [*JIEDAO_WORKER_EXTRA_ROUNDS, "jiedao.notices.services.access_codes_sweep"]
# Activities: the day-before reminders, and the blood drive's health answers deleted after it.
JIEDAO_WORKER_EXTRA_ROUNDS = [
    *JIEDAO_WORKER_EXTRA_ROUNDS,
    "jiedao.activities.services.reminders_queue",
    "jiedao.activities.services.screening_forget",
    "jiedao.rosters.services.roster_reminders_queue",
    "jiedao.activities.services.signups_anonymise",
    "jiedao.rosters.services.volunteers_forget",
]
# Volunteers' and sign-ups' names and phones are kept this many days after their last activity or
# shift (what party-member records need), then anonymised; the counts and hours stay.
JIEDAO_VOLUNTEER_RETENTION_DAYS = int(os.environ.get("JIEDAO_VOLUNTEER_RETENTION_DAYS", "730"))
# Enterprise outreach: an overdue need's owner gets one SMS (the worker's loop); a need without a
# due date is due this many days after it was raised; the contact's report link lasts this long,
# and needs reported through it are owned by this office until someone assigns them.
JIEDAO_WORKER_EXTRA_ROUNDS = [*JIEDAO_WORKER_EXTRA_ROUNDS, "jiedao.enterprises.services.needs_overdue_notify"]
JIEDAO_ENTERPRISE_NEED_DAYS = int(os.environ.get("JIEDAO_ENTERPRISE_NEED_DAYS", "7"))
JIEDAO_ENTERPRISE_REPORT_LINK_DAYS = int(os.environ.get("JIEDAO_ENTERPRISE_REPORT_LINK_DAYS", "30"))
JIEDAO_ENTERPRISE_OFFICE = os.environ.get("JIEDAO_ENTERPRISE_OFFICE", "街道工会")

# Service ratings (好差评): how long a rating link lives, and the working days (China's official
# calendar, 调休 included) a bad rating's rectification has before it is overdue.
JIEDAO_RATING_LINK_DAYS = int(os.environ.get("JIEDAO_RATING_LINK_DAYS", "30"))
JIEDAO_RATING_RECTIFY_WORKING_DAYS = int(os.environ.get("JIEDAO_RATING_RECTIFY_WORKING_DAYS", "15"))
# Overdue rectifications: their owner gets one SMS; people's names and phones forgotten (the
# worker's loop).
JIEDAO_WORKER_EXTRA_ROUNDS = [
    *JIEDAO_WORKER_EXTRA_ROUNDS,
    "jiedao.ratings.services.rectifications_overdue_notify",
    "jiedao.ratings.services.invitations_forget",
]
# The rated person's name and phone are kept this many days after the case ended (never while a
# bad rating's rectification is open); the rating stays.
JIEDAO_RATING_PERSON_DAYS = int(os.environ.get("JIEDAO_RATING_PERSON_DAYS", "180"))
# The construction-site register (jiedao.sites): a temperature at or above this refuses entry at
# the gate; the committee's report goes at this hour (Shanghai time), once per site and day.
JIEDAO_SITES_FEVER_C = float(os.environ.get("JIEDAO_SITES_FEVER_C", "37.3"))
JIEDAO_SITES_REPORT_HOUR = int(os.environ.get("JIEDAO_SITES_REPORT_HOUR", "18"))
JIEDAO_WORKER_EXTRA_ROUNDS = [*JIEDAO_WORKER_EXTRA_ROUNDS, "jiedao.sites.services.daily_reports_send"]
# Gate entries and health records are kept this many days (then only daily counts stay), and the
# crews' personal data this many days after the project finished; never more than the rule in
# force (28 days), by `jiedao retention run`.
JIEDAO_SITES_RETENTION_MAX_DAYS = 28
JIEDAO_SITES_RETENTION_DAYS = int(os.environ.get("JIEDAO_SITES_RETENTION_DAYS", "28"))
if not 1 <= JIEDAO_SITES_RETENTION_DAYS <= JIEDAO_SITES_RETENTION_MAX_DAYS:
    raise ImproperlyConfigured("JIEDAO_SITES_RETENTION_DAYS must be between 1 and 28 (days).")


# ---------------------------------------------------------------------------------------------
# Retention and backups (jiedao.intake.retention, jiedao.ops.backup)

# Closed cases (rejected, paid, withdrawn) keep their photos and personal data this many days
# after closing; then `jiedao retention run` deletes the photos and anonymises the case.
JIEDAO_RETENTION_DAYS = int(os.environ.get("JIEDAO_RETENTION_DAYS", "1095"))
# What `jiedao retention run` also runs, after the cases: each service's own clean-up (dotted
# paths of functions taking now= and dry_run=, returning a dict of counts to print).
JIEDAO_RETENTION_EXTRA_ROUNDS = ["jiedao.sites.services.retention_round"]
# Unset: the audit trail is kept for good. Set: entries older than this many days are pruned by
# `jiedao retention run`; less than 180 days is refused.
JIEDAO_AUDIT_KEEP_DAYS = int(os.environ["JIEDAO_AUDIT_KEEP_DAYS"]) if os.environ.get("JIEDAO_AUDIT_KEEP_DAYS") else None
if JIEDAO_AUDIT_KEEP_DAYS is not None and JIEDAO_AUDIT_KEEP_DAYS < 180:
    raise ImproperlyConfigured("JIEDAO_AUDIT_KEEP_DAYS must be at least 180 (days).")

# Public notices (公示, jiedao.bulletins) and community news (jiedao.news).
# Days an office has to answer an objection in writing.
JIEDAO_OBJECTION_ANSWER_DAYS = int(os.environ.get("JIEDAO_OBJECTION_ANSWER_DAYS", "7"))
# Largest attachment of a notice or photo of an article / objection, in megabytes.
JIEDAO_BULLETIN_ATTACHMENT_MB = int(os.environ.get("JIEDAO_BULLETIN_ATTACHMENT_MB", "10"))
# The subsidy's standard amount, shown on the approved list before the payment is recorded.
JIEDAO_HARDSHIP_STANDARD_AMOUNT = os.environ.get("JIEDAO_HARDSHIP_STANDARD_AMOUNT", "3000.00")
# SMS pushes of a notice to the residents concerned: at most this many phones per notice.
JIEDAO_NOTICE_PUSH_LIMIT = int(os.environ.get("JIEDAO_NOTICE_PUSH_LIMIT", "2000"))
# An answered objection keeps the objector's name, phone and photo this many days, then they go
# (the worker's loop); what was objected to, the outcome and the answer stay.
# Objections from one client address (seconds:count): each sends an SMS to the phone typed.
JIEDAO_OBJECTION_ADDRESS_LIMITS = os.environ.get("JIEDAO_OBJECTION_ADDRESS_LIMITS", "3600:10,86400:30")
JIEDAO_OBJECTION_RETENTION_DAYS = int(os.environ.get("JIEDAO_OBJECTION_RETENTION_DAYS", "365"))
JIEDAO_WORKER_EXTRA_ROUNDS = [*JIEDAO_WORKER_EXTRA_ROUNDS, "jiedao.bulletins.services.objections_anonymise"]
