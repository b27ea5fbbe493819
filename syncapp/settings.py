"""Settings read from the environment (django-environ).

Defaults exist only where they are safe for `make run` on a laptop: with DEBUG off, the app refuses
to start without SECRET_KEY, valid FIELD_ENCRYPTION_KEY(s), ALLOWED_HOSTS, DATABASE_URL, a broker
(CELERY_BROKER_URL) and the e-conomic app tokens, with a "change-me" placeholder from .env.example
left in any of them, and with SANDBOX_ENABLED on; the error names the variable.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Development-only values: never used when DEBUG is off.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-for-make-run-never-use-in-production-0123456789"
_DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LW1ha2UtcnVuLW5vdC1zZWNyZXQ="


# .env.example's values start with this: copied unchanged, they are public.
_PLACEHOLDER = "change-me"


def _required(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    public = value.startswith(_PLACEHOLDER) or value in (_DEV_SECRET_KEY, _DEV_FIELD_ENCRYPTION_KEY)
    if value and not DEBUG and public:
        raise ImproperlyConfigured(
            f"{name} still holds the example value from .env.example (or the development default): "
            "anyone can read it. Set a value of your own."
        )
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} is not set. Production (DEBUG off) needs it in the environment: "
        "see .env.example and the README's 'Production' section."
    )


SECRET_KEY = _required("SECRET_KEY", _DEV_SECRET_KEY)
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEY = _required("FIELD_ENCRYPTION_KEY", _DEV_FIELD_ENCRYPTION_KEY)


def _check_fernet_keys(keys: str) -> None:
    """Each comma-separated key must be a Fernet key: a bad one would fail only at the first secret."""
    parts = [key.strip() for key in keys.split(",") if key.strip()]
    if not parts:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds no key: list one or more, comma-separated.")
    for number, key in enumerate(parts, start=1):
        try:
            Fernet(key)
        except ValueError:
            # The message never repeats the value: it may be most of a real key.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY: key {number} of {len(parts)} is not a Fernet key (32 url-safe "
                "base64-encoded bytes). Make one with: python -c 'from cryptography.fernet import "
                "Fernet; print(Fernet.generate_key().decode())'"
            ) from None


_check_fernet_keys(FIELD_ENCRYPTION_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the host names the app serves.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address Stripe and e-conomic send merchants and webhooks back to.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The built-in emulators of e-conomic and Stripe (sandbox/): on for `make run` and the tests.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
if SANDBOX_ENABLED and not DEBUG:
    raise ImproperlyConfigured(
        "SANDBOX_ENABLED is on with DEBUG off: the emulators accept any credential and must never be "
        "served in production. Unset SANDBOX_ENABLED."
    )

INSTALLED_APPS = [
    # django.contrib.admin, its site behind a second factor (syncapp/admin_site.py).
    "syncapp.apps.SupportAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "syncapp",
    "syncapp.connections",
    "mappings",
    "customers",
    "operations",
]
if SANDBOX_ENABLED:
    INSTALLED_APPS += ["sandbox", "sandbox.economic_api", "sandbox.stripe_api"]
# Bench knobs for the emulators (sandbox/latency.py, docs/benchmarks.md); off by default.
SANDBOX_LATENCY_MS = env.float("SANDBOX_LATENCY_MS", default=0)
SANDBOX_ECONOMIC_RATE_PER_SECOND = env.int("SANDBOX_ECONOMIC_RATE_PER_SECOND", default=0)
SANDBOX_ECONOMIC_DAILY_BUDGET = env.int("SANDBOX_ECONOMIC_DAILY_BUDGET", default=0)

MIDDLEWARE = [
    # First: forwarding headers from anyone but our proxies are dropped before anything reads them.
    "syncapp.proxies.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language (or the language cookie) picks English or Danish at first...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # ...then a member's own choice, stored on the user (syncapp/language.py), wins.
    "syncapp.language.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff viewing a merchant's pages: read-only, whatever the page.
    "syncapp.view_as.ViewAsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
if SANDBOX_ENABLED and SANDBOX_LATENCY_MS:
    MIDDLEWARE.insert(0, "sandbox.latency.LatencyMiddleware")

ROOT_URLCONF = "syncapp.urls"
WSGI_APPLICATION = "syncapp.wsgi.application"

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
                "syncapp.context_processors.tenancy",
                "syncapp.view_as.banner",
                "syncapp.connections.budget.budget_banner",
                "syncapp.connections.views.stripe_revoked_banner",
            ],
        },
    },
]
if SANDBOX_ENABLED:
    # The connections page offers "Use a sandbox test account" only when the sandbox is installed.
    TEMPLATES[0]["OPTIONS"]["context_processors"].append("sandbox.context_processors.sandbox")

if DEBUG:
    _default_db = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    DATABASES = {"default": env.db("DATABASE_URL", default=_default_db)}
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` serves the app and the sandboxes from threads of one process that write at once
    # (webhook deliveries, in-process tasks): WAL lets readers go on, IMMEDIATE transactions queue
    # writers behind the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling on /login/ and /admin/: an account (its e-mail) from one address is locked out
# for 15 minutes after 5 failures; another address, or the same one for another account, is not.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# 15 minutes from the lockout, not from the last attempt made while locked out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "syncapp.forms.login_username"
AXES_CLIENT_IP_CALLABLE = "syncapp.proxies.client_address"
# The proxies in front (the load balancer that terminates TLS), as addresses or networks: only
# their X-Forwarded-For and X-Forwarded-Proto are read (syncapp/proxies.py); from any other peer
# those headers are dropped. Empty: clients connect directly, REMOTE_ADDR is theirs.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _entry in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_entry.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: “{_entry}” is not an IP address or network (like 10.0.0.0/8)."
        ) from None
if env.str("TRUSTED_PROXY_COUNT", default=""):
    # A count trusts whoever connects: a client reaching the app directly picks its own address.
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is replaced by TRUSTED_PROXIES: list your proxies' addresses or networks "
        "(e.g. TRUSTED_PROXIES=10.0.0.0/8) and remove TRUSTED_PROXY_COUNT."
    )
# Sign-up attempts (form posts) per client address per hour, counted in the shared cache.
SIGNUP_RATE_PER_HOUR = env.int("SIGNUP_RATE_PER_HOUR", default=10)
# Invitations a merchant sends per hour (counted in the database), and password-reset e-mails per
# address per hour (in the shared cache): neither form can flood an inbox.
INVITATIONS_PER_HOUR = env.int("INVITATIONS_PER_HOUR", default=20)
PASSWORD_RESETS_PER_HOUR = env.int("PASSWORD_RESETS_PER_HOUR", default=3)
# A reset link works this long (seconds) and once: it is bound to the password it replaces.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Staff accounts that may sign in to the admin without a second factor: DEBUG (`make run`) only.
OTP_EXEMPT_USERNAMES = env.list("OTP_EXEMPT_USERNAMES", default=[]) if DEBUG else []
# The issuer shown in a staff member's authenticator app.
OTP_TOTP_ISSUER = "Stripe-e-conomic sync support"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# English unless the browser or the member asks for Danish (docs/i18n.md). The tests send no
# Accept-Language, so they read English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("da", "Dansk")]
# Compiled by `make` (compilemessages), never committed: the .po files are the source.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
# Dates, times and numbers in the active language's formats (syncapp/formats/): "4. dec. 2026",
# "1.234,50". Numbers are grouped only where they are counts (the `count` filter): customer numbers
# and ids stay as e-conomic and Stripe write them.
FORMAT_MODULE_PATH = ["syncapp.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REDIS_URL = env.str("REDIS_URL", default="")
# Shared by all processes when Redis is there (e-conomic lists are cached per tenant for minutes).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: with no broker configured (make run) tasks run in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
if not DEBUG and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL is not set (nor REDIS_URL): production needs a broker, or every sync would "
        "run inside the web request that received its webhook."
    )
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set, so
# each sync paid a PostgreSQL connection (its CPU and a round trip). It closes every this many
# tasks instead; in between, `syncapp/celery.py` closes a connection that failed or outlived
# CONN_MAX_AGE after each task, as Django does after each request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish that cannot reach the broker gives up within about a second: the event is stored and
# the sweeper sends it later, so a web request never waits on a dead broker.
# Imports run on a queue of their own, served by worker processes of their own (docker-compose's
# `imports`, started nicer): an import's lanes are threads of one task, and beside live syncs in one
# process they took the GIL and the cores from other merchants' syncs (docs/benchmarks.md,
# fairness). Every worker must consume the queues it is meant to serve: `-Q celery` and `-Q imports`.
IMPORTS_QUEUE = "imports"
CELERY_TASK_ROUTES = {"customers.tasks.run_import": {"queue": IMPORTS_QUEUE}}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)

# The retry schedule of stored events (customers/services/schedule.py), kept in PostgreSQL.
# An event that keeps failing in ways that can pass gives up this long after its first failure.
SYNC_RETRY_WINDOW_HOURS = env.float("SYNC_RETRY_WINDOW_HOURS", default=72.0)
# A create of an e-conomic customer whose answer has not come holds back other Stripe customers with
# one of its match values this long (customers/services/claims.py); by then a search shows it.
CREATE_CLAIM_WAIT_SECONDS = env.float("CREATE_CLAIM_WAIT_SECONDS", default=300.0)
# Backoff with full jitter between these (Retry-After is honoured, capped at the maximum).
SYNC_RETRY_MIN_SECONDS = env.float("SYNC_RETRY_MIN_SECONDS", default=2.0)
SYNC_RETRY_MAX_SECONDS = env.float("SYNC_RETRY_MAX_SECONDS", default=3600.0)
# How long a queued message or a worker holds an event (or an import) before others may take it.
SYNC_LEASE_SECONDS = env.float("SYNC_LEASE_SECONDS", default=120.0)
# How often beat sweeps for due events and probes paused connections.
SYNC_SWEEP_SECONDS = env.float("SYNC_SWEEP_SECONDS", default=10.0)
SYNC_PROBE_SECONDS = env.float("SYNC_PROBE_SECONDS", default=30.0)
# How often each tenant's Stripe events are reconciled with ours (webhooks never delivered).
SYNC_RECONCILE_SECONDS = env.float("SYNC_RECONCILE_SECONDS", default=3600.0)
# Stripe customers per import page: the cursor and the heartbeat are saved after each page.
IMPORT_PAGE_SIZE = env.int("IMPORT_PAGE_SIZE", default=100)
# An import's lanes (threads, customers/services/import_lanes.py): create lanes for customers its
# match index does not find, match lanes for those it does. Their round trips overlap; each lane
# holds a database connection while its chunk runs. 8 create lanes: a create (e-conomic, then the
# write-back to Stripe) takes about a quarter of a second on a busy node, and 4 lanes reached only
# 17 of the 24 calls a second the bench's rate limit allows (docs/benchmarks.md); the throttle
# paces any more. 2 match lanes: they sync as fast as the CPU allows, and 4 took the cores from
# other merchants' live syncs (docs/benchmarks.md, fairness).
IMPORT_LANES = env.int("IMPORT_LANES", default=8)
IMPORT_MATCH_LANES = env.int("IMPORT_MATCH_LANES", default=2)
# Stripe pages an import may read ahead of its saved cursor, so customers found in e-conomic are
# synced while earlier pages' creates wait for the rate limit. By default a whole task's pages
# (customers/services/imports.py, CHUNK_PAGES: 100): Stripe lists newest first, so an import's
# creates come first and its matched customers last, and with 50 the last matched page was read
# only as the creates ended, leaving the rate limit idle meanwhile (docs/benchmarks.md, "The import
# at the line"). The bound on an import's memory: about IMPORT_PAGE_SIZE customers a page (100
# pages: 7-12 MB more at the peak than 50); lower it on a node short of memory.
IMPORT_READ_AHEAD_PAGES = env.int("IMPORT_READ_AHEAD_PAGES", default=100)
# A long import reads what changed in e-conomic since it loaded its match index this often.
IMPORT_INDEX_REFRESH_SECONDS = env.float("IMPORT_INDEX_REFRESH_SECONDS", default=300.0)
# Consecutive outages (5xx, timeouts) from a service before a tenant's work on it pauses.
SYNC_PAUSE_AFTER_FAILURES = env.int("SYNC_PAUSE_AFTER_FAILURES", default=3)

# Outside services; pointing these at the sandbox is all it takes to run offline.
ECONOMIC_API_URL = env.str("ECONOMIC_API_URL", default="https://restapi.e-conomic.com").rstrip("/")
# The app's own tokens: without them no merchant can connect e-conomic.
ECONOMIC_APP_SECRET_TOKEN = _required("ECONOMIC_APP_SECRET_TOKEN", "")
ECONOMIC_APP_PUBLIC_TOKEN = _required("ECONOMIC_APP_PUBLIC_TOKEN", "")
ECONOMIC_GRANT_URL = env.str(
    "ECONOMIC_GRANT_URL",
    default="https://secure.e-conomic.com/secure/api1/requestaccess.aspx",
)
# Requests per second allowed per e-conomic agreement, shared by all workers. e-conomic documents no
# per-second limit (only the daily budget below): 5/s is our own courtesy pace (README), and the
# burst lets a lone sync's few calls (searches, create or GET + PUT) leave back to back.
ECONOMIC_RATE_PER_SECOND = env.float("ECONOMIC_RATE_PER_SECOND", default=5.0)
ECONOMIC_RATE_BURST = env.float("ECONOMIC_RATE_BURST", default=10.0)
ECONOMIC_TIMEOUT_SECONDS = env.float("ECONOMIC_TIMEOUT_SECONDS", default=15.0)
# e-conomic's fair use: 50,000 API calls per 24 hours per agreement, the one documented limit
# (syncapp/clients/budget.py). Work that can wait (imports, background reads) spends at most the
# background share, so live syncs keep the rest; the owners are e-mailed at the alert share.
ECONOMIC_DAILY_BUDGET = env.int("ECONOMIC_DAILY_BUDGET", default=50_000)
ECONOMIC_BUDGET_WINDOW_SECONDS = env.int("ECONOMIC_BUDGET_WINDOW_SECONDS", default=24 * 3600)
ECONOMIC_BUDGET_BACKGROUND_SHARE = env.float("ECONOMIC_BUDGET_BACKGROUND_SHARE", default=0.9)
ECONOMIC_BUDGET_ALERT_SHARE = env.float("ECONOMIC_BUDGET_ALERT_SHARE", default=0.8)
# The longest a call waits for the rate limiter inside a worker; beyond it the work is rescheduled.
ECONOMIC_RATE_MAX_WAIT_SECONDS = env.float("ECONOMIC_RATE_MAX_WAIT_SECONDS", default=1.0)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com").rstrip("/")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
# Where the sync log links a customer to, for the merchant to look at it in the service itself.
STRIPE_DASHBOARD_URL = env.str("STRIPE_DASHBOARD_URL", default="https://dashboard.stripe.com").rstrip("/")
ECONOMIC_WEB_URL = env.str("ECONOMIC_WEB_URL", default="https://secure.e-conomic.com").rstrip("/")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)

# "Connect with Stripe": our Stripe App, installed through its OAuth install link (README,
# "Connect with Stripe"). The platform's secret key exchanges codes and refreshes tokens, and its
# Connect webhook endpoint (/webhooks/stripe/connect/) receives every app-connected account's
# events, signed with STRIPE_PLATFORM_WEBHOOK_SECRET. Both secrets live in the environment only.
STRIPE_OAUTH_ENABLED = env.bool("STRIPE_OAUTH_ENABLED", default=False)
STRIPE_CLIENT_ID = env.str("STRIPE_CLIENT_ID", default="")
STRIPE_PLATFORM_SECRET_KEY = env.str("STRIPE_PLATFORM_SECRET_KEY", default="")
STRIPE_PLATFORM_WEBHOOK_SECRET = env.str("STRIPE_PLATFORM_WEBHOOK_SECRET", default="")
STRIPE_OAUTH_AUTHORIZE_URL = env.str(
    "STRIPE_OAUTH_AUTHORIZE_URL", default="https://marketplace.stripe.com/oauth/v2/authorize"
)
# Connect's own host, where the platform revokes an account's grant (POST /oauth/deauthorize).
STRIPE_CONNECT_BASE = env.str("STRIPE_CONNECT_BASE", default="https://connect.stripe.com").rstrip("/")
if STRIPE_OAUTH_ENABLED and not DEBUG:
    for _name in ("STRIPE_CLIENT_ID", "STRIPE_PLATFORM_SECRET_KEY", "STRIPE_PLATFORM_WEBHOOK_SECRET"):
        if not globals()[_name] or globals()[_name].startswith(_PLACEHOLDER):
            raise ImproperlyConfigured(
                f"STRIPE_OAUTH_ENABLED is on but {_name} is not set: production needs the Stripe "
                "platform's values in the environment (README, 'Connect with Stripe')."
            )

# Content-Security-Policy (django-csp): our own static files only; no inline script or style, no
# plugin, no framing. Forms post to us, and "Connect e-conomic" is a form whose answer redirects
# to e-conomic's grant page (browsers check form-action on that redirect too).
_GRANT_ORIGIN = "/".join(ECONOMIC_GRANT_URL.split("/")[:3])
# "Connect with Stripe" is a form too, whose answer redirects to Stripe's install link.
_STRIPE_AUTHORIZE_ORIGIN = "/".join(STRIPE_OAUTH_AUTHORIZE_URL.split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF, _GRANT_ORIGIN, _STRIPE_AUTHORIZE_ORIGIN],
    }
}

# Production hardening: only when DEBUG is off, so `make run` works over plain http.
if not DEBUG:
    # Read only from TRUSTED_PROXIES: syncapp.proxies.ProxyHeadersMiddleware drops it from others.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer probes /healthz over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# `json` in production: one JSON object per line, one line per request and per sync, with ids only
# (syncapp/jsonlog.py). `plain` for a person reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT is 'plain' or 'json'.")
if LOG_FORMAT == "json":
    # Outermost: it times the whole request and sees the final status and the tenant resolved.
    MIDDLEWARE.insert(0, "syncapp.jsonlog.RequestLogMiddleware")

# Every handler gets the redacting filter: those below, and any other already attached when logging
# is configured (syncapp/celery.py does the same for the handlers a Celery worker installs).
LOGGING_CONFIG = "syncapp.crypto.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "syncapp.crypto.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "syncapp.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a DEBUG-only console, mail_admins) go: its records reach ours.
        "django": {"level": "INFO"},
        # runserver's request lines go through our redacting handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # stripe-python logs every request at INFO: too much for a worker's log.
        "stripe": {"level": "WARNING"},
    },
}

# Error reports, when a DSN is set: no personal data, and every event redacted like the logs.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from syncapp.crypto import redact_sentry_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        before_send=redact_sentry_event,
        before_send_transaction=redact_sentry_event,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# How often beat looks for tenants whose read of e-conomic changes is due (each reads at the interval
# its settings give, 5 minutes by default).
ECONOMIC_READ_TICK_SECONDS = env.float("ECONOMIC_READ_TICK_SECONDS", default=60.0)
# Beat ticks at least this often and touches its heartbeat file each time (compose's health check).
CELERY_BEAT_SCHEDULER = "syncapp.celery.HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
CELERY_BEAT_HEARTBEAT_FILE = env.str("CELERY_BEAT_HEARTBEAT_FILE", default="/tmp/celerybeat-heartbeat")
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-events": {"task": "customers.tasks.sweep_pending_events", "schedule": SYNC_SWEEP_SECONDS},
    "reconcile-tenants": {"task": "customers.tasks.reconcile_tenants", "schedule": SYNC_RECONCILE_SECONDS},
    "probe-paused-connections": {
        "task": "customers.tasks.probe_paused_connections",
        "schedule": SYNC_PROBE_SECONDS,
    },
    # Each tenant gets at most one alert e-mail an hour; the task checks every few minutes.
    "send-alerts": {"task": "customers.send_alerts", "schedule": 300.0},
    # Each tenant's read of e-conomic changes runs at its own interval; this only checks who is due.
    "read-economic-due": {
        "task": "customers.tasks.read_economic_due",
        "schedule": ECONOMIC_READ_TICK_SECONDS,
    },
    # The owners' e-mail when an agreement has used most of e-conomic's daily budget.
    "send-budget-alerts": {"task": "syncapp.connections.send_budget_alerts", "schedule": 300.0},
    # Issue 15: retention in bounded batches, and closed accounts deleted after their grace period.
    "purge-personal-data": {"task": "customers.tasks.purge_personal_data", "schedule": 3600.0},
    "delete-closed-tenants": {"task": "syncapp.tasks.delete_closed_tenants", "schedule": 3600.0},
}

# Retention (docs/privacy.md). Event payloads: as long as Stripe keeps events (30 days). Personal
# data copied into the sync log: 13 months by default; a tenant may choose down to the minimum
# (3 months: a quarterly VAT period and its reconciliation can still be traced in the log).
EVENT_PAYLOAD_RETENTION_DAYS = env.int("EVENT_PAYLOAD_RETENTION_DAYS", default=30)
SYNC_RECORD_RETENTION_MONTHS = env.int("SYNC_RECORD_RETENTION_MONTHS", default=13)
SYNC_RECORD_RETENTION_MIN_MONTHS = env.int("SYNC_RECORD_RETENTION_MIN_MONTHS", default=3)
# A dry run's report (e-mails, names) is for deciding to import, not a log: deleted after 30 days.
DRY_RUN_REPORT_RETENTION_DAYS = env.int("DRY_RUN_REPORT_RETENTION_DAYS", default=30)
# A closed account's data is deleted this long after the owner closed it (cancellable until then).
TENANT_DELETION_GRACE_DAYS = env.int("TENANT_DELETION_GRACE_DAYS", default=7)
# Alert, invitation and account-closing e-mails: printed to the console in `make run`, SMTP in
# production (EMAIL_URL=smtp+tls://user:password@host:587).
vars().update(env.email_url_config(_required("EMAIL_URL", "consolemail://")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stripe ↔ e-conomic sync <noreply@localhost>")
# The Prometheus endpoint (/metrics) answers only with `Authorization: Bearer <METRICS_TOKEN>`;
# unset, it refuses every request.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# How long a web process keeps what the webhook entry verifies an endpoint's events with
# (customers/webhook_lookup.py); a change in the same process is seen at once.
WEBHOOK_LOOKUP_SECONDS = env.float("WEBHOOK_LOOKUP_SECONDS", default=10.0)
