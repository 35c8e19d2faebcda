"""Django settings for Fengqiao. Everything deployment-specific comes from FENGQIAO_* variables."""

import datetime as dt
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from fengqiao import logs
from fengqiao.env import (
    env_bool,
    env_choice,
    env_database,
    env_dir,
    env_hours,
    env_int,
    env_key,
    env_list,
    env_optional,
    env_periods,
    env_str,
    origin_of,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

DEBUG = env_bool("FENGQIAO_DEBUG", False)
DATA_DIR = env_dir("FENGQIAO_DATA_DIR", PROJECT_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

_DEV_SECRET = "fengqiao-insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("FENGQIAO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "FENGQIAO_SECRET_KEY must be set (or FENGQIAO_DEBUG=1 for a development machine)"
    )

ALLOWED_HOSTS = env_list("FENGQIAO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("FENGQIAO_CSRF_TRUSTED_ORIGINS", [])

# Secure cookies whenever the site is served over HTTPS (behind a proxy that says so).
HTTPS = env_bool("FENGQIAO_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("FENGQIAO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FENGQIAO_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("FENGQIAO_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    # Django's admin, on a site that asks staff for their second factor (accounts.admin_site).
    "fengqiao.accounts.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "fengqiao.core",
    "fengqiao.geo",
    "fengqiao.accounts",
    "fengqiao.registry",
    "fengqiao.events",
    "fengqiao.disputes",
    "fengqiao.patrols",
    "fengqiao.video",
    "fengqiao.duty",
    "fengqiao.points",
    "fengqiao.outreach",
    "fengqiao.selfservice",
    "fengqiao.analytics",
    "fengqiao.demo",
    "fengqiao.api",
    "fengqiao.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fengqiao.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fengqiao.core.middleware.StaffSessionLimitsMiddleware",
    "fengqiao.core.middleware.PrivateAnswersMiddleware",
    "fengqiao.core.middleware.AnonymousRateLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fengqiao.core.middleware.AuditContextMiddleware",
    # After the audit context: a page owed a second factor or a new password is sent there.
    "fengqiao.web.account.middleware.AccountDueMiddleware",
    "axes.middleware.AxesMiddleware",
    # Inside the audit context: what a request read of the registry's personal data, written as
    # one audit entry at its end; the registry's purpose and its look-up limit (docs/adr/0009).
    "fengqiao.registry.access.ReadAuditMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fengqiao.web.menu.menu",
            ],
        },
    },
]

