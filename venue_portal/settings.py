"""
Settings for venue_portal.

Every value that differs between a laptop, a test run and a venue's server
comes from the environment (or a ``.env`` file beside ``manage.py``); see
``.env.example`` for the full list with explanations.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The key is only a fallback for local runs; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="") or "insecure-local-development-key"
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tickets",
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

ROOT_URLCONF = "venue_portal.urls"

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
                "tickets.context_processors.remypass",
            ],
        },
    },
]

WSGI_APPLICATION = "venue_portal.wsgi.application"

# SQLite in the project folder unless DATABASE_URL says otherwise, e.g.
# postgres://user:password@127.0.0.1:5432/venue_portal (served by psycopg 3).
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two staff issuing at once must wait for each other's write, not fail
    # straight away with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault(
        "transaction_mode", "IMMEDIATE"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "tickets.views.csrf_failure"
LOGIN_REDIRECT_URL = "tickets:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The one language the pages are written in. A browser asking for any other
# English (en-us, say) gets this one, so dates read the same for every login.
LANGUAGES = [("en-gb", "English")]
# The venue's own zone: staff type start times in it and see them in it.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves the admin's and the pages' CSS from any WSGI server, so a
# venue needs no separate web-server rule for /static/.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- RemyPass ---------------------------------------------------------------

REMYPASS_PRODUCTION_URL = "https://api.remypass.com/api/v1/public"
# Where the bundled sandbox listens when REMYPASS_SANDBOX is on.
REMYPASS_SANDBOX_URL = env.str(
    "REMYPASS_SANDBOX_URL", default="http://127.0.0.1:8765/api/v1/public"
)
# True when this installation is a trial against the bundled sandbox: pages
# carry a banner, and the sandbox URL and key are used unless set explicitly.
REMYPASS_SANDBOX = env.bool("REMYPASS_SANDBOX", default=False)
REMYPASS_BASE_URL = env.str("REMYPASS_BASE_URL", default="") or (
    REMYPASS_SANDBOX_URL if REMYPASS_SANDBOX else REMYPASS_PRODUCTION_URL
)
# Never printed, logged or shown; an empty key means "not configured".
REMYPASS_API_KEY = env.str("REMYPASS_API_KEY", default="") or (
    "rp_sandbox_key" if REMYPASS_SANDBOX else ""
)
# Seconds to wait for RemyPass to answer (the connect wait is capped lower).
REMYPASS_TIMEOUT = env.float("REMYPASS_TIMEOUT", default=15.0)
REMYPASS_CONNECT_TIMEOUT = env.float(
    "REMYPASS_CONNECT_TIMEOUT", default=min(5.0, REMYPASS_TIMEOUT)
)
# Extra attempts for reads (GET) after a connection error, 429 or 502-504.
REMYPASS_READ_RETRIES = env.int("REMYPASS_READ_RETRIES", default=2)
REMYPASS_RETRY_BACKOFF = env.float("REMYPASS_RETRY_BACKOFF", default=0.5)
# Tickets left sending or with an unknown outcome for longer than this are
# picked up by the reconcile_tickets command.
TICKETS_RECONCILE_MIN_AGE = env.int("TICKETS_RECONCILE_MIN_AGE", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_emails": {"()": "tickets.logfilters.MaskEmails"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["mask_emails"]},
    },
    "loggers": {
        "tickets": {"handlers": ["console"], "level": env.str(
            "LOG_LEVEL", default="INFO"
        )},
        # Unhandled errors with their traceback; without this a 500 with
        # DEBUG off leaves no trace for the IT contact.
        "django.request": {"handlers": ["console"], "level": "ERROR",
                           "propagate": False},
        # The development server's access lines, with search terms masked.
        "django.server": {"handlers": ["console"], "level": "INFO",
                          "propagate": False},
    },
}
