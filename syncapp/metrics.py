"""Prometheus metrics: counters kept in Redis (shared by every web and worker process), gauges
computed from the database at scrape time, served at /metrics behind a bearer token.

Why Redis for the counters: API calls and syncs happen in Celery workers, the scrape reaches a web
process, and they run in different containers. `PROMETHEUS_MULTIPROC_DIR` only adds up processes
that share one directory on one host; Redis is already shared by all of them (the rate limiter
and the broker use it), and one HINCRBYFLOAT per call is cheap next to the HTTP call it counts.
Without REDIS_URL (`make run`, one process) the counters live in memory. A Redis hiccup loses a
count, never a sync: every write here swallows its errors.

A count is not written where it happens (a webhook's request, a sync's API calls): it is added
up in the process and written by a background thread about once a second
(`_add_soon`), so the webhook answers without a Redis round trip; a scrape writes its own
process's pending counts first. A process that dies loses at most that second of counts.

Gauges (queue depth, events by status, connections) are read from the source at each scrape, so
they are right whichever process answers. Apps register theirs from `AppConfig.ready()`.
"""

import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache

import redis
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from .clients.stripe import CUSTOMER_EVENT_TYPES
from .models import EconomicConnection, StripeConnection, Tenant

logger = logging.getLogger(__name__)
REDIS_KEY = "syncapp:metrics"
SYNC_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# name: (type, help). The samples of each are stored under their own names (_total, _bucket...).
DECLARED = {
    "syncapp_stripe_events_received": ("counter", "Stripe webhook events accepted, by type and duplicate."),
    "syncapp_syncs": ("counter", "Customer syncs recorded, by outcome (dry runs excluded)."),
    "syncapp_sync_duration_seconds": ("histogram", "Time one customer sync took, by outcome."),
    "syncapp_api_calls": (
        "counter",
        "Calls to e-conomic and Stripe by service, HTTP method and status ('error': no answer).",
    ),
}

Gauges = Callable[[], Iterable[Metric]]
_gauges: list[Gauges] = []
_local: dict[str, float] = {}
_local_lock = threading.Lock()
# Counts waiting for the background writer, and the process it runs in (a forked child starts its own).
FLUSH_SECONDS = 1.0
_pending: dict[str, float] = {}
_pending_lock = threading.Lock()
# Held from taking a batch until it is in Redis: a scrape's own flush waits for the writer's batch in
# hand, so a count is never in neither place.
_writing_lock = threading.Lock()
_writer_pid: int | None = None


def register_gauges(gauges: Gauges) -> None:
    """`gauges()` yields metric families computed at scrape time."""
    _gauges.append(gauges)


# --- counting (any process) --------------------------------------------------------------------


@cache
def _redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _field(sample: str, labels: dict[str, str]) -> str:
    return json.dumps([sample, labels], sort_keys=True)


def _add(increments: dict[str, float]) -> None:
    client = _redis()
    if client is None:
        with _local_lock:
            for field, amount in increments.items():
                _local[field] = _local.get(field, 0.0) + amount
        return
    try:
        pipe = client.pipeline(transaction=False)
        for field, amount in increments.items():
            pipe.hincrbyfloat(REDIS_KEY, field, amount)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("Metrics not counted (Redis: %s)", type(exc).__name__)


def _add_soon(increments: dict[str, float]) -> None:
    global _writer_pid
    with _pending_lock:
        for field, amount in increments.items():
            _pending[field] = _pending.get(field, 0.0) + amount
        if _writer_pid != os.getpid():
            _writer_pid = os.getpid()
            threading.Thread(target=_write_pending_forever, name="metrics-writer", daemon=True).start()


def _write_pending_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        write_pending()


def write_pending() -> None:
    """Write the counts this process has added up so far."""
    with _writing_lock:
        with _pending_lock:
            batch = dict(_pending)
            _pending.clear()
        if batch:
            _add(batch)


def api_call_observed(service: str, method: str, status: int | None) -> None:
    """The clients' `on_response` hook: one call to e-conomic or Stripe and its status."""
    labels = {"service": service, "method": method.upper(), "status": str(status) if status else "error"}
    _add_soon({_field("syncapp_api_calls_total", labels): 1})


