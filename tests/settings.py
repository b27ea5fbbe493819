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

# A worker of a parallel run (tests/parallel.py): its own Redis databases on the run's private
# server, in the environment too, so the Celery workers and scripts it starts use them as well.
# Removed once read: a process this worker starts keeps the worker's databases.
from tests.worker_redis import PRIVATE_REDIS_VARIABLE, redis_urls_for_worker  # noqa: E402

_private_redis = os.environ.pop(PRIVATE_REDIS_VARIABLE, "")
if _private_redis and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.update(redis_urls_for_worker(_private_redis, os.environ["PYTEST_XDIST_WORKER"]))

from syncapp.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # `make run`'s database is a file: so is the test database, and the live server's threads get
    # their own connections to it, as runserver's do (an in-memory database would share one).
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}-test"}  # noqa: F405

PASSWORD_HASHERS = ["tests.hashers.OneRoundPBKDF2PasswordHasher"]