DATABASES = {"default": env_database("FENGQIAO_DATABASE_URL", DATA_DIR / "fengqiao.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Repeated failed log-ins lock the account and the address out, on the log-in page, the admin and
# the API's token endpoint alike (django-axes); a superior can unlock early.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("FENGQIAO_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("FENGQIAO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "fengqiao.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# What axes keeps of a failed attempt leaves out the password and the one-time code.
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "otp_token"]
# What one address may send without an account, per minute (core.ratelimit): reports, and reads
# of the public pages (tracking, Open311, agreement checks).
ANONYMOUS_REPORTS_PER_MINUTE = env_int("FENGQIAO_ANONYMOUS_REPORTS_PER_MINUTE", 5)
ANONYMOUS_READS_PER_MINUTE = env_int("FENGQIAO_ANONYMOUS_READS_PER_MINUTE", 60)
# Reads of the registry's personal data (registry.access, docs/adr/0009): exact look-ups by a whole
# ID number or phone a role that sees masked numbers may make in an hour; how many distinct people
# one user may read in an hour, or outside working hours, before their superior is told.
EXACT_LOOKUPS_PER_HOUR = env_int("FENGQIAO_EXACT_LOOKUPS_PER_HOUR", 30)
READ_ALERT_PEOPLE_PER_HOUR = env_int("FENGQIAO_READ_ALERT_PEOPLE_PER_HOUR", 200)
READ_ALERT_OFF_HOURS_PEOPLE = env_int("FENGQIAO_READ_ALERT_OFF_HOURS_PEOPLE", 50)
# A rate computed from fewer cases than this is shown with its count, greyed, and left out of
# rankings (core.rates).
RATE_MIN_CASES = env_int("FENGQIAO_RATE_MIN_CASES", 20)
# Staff sessions end when idle and at a hard limit (core.middleware.StaffSessionLimitsMiddleware).
SESSION_IDLE_SECONDS = env_int("FENGQIAO_SESSION_IDLE_MINUTES", 30) * 60
SESSION_MAX_SECONDS = env_int("FENGQIAO_SESSION_MAX_HOURS", 12) * 3600
# API tokens live this long, and die sooner with a password change, a deactivation or the last posting.
API_TOKEN_DAYS = env_int("FENGQIAO_API_TOKEN_DAYS", 30)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Two factors for staff (django-otp: TOTP, and one-time recovery codes): "required" sends a member
# of staff who has only given the password to enrol or verify, and the token endpoint asks for the
# code; "optional" asks only those who have enrolled; "off" never asks.
STAFF_MFA = env_choice("FENGQIAO_STAFF_MFA", "required", ("required", "optional", "off"))
OTP_TOTP_ISSUER = "枫桥"
# Passwords (MLPS level 3): a length, three of four kinds of character, none of the last few again,
# and a staff password lasts this many days (0: for ever). A password set by someone else is
# changed at the next log-in.
PASSWORD_MIN_LENGTH = env_int("FENGQIAO_PASSWORD_MIN_LENGTH", 10)
PASSWORD_CLASSES = env_int("FENGQIAO_PASSWORD_CLASSES", 3)
if not 1 <= PASSWORD_CLASSES <= 4:
    raise ImproperlyConfigured(f"FENGQIAO_PASSWORD_CLASSES must be 1 to 4, got {PASSWORD_CLASSES}")
PASSWORD_HISTORY = env_int("FENGQIAO_PASSWORD_HISTORY", 5)
STAFF_PASSWORD_DAYS = env_int("FENGQIAO_STAFF_PASSWORD_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fengqiao.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "fengqiao.accounts.passwords.HistoryValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Front-end libraries come from npm packages (package.json) and are served by the app itself:
# the police network is offline.
NODE_MODULES = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [("vendor", NODE_MODULES)] if NODE_MODULES.is_dir() else []
MEDIA_ROOT = DATA_DIR / "media"
# WhiteNoise serves the assets from the apps and packages directly, with or without collectstatic.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The audit chain (docs/adr/0007): each entry is keyed with HMAC-SM3 (HMAC-SHA256 where OpenSSL has
# no SM3) under a key kept outside the database: FENGQIAO_AUDIT_KEY (hex or base64), else the key
# file, made with 0600 permissions on first use. The worker anchors the chain's head to a file that
# only grows; entries leave the table for a signed archive only after the retention period.
AUDIT_KEY = env_key("FENGQIAO_AUDIT_KEY")
AUDIT_KEY_FILE = Path(env_str("FENGQIAO_AUDIT_KEY_FILE", "") or DATA_DIR / "audit.key").expanduser()
AUDIT_ANCHOR_FILE = Path(
    env_str("FENGQIAO_AUDIT_ANCHOR_FILE", "") or DATA_DIR / "audit-anchors.log"
).expanduser()
AUDIT_ANCHOR_HOURS = env_int("FENGQIAO_AUDIT_ANCHOR_HOURS", 24)
if AUDIT_ANCHOR_HOURS < 1:
    raise ImproperlyConfigured(f"FENGQIAO_AUDIT_ANCHOR_HOURS must be at least 1, got {AUDIT_ANCHOR_HOURS}")
AUDIT_ARCHIVE_DIR = Path(env_str("FENGQIAO_AUDIT_ARCHIVE_DIR", "") or DATA_DIR / "audit-archive").expanduser()
# MLPS level 3 asks that audit records be kept at least six months (GB/T 22239-2019, 8.1.4.3).
AUDIT_RETENTION_DAYS = env_int("FENGQIAO_AUDIT_RETENTION_DAYS", 3 * 365)
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured(
        f"FENGQIAO_AUDIT_RETENTION_DAYS must be at least 183 (six months), got {AUDIT_RETENTION_DAYS}"
    )

# Backups (core.backup, docs/adr/0008): encrypted with AES-256-GCM under FENGQIAO_BACKUP_KEY (32
# bytes, hex or base64), else the key file, made with 0600 permissions on the first backup. Keep the
# key apart from the backups: whoever holds both holds the city's registry.
BACKUP_KEY = env_key("FENGQIAO_BACKUP_KEY")
if BACKUP_KEY is not None and len(BACKUP_KEY) != 32:
    raise ImproperlyConfigured(f"FENGQIAO_BACKUP_KEY must be a key of 32 bytes, got {len(BACKUP_KEY)}")
BACKUP_KEY_FILE = Path(env_str("FENGQIAO_BACKUP_KEY_FILE", "") or DATA_DIR / "backup.key").expanduser()
# Personal data encrypted at rest (core.crypto, docs/adr/0010): ID numbers, phones and care tags'
# notes under AES-256-GCM (or SM4-GCM), found by a keyed hash. The keys: FENGQIAO_DATA_KEYS
# ("index:<key>,1:<key>,2:<key>", hex or base64; the last key encrypts), else the key file, made with
# 0600 permissions on first use. Keep it apart from the database and its backups.
DATA_KEYS = env_str("FENGQIAO_DATA_KEYS", "")
DATA_KEYS_FILE = Path(env_str("FENGQIAO_DATA_KEYS_FILE", "") or DATA_DIR / "data.keys").expanduser()
DATA_CIPHER = env_choice("FENGQIAO_DATA_CIPHER", "aes-256-gcm", ("aes-256-gcm", "sm4-gcm"))
# Generated exports and import error files may be downloaded for this long, then the worker deletes them.
EXPORT_HOURS = env_int("FENGQIAO_EXPORT_HOURS", 24)
if EXPORT_HOURS < 1:
    raise ImproperlyConfigured(f"FENGQIAO_EXPORT_HOURS must be at least 1, got {EXPORT_HOURS}")
# People retired from the registry (moved away, deceased) are anonymised this many days after.
DEPARTED_RETENTION_DAYS = env_int("FENGQIAO_DEPARTED_RETENTION_DAYS", 3 * 365)
if DEPARTED_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"FENGQIAO_DEPARTED_RETENTION_DAYS must be at least 1, got {DEPARTED_RETENTION_DAYS}"
    )

# Links in SMS, WeCom and e-mail messages are made absolute with this (e.g. https://fq.example.gov.cn).
SITE_URL = env_str("FENGQIAO_SITE_URL", "")
# The SMTP server an e-mail channel without a host of its own sends through.
EMAIL_HOST = env_str("FENGQIAO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FENGQIAO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("FENGQIAO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("FENGQIAO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("FENGQIAO_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("FENGQIAO_EMAIL_FROM", "fengqiao@localhost")
# Who runs the public reporting service, for Open311's discovery document (empty: a sentence naming
# the city bureau's command centre, fengqiao.api.open311.views.DEFAULT_CONTACT).
FENGQIAO_OPEN311_CONTACT = env_str("FENGQIAO_OPEN311_CONTACT", "")

# Optional base map, e.g. a 天地图 tile URL with its key. Without one the map shows outlines only.
MAP_TILE_URL = env_str("FENGQIAO_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("FENGQIAO_MAP_TILE_ATTRIBUTION", "")

# The rules of the work a deployment may change (README, "Settings"); unset, the app's default holds.
globals().update(
    env_optional(
        {
            "FENGQIAO_WORKING_HOURS": env_periods,
            "FENGQIAO_HOLIDAYS": env_list,
            "FENGQIAO_REOPEN_DAYS": env_int,
            "FENGQIAO_MAX_UPLOAD_MB": env_int,
            "FENGQIAO_REPORT_MAX_PHOTOS": env_int,
            "FENGQIAO_REPORT_MAX_MB": env_int,
            "FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES": env_list,
            "FENGQIAO_DISPUTE_GRADES": env_hours,
            "FENGQIAO_DISPUTE_QUOTA": env_int,
            "FENGQIAO_DISPUTE_LIMIT_DAYS": env_int,
            "FENGQIAO_DISPUTE_JUDICIAL_DAYS": env_int,
            "FENGQIAO_DISPUTE_JUDICIAL_REMIND_DAYS": env_int,
            "FENGQIAO_DISPUTE_REPEAT": env_int,
            "FENGQIAO_DISPUTE_REPEAT_DAYS": env_int,
            "FENGQIAO_PATROL_STALE_DAYS": env_int,
            "FENGQIAO_PATROL_HAZARD_CATEGORY": env_str,
            "FENGQIAO_PATROL_SUSPICIOUS_CATEGORY": env_str,
            "FENGQIAO_VISIT_QUOTA_HOUSEHOLDS": env_int,
            "FENGQIAO_VISIT_QUOTA_BUSINESSES": env_int,
            "FENGQIAO_ARRIVAL_MINUTES": env_int,
            "FENGQIAO_CERTIFICATE_DECISION_DAYS": env_int,
            "FENGQIAO_CERTIFICATE_VALID_DAYS": env_int,
            "FENGQIAO_CERTIFICATE_MAX_VERIFICATIONS": env_int,
            "FENGQIAO_CERTIFICATE_FREE_PER_YEAR": env_int,
            "FENGQIAO_BOOKING_SLOT_SIZE": env_int,
            "FENGQIAO_POINTS_RESERVATION_HOURS": env_int,
            "FENGQIAO_POINTS_EXPIRY_DAYS": env_int,
            "FENGQIAO_OUTREACH_SMS_PER_MINUTE": env_int,
            "FENGQIAO_OUTREACH_MAX_ATTEMPTS": env_int,
            "FENGQIAO_OUTREACH_FRAUD_CATEGORY": env_str,
            "FENGQIAO_VAPID_KEY_FILE": env_str,
            "FENGQIAO_VAPID_SUBJECT": env_str,
        }
    )
)

# Only the application's own scripts and styles run: no inline script, no eval, no plugin, never
# inside another site's frame. User text reaches pages as text (escaped templates, textContent).
_TILES = [origin_of(MAP_TILE_URL)] if MAP_TILE_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_TILES],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The CSRF token is read from the form's hidden field, never by scripts from the cookie.
CSRF_COOKIE_HTTPONLY = True

# One line per event in TIME_ZONE with its offset, like gunicorn's (fengqiao/gunicorn_conf.py);
# a refused request is one warning line, without the traceback Django would give it.
LOGGING = logs.config(level=env_str("FENGQIAO_LOG_LEVEL", "INFO"), zone=TIME_ZONE)
