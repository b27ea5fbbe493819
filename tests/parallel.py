"""The suite in parallel (pytest-xdist, docs/testing.md): each worker process gets its own
PostgreSQL test database (pytest-django suffixes the name with the worker id, `_gw0`) and its own
pair of Redis databases on a private redis-server started for the run, so no worker can flush,
count or consume what another one wrote, and no run can touch another run's keys.

The controller starts the server before the workers exist and hands its address down in the
environment; each worker picks its pair by its number in `tests/settings.py`, before Django reads
the settings. A run without workers (`-n 0`) uses REDIS_URL and CELERY_BROKER_URL as given.
"""

import os

import pytest
from xdist import is_xdist_controller

from bench.chaos.processes import RedisServer
from tests.worker_redis import DATABASES_PER_WORKER, PRIVATE_REDIS_VARIABLE

_server_key = pytest.StashKey[RedisServer]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # First, so the server answers before xdist starts the workers (in its own sessionstart).
    if not is_xdist_controller(session):
        return
    databases = max(16, len(session.config.option.tx) * DATABASES_PER_WORKER)
    server = _start_private_redis(databases)
    session.config.stash[_server_key] = server
    os.environ[PRIVATE_REDIS_VARIABLE] = server.url


def _start_private_redis(databases: int) -> RedisServer:
    for _ in range(2):
        try:
            return RedisServer(databases=databases).start()
        except RuntimeError:
            continue  # its spare port was taken in the meantime: another one
    return RedisServer(databases=databases).start()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_server_key, None)
    if server is not None:
        server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: the small chaos run (marked `chaos`, about 100 s), then those
    marked `long`. `--dist load` deals the first tests one to each worker, so each starts at
    once on a worker of its own while the others share the rest, and none finishes alone at the
    end. The rest keep their order; every worker collects the same order, as xdist requires."""
    items.sort(key=lambda item: [item.get_closest_marker(name) is None for name in ("chaos", "long")])
