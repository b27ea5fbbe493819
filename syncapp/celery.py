import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncapp.settings")

app = Celery("syncapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """What Django does after each request: a connection that failed or outlived CONN_MAX_AGE is
    closed; a healthy one is kept for the next task (CELERY_DB_REUSE_MAX). Not for a task run
    in-process (`make run`, no broker): the connection is its caller's, maybe in a transaction."""
    if task is not None and task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_logs(**kwargs) -> None:
    """A worker replaces the root handlers with its own (console or --logfile) and gives task
    loggers theirs: each gets the filter that masks secrets, as Django's LOGGING handlers have."""
    from syncapp.crypto import redact_every_handler

    redact_every_handler()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_worker_logs(logger=None, **kwargs) -> None:
    """With LOG_FORMAT=json, a worker's handlers write JSON lines too (issue 15)."""
    from django.conf import settings

    if logger is None or settings.LOG_FORMAT != "json":
        return
    from syncapp.jsonlog import JsonFormatter

    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())


class HeartbeatScheduler(PersistentScheduler):
    """Beat's own scheduler, touching a file on every tick: compose's health check for beat reads
    its age, so beat is judged by itself, not by the broker or the workers behind it."""

    def tick(self, *args, **kwargs):
        from django.conf import settings

        Path(settings.CELERY_BEAT_HEARTBEAT_FILE).touch()
        return super().tick(*args, **kwargs)
