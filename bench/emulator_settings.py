"""The emulators' own process in the bench: the product's settings with the sandbox on (which needs
DEBUG while the settings load), then a serving path of their own. The emulators stand in for
Stripe's and e-conomic's servers: the CPU they spend on this machine is not ours, so they spend as
little as they can while answering exactly as the sandbox does (tests/bench/test_emulator_path.py
compares the two over HTTP).

- Django's debug machinery off at run time (no query log, no debug cursor).
- Only the emulators' API routes (bench/emulator_urls.py), and only the middleware they need: the
  API views are CSRF-exempt and read no session, user, language or message, so the product's
  session, auth, second-factor, locale, CSP, static-file, view-as and lockout middleware only cost
  CPU here. CommonMiddleware (the Host check, the slash redirect) and CSRF (the consent pages the
  emulators' urlconfs also route) stay, so every routed page keeps its rules.
- No health check of the database connection before each request (a `SELECT 1` per call): the
  database is on this machine and lives as long as the run.
- Each new connection a client opens is counted (bench/connections.py:
  `end_to_end.connections_per_sync`), outermost, as before."""

from syncapp.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.emulator_urls"
MIDDLEWARE = [
    "bench.connections.CountConnections",
    *(["sandbox.latency.LatencyMiddleware"] if SANDBOX_LATENCY_MS else []),  # noqa: F405
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
# The admin and the lockout are installed (the product's apps load as they are) but not served
# here: their middleware is not needed.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410", "axes.W002"]
