"""Tsunagu settings, read from the environment (django-environ).

Defaults give the embedded setup: a SQLite file and Celery's filesystem transport, so the
whole platform (web, worker, beat) runs with no server. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS (see .env.example).
"""

import datetime as dt
import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("TSUNAGU_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
# The default key is for the embedded development setup only; `check --deploy` flags it.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-tsunagu-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "auditlog",
    # Login rate limiting (docs/decisions.md): the web login, the admin login and the
    # API token endpoint all go through django.contrib.auth.authenticate().
    "axes",
    "tsunagu",
    "organizations",
    # The registry import's stored uploads and previews (organizations/imports/).
    "organizations.imports",
    "proposals",
    "matching",
    "notifications",
    # 交流の場 (exchange meetings, registrations, waitlists).
    "meetings",
    # 利用規約・プライバシーポリシー・問い合わせ先, their versions and people's consent.
    "legal",
    # All HTML pages (public, member, coordinator), their templates and static files.
    "web",
    # The demo city (manage.py load_demo; `up` loads it).
    "demo",
]

MIDDLEWARE = [
    # First: a database outage answers 503 (Japanese page / JSON), never a 500 trace.
    "tsunagu.middleware.DatabaseUnavailableMiddleware",
    # Under /api/ every error is JSON, also Django's own pages (404, 500, DEBUG's pages).
    "lib.http_errors.JSONErrorsUnderAPIMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp; CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signed-in people agree to new terms / a new privacy policy before other pages.
    "legal.middleware.ConsentMiddleware",
    # Records who made each audited change (django-auditlog).
    "auditlog.middleware.AuditlogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tsunagu.urls"
WSGI_APPLICATION = "tsunagu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The unread count in the header (lazy: one COUNT where it is shown).
                "web.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tsunagu.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take the
    # write lock up front and the busy timeout waits for it, instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
    }
    # A file, not :memory:, so that a worker process started by a test sees the test data;
    # one per test run, so that two runs at once do not destroy each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-tsunagu-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable server (not one refusing) must fail a request fast, as a 503
    # (tsunagu.middleware), rather than hold a gunicorn thread until its timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache counts rate limits (lib/ratelimit.py): per process by default; production
# (docker-compose.yml) shares Redis among the web workers so a limit holds across them.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # A bounded wait on an unreachable Redis: the rate limits then count in the process
    # for RATELIMIT_FALLBACK_SECONDS and log a warning, never a 500 (lib/ratelimit.py).
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=1, socket_timeout=1)
RATELIMIT_FALLBACK_SECONDS = env.float("RATELIMIT_FALLBACK_SECONDS", default=30.0)

