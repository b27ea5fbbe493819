"""Which Redis databases a worker of a parallel run uses (tests/parallel.py starts the server,
tests/settings.py applies this before Django reads the settings)."""

# Set by the controller for its workers: the address of the run's private redis-server.
PRIVATE_REDIS_VARIABLE = "SYNCAPP_TEST_PRIVATE_REDIS"
# Two per worker: the cache and the broker.
DATABASES_PER_WORKER = 2


def redis_urls_for_worker(private_redis: str, worker_id: str) -> dict[str, str]:
    """REDIS_URL and CELERY_BROKER_URL of worker `gwN` on the run's private server."""
    number = int(worker_id.removeprefix("gw"))
    first = number * DATABASES_PER_WORKER
    return {"REDIS_URL": f"{private_redis}/{first}", "CELERY_BROKER_URL": f"{private_redis}/{first + 1}"}
