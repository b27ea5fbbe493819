"""Settings for the test run: the real PostgreSQL and Redis on this machine, the sandboxes on.

Environment defaults are set here, before syncapp.settings reads them, so a plain `pytest` gets
the same services as `make test` (and worker processes started by the tests inherit them).
"""

import os

os.environ.setdefault("DEBUG", "true")  # dev keys; pytest-django still runs with DEBUG off
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/syncapp")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from syncapp.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # `make run`'s database is a file: so is the test database, and the live server's threads get
    # their own connections to it, as runserver's do (an in-memory database would share one).
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}-test"}  # noqa: F405