AUTH_USER_MODEL = "organizations.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# After login without a ``next``: coordinators to their home (what needs action), members
# to マイページ (web.member.requests.after_login).
LOGIN_REDIRECT_URL = "after-login"
LOGOUT_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt while the username+IP pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After AXES_FAILURE_LIMIT failed logins for one username from one IP address, that pair
# is locked out for AXES_COOLOFF_TIME, even with the right password; a success resets it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a reverse proxy that sets X-Forwarded-For, the number of proxies: the client's
# address is then read from that header (otherwise every login would share the proxy's).
_axes_proxy_count = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
if _axes_proxy_count:
    AXES_IPWARE_PROXY_COUNT = _axes_proxy_count
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("英語"))]
LOCALE_PATHS = [BASE_DIR / "tsunagu" / "locale"]
FORMAT_MODULE_PATH = ["tsunagu.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files (meeting photos in the public 開催報告).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="つなぐ <noreply@tsunagu.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production: DEBUG=false) -----------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading commits the whole domain (often a city's lg.jp domain) to HTTPS in browsers'
# source code; the city decides that, not us (documented in docs/decisions.md).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A refused CSRF check: the site's 403 page in the reader's language (JSON under /api/).
CSRF_FAILURE_VIEW = "lib.http_errors.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# The largest file a person may upload (the registry import), in MiB. The reverse proxy
# must let such a request through: its client_max_body_size is this plus 1 MiB for the
# rest of the form (docs/deployment.md; tests/ops/test_upload_limit.py checks the two).
TSUNAGU_MAX_UPLOAD_MB = env.int("TSUNAGU_MAX_UPLOAD_MB", default=10)
# Registry files longer than this many rows are previewed and imported by a worker, with
# their progress on the page; a preview kept for import expires after this many hours.
TSUNAGU_IMPORT_BACKGROUND_ROWS = env.int("TSUNAGU_IMPORT_BACKGROUND_ROWS", default=2000)
TSUNAGU_IMPORT_PREVIEW_HOURS = env.int("TSUNAGU_IMPORT_PREVIEW_HOURS", default=24)
# Content-Security-Policy (django-csp, docs/security.md): scripts only from our own static
# files — no inline script, no eval — so injected markup cannot run. Inline *styles* stay
# allowed (style attributes on score bars and e-mail-like pages); they cannot run code.
# The API docs pages add what Swagger UI / Redoc need on their own URLs only (tsunagu/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes anonymous writes answer 401.
        "lib.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "lib.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lib.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # REST framework's JSON parser with a size limit, a depth limit and no NUL characters.
    "DEFAULT_PARSER_CLASSES": ["lib.parsers.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tsunagu API",
    "DESCRIPTION": (
        "つなぐ — 協働マッチング・コーディネートのAPI (matching and coordination for 協働)"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Document the error answers (400/401/403/404/409/413/429/503) of every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lib.openapi.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PostStatusEnum": "proposals.models.Status",
        "RescoreRunStatusEnum": "matching.models.RescoreRun.Status",
        "MatchRoundPhaseEnum": "matching.models.MatchRound.Phase",
        "MatchStateEnum": "matching.models.Match.State",
        "MatchPartyRoleEnum": "matching.models.MatchParty.Role",
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
        "MeetingKindEnum": "meetings.models.Meeting.Kind",
        "RegistrationModeEnum": "meetings.models.Meeting.RegistrationMode",
        "RegistrationStatusEnum": "meetings.models.Registration.Status",
        "LegalDocumentKindEnum": "legal.models.Kind",
        "ConsentKindEnum": "legal.models.CONSENT_KIND_CHOICES",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded transport: messages are files in var/broker, shared by web, worker and beat.
    _broker_dir = Path(env("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The transport polls its folder; the default second per message makes a burst of
        # tasks (a demo load, a re-score) crawl.
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Longer than the slowest task, so a late-acked task is not redelivered while running.
    # A bounded connect: an unreachable Redis must not hold a web request (the work is in
    # the database and swept later, docs/deployment.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="tsunagu")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # Lets /healthz tell whether beat and a worker are alive.
    "heartbeat": {"task": "tsunagu.ping", "schedule": 60.0, "args": ["heartbeat"]},
    # Response deadlines (reminder, then coordinator alert) and 6/12-month continuation
    # follow-ups: daily at 9:00 Asia/Tokyo (CELERY_TIMEZONE); both tasks are idempotent.
    "matching-response-reminders": {
        "task": "matching.send_response_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "matching-continuation-follow-ups": {
        "task": "matching.send_due_follow_ups",
        "schedule": crontab(hour=9, minute=0),
    },
    # Overdue minutes and follow-ups (matching/matches/deadlines.py), told to the match's
    # coordinator once per item, after the 9:00 reminders; idempotent (dedupe keys).
    "matching-deadline-escalations": {
        "task": "matching.escalate_deadlines",
        "schedule": crontab(hour=9, minute=10),
    },
    # Consultation reminders (the day before and one hour before); idempotent.
    "consultation-reminders": {
        "task": "matching.send_consultation_reminders",
        "schedule": 300.0,
    },
    # Notifications matching sends on its own (matching.notices.tasks); all idempotent.
    # New suggestions, one message per post with new partners: hourly.
    "matching-new-suggestions": {
        "task": "matching.notify_new_suggestions",
        "schedule": crontab(minute=15),
    },
    # Open posts ending within 7 days, and yesterday's new posts by field and area: 8:00.
    "matching-expiring-posts": {
        "task": "matching.notify_expiring_posts",
        "schedule": crontab(hour=8, minute=0),
    },
    "matching-daily-digests": {
        "task": "matching.build_digests",
        "schedule": crontab(hour=8, minute=0),
        "args": ["daily"],
    },
    # The 7 days before, on Mondays at 8:00.
    "matching-weekly-digests": {
        "task": "matching.build_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
        "args": ["weekly"],
    },
    # Meetings (meetings/notices.py), all idempotent: reminders 3 days and 1 day before
    # (calendar days) at 9:00; the post-meeting form for meetings that ended, and
    # announcements of new meetings whose message was lost, hourly.
    "meetings-reminders": {
        "task": "meetings.send_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "meetings-post-meeting-form": {
        "task": "meetings.request_wishes",
        "schedule": crontab(minute=20),
    },
    "meetings-announcement-sweep": {
        "task": "meetings.announce_new_meetings",
        "schedule": crontab(minute=40),
    },
    # Scoring requested but not done (broker outage, lost message): sent again.
    "matching-rescore-sweep": {"task": "matching.sweep_rescores", "schedule": 60.0},
    # The index's delta folded into a new main segment when it has grown or aged
    # (matching/scoring/indexes.py); the previous one serves meanwhile.
    "matching-merge-indexes": {"task": "matching.merge_indexes", "schedule": 60.0},
    # Notifications: re-enqueue undelivered email (broker outage, dead worker) every minute.
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 60.0},
    # Registry imports: a preview or an import whose message was lost (broker outage, dead
    # worker) is sent again; expired previews (and the files in them) are deleted.
    "registry-import-sweep": {"task": "organizations.sweep_registry_imports", "schedule": 60.0},
    # Digest emails (Asia/Tokyo), daily and Mondays: at 8:10, after the 8:00 producers
    # above have written the day's digest.new_posts notifications. Idempotent per period.
    "notifications-digest-daily": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=8, minute=10),
        "args": ["daily"],
    },
    "notifications-digest-weekly": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=8, minute=10, day_of_week="mon"),
        "args": ["weekly"],
    },
}

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes announces its version and lockout mode at every start of every
        # process and command ("AXES: BEGIN ..."); its warnings (lockouts) still show.
        "axes.apps": {"level": "WARNING"},
    },
}
# What a task prints (the console e-mail backend's messages, EMAIL_URL=consolemail://) is
# output, not a problem: Celery logs a worker's stdout at INFO, not its default WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

