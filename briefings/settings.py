"""Settings for Threat Briefings, read from the environment.

Development needs nothing set: SQLite in the project folder, DEBUG on.
Production sets DJANGO_ENV=production, which turns DEBUG off and refuses to
start without SECRET_KEY and ALLOWED_HOSTS.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"


def _env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


if PRODUCTION:
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
else:
    DEBUG = os.environ.get("DEBUG", "1") == "1"
    # Only ever used on a developer's machine; production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-development-key-not-for-production")
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "axes",
    "briefings",
]

MIDDLEWARE = [
    "briefings.middleware.security_headers",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "briefings.urls"
WSGI_APPLICATION = "briefings.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A write transaction takes SQLite's write lock when it begins, so two curators' saves queue
    # (up to `timeout` seconds) instead of one failing with "database is locked" when both, having
    # read, try to write. Write-ahead logging: readers in other workers are not blocked while one
    # writes (a page stored in the shared cache, a curator's save), and a commit costs one sync.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    # Tests get a file too, not Django's shared in-memory database, whose table locks fail at once
    # instead of waiting: threads and the live server then meet the locking production has. One
    # file per test run (removed at its end), so two runs at once never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"threat-briefings-test-{os.getpid()}.sqlite3")
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "TEST_DATABASE_NAME", "test_threat_briefings"
    )
    # Random reads cost about what sequential ones do on SSD storage. With PostgreSQL's default
    # (4, for spinning disks) the planner scanned all 30,000 judgements (29 ms) rather than use
    # their trigram index (4 ms) for a search at 10,000 briefings.
    # No parallel workers for one query: the web workers already keep the cores busy, and a
    # search's scoring query at 10,000 briefings took 26-40 ms split over three processes (the
    # gathering and re-sorting cost more than they saved) against 20-25 ms in one, on an idle
    # 2-core machine.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options",
        f"-c random_page_cost={os.environ.get('PG_RANDOM_PAGE_COST', '1.1')} "
        f"-c max_parallel_workers_per_gather={os.environ.get('PG_PARALLEL_WORKERS', '0')}",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Public pages are cached whole until the content changes (briefings/pagecache.py), in one
# cache every server process shares: the database cache (`manage.py createcachetable`, which
# `make migrate` runs) unless REDIS_URL names a Redis server. At most PAGE_CACHE_ENTRIES entries
# (pages of at most 256 KB, plus one small header list per address); a third are culled when full.
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "page_cache",
            "TIMEOUT": 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES", "3000")), "CULL_FREQUENCY": 3},
        }
    }
# Each process also keeps the pages it served most recently and their header lists ("here": a
# copy of what the shared cache holds under the same key). A key names its content version, so
# a kept copy is never stale; it saves the shared cache's reads and decoding the page on a
# repeat request.
CACHES["here"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages-here",
    "TIMEOUT": 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES_HERE", "600")), "CULL_FREQUENCY": 3},
}
# And the parts of the timeline cards it wrote (cards.parts), under the content token: a
# briefing's card is composed from the same parts on every page, filter and search showing it.
CACHES["cards"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "timeline-cards",
    "TIMEOUT": 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("TIMELINE_CARDS_KEPT", "3000")), "CULL_FREQUENCY": 3},
}
# After a content change the busiest pages are rebuilt in a background thread, for these origins
# ("https://host", comma-separated), else for the ones this process has served.
PAGE_CACHE_WARM = os.environ.get("PAGE_CACHE_WARM", "1") == "1"
PAGE_CACHE_WARM_ORIGINS = [origin for origin in os.environ.get("PAGE_CACHE_WARM_ORIGINS", "").split(",") if origin]

# django-axes checks every login against its record of failures before Django's own backend runs.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# The site and its admin are in English only. With translation off, Django skips a language
# lookup for every number and date a template renders: a tenth of building a timeline page.
# Dates keep the en-GB formats (LANGUAGE_CODE still chooses them).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Load balancers probe these over plain HTTP (briefings/health.py); everything else redirects to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# No script reads either cookie (htmx only sends GETs; the admin posts its form's token).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp), in development and tests as in production, so that
# the browser tests fail on any inline script, inline style, style="" or on*= handler.
# Everything is served from our own origin: htmx and cite.js as files, CSS from static/,
# the statistics charts are SVG drawn with attributes and classes. No nonces, no 'unsafe-*'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}

# django-axes: five failed logins for one username from one address lock that pair out for
# an hour (a 429 page from templates/lockout.html); a successful login resets the count.
# Keying on username and address together means one mistyping colleague cannot lock out the
# others, and behind a reverse proxy (every request from the proxy's address) it still locks
# the account being guessed.
AXES_ENABLED = os.environ.get("AXES_ENABLED", "1") == "1"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"

# History records who changed what; reverting from the history page is off because a
# revert would skip the edit-conflict check (briefings.admin.VersionedForm).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Where the curated fixture and the source documents live.
FIXTURES_DIR = BASE_DIR / "fixtures"
DOCUMENTS_DIR = FIXTURES_DIR / "documents"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# import_document: files above this many bytes are refused at once (the text is read in time linear
# in its length, about a second per MB); at most this many draft figures per import.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
IMPORT_MAX_DRAFTS = int(os.environ.get("IMPORT_MAX_DRAFTS", "200"))