def event_received(*, event_type: str, duplicate: bool) -> None:
    # Only the types we sync name a series: any other text a signed event carries would make a
    # series of its own and appear in /metrics as it came.
    known = event_type if event_type in CUSTOMER_EVENT_TYPES else "other"
    labels = {"type": known, "duplicate": "true" if duplicate else "false"}
    _add_soon({_field("syncapp_stripe_events_received_total", labels): 1})


def sync_observed(*, action: str, seconds: float | None) -> None:
    """One recorded sync; `seconds` None for a give-up after retries (counted, not timed)."""
    labels = {"action": action}
    increments = {_field("syncapp_syncs_total", labels): 1}
    if seconds is not None:
        for bound in SYNC_SECONDS_BUCKETS:
            if seconds <= bound:
                increments[_field("syncapp_sync_duration_seconds_bucket", {**labels, "le": str(bound)})] = 1
        increments[_field("syncapp_sync_duration_seconds_bucket", {**labels, "le": "+Inf"})] = 1
        increments[_field("syncapp_sync_duration_seconds_sum", labels)] = seconds
        increments[_field("syncapp_sync_duration_seconds_count", labels)] = 1
    _add_soon(increments)


# --- exposing (the scraped process) ------------------------------------------------------------


def _stored_values() -> dict[str, float]:
    client = _redis()
    if client is None:
        with _local_lock:
            return dict(_local)
    return {field.decode(): float(value) for field, value in client.hgetall(REDIS_KEY).items()}


def _family_of(sample: str) -> str:
    for suffix in ("_total", "_bucket", "_sum", "_count"):
        if sample.endswith(suffix) and sample.removesuffix(suffix) in DECLARED:
            return sample.removesuffix(suffix)
    return sample


def _sample_order(item: tuple[str, dict, float]) -> tuple:
    # Histogram buckets in increasing `le` order, each series' buckets before its sum and count.
    sample, labels, _ = item
    series = sorted((k, v) for k, v in labels.items() if k != "le")
    le = float(labels["le"]) if "le" in labels else float("inf")
    return (_family_of(sample), series, not sample.endswith("_bucket"), le, sample)


class _Collector:
    def collect(self) -> Iterable[Metric]:
        families = {name: Metric(name, doc, kind) for name, (kind, doc) in DECLARED.items()}
        try:
            stored = _stored_values()
        except redis.RedisError as exc:
            logger.warning("Metrics counters unavailable (Redis: %s)", type(exc).__name__)
            stored = {}
        for sample, labels, value in sorted(
            ((*json.loads(field), value) for field, value in stored.items()), key=_sample_order
        ):
            family = families.get(_family_of(sample))
            if family is not None:
                family.add_sample(sample, labels, value)
        yield from families.values()
        for gauges in _gauges:
            yield from gauges()


def core_gauges() -> Iterable[Metric]:
    """Connections by service and status, accounts being closed, and the Celery queue's length."""
    connections = GaugeMetricFamily(
        "syncapp_connections",
        "Connections by service and status ('failing': refused credentials, nothing syncs).",
        labels=["service", "status"],
    )
    for service, model in (("stripe", StripeConnection), ("economic", EconomicConnection)):
        for row in model.all_tenants.values("status").annotate(n=Count("id")):
            connections.add_metric([service, row["status"]], row["n"])
    yield connections
    yield GaugeMetricFamily(
        "syncapp_tenants_closing",
        "Accounts closed by their owner, waiting for deletion.",
        value=Tenant.objects.filter(delete_after__isnull=False).count(),
    )
    yield _queue_depth()


def _queue_depth() -> Metric:
    queue = GaugeMetricFamily(
        "syncapp_celery_queue_length", "Tasks waiting in the broker, by queue.", labels=["queue"]
    )
    if settings.CELERY_BROKER_URL.startswith("redis"):
        try:
            broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1)
            queue.add_metric(["celery"], broker.llen("celery"))
        except redis.RedisError as exc:
            logger.warning("Queue length unavailable (Redis: %s)", type(exc).__name__)
    return queue


register_gauges(core_gauges)


def metrics_token_given(request: HttpRequest) -> bool:
    """The request carries `Authorization: Bearer <METRICS_TOKEN>` (never true without a token)."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_token_given(request):
        # Without METRICS_TOKEN configured nothing is served: refusing is the safe default.
        return HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
    write_pending()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