# --- Tsunagu --------------------------------------------------------------------------
TSUNAGU_SITE_NAME = env("TSUNAGU_SITE_NAME", default="つなぐ")
# An introduction must be answered within this many business days (weekends and Japanese
# public holidays excluded); then the party is reminded, and a day later the coordinator.
TSUNAGU_RESPONSE_BUSINESS_DAYS = env.int("TSUNAGU_RESPONSE_BUSINESS_DAYS", default=5)

# Scoring asked for this long ago and not done is sent again by the sweeper (a queued
# task normally runs within seconds; a duplicate is harmless, only wasted work).
# Where the engine's indexes are saved, per host: every process of the host opens the same
# files (memory-mapped) instead of building its own (docs/matching.md, "The index").
MATCHING_INDEX_DIR = Path(env("MATCHING_INDEX_DIR", default=str(VAR_DIR / "index")))
MATCHING_RESCORE_SWEEP_AFTER_SECONDS = env.float(
    "MATCHING_RESCORE_SWEEP_AFTER_SECONDS", default=120.0
)

# --- Notifications (docs/notifications.md) ----------------------------------------------
# Absolute links in emails (unsubscribe, the notification's page).
TSUNAGU_BASE_URL = env("TSUNAGU_BASE_URL", default="http://localhost:8000")
# A failed email is retried with exponential backoff (base·2^(n-1), capped) and becomes a
# dead letter (admin: メール配信, 送信失敗) after this many attempts.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=6 * 3600.0)
# The sweeper re-enqueues a pending email this long overdue, and a send whose worker has
# held it longer than the lease (the worker died); the lease must exceed the SMTP timeout.
NOTIFICATIONS_SWEEP_AFTER_SECONDS = env.float("NOTIFICATIONS_SWEEP_AFTER_SECONDS", default=120.0)
NOTIFICATIONS_SENDING_LEASE_SECONDS = env.float(
    "NOTIFICATIONS_SENDING_LEASE_SECONDS", default=300.0
)
NOTIFICATIONS_SMTP_TIMEOUT = env.float("NOTIFICATIONS_SMTP_TIMEOUT", default=30.0)
