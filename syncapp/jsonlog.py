"""Structured logs for production (`LOG_FORMAT=json`): one JSON object per line.

Only whitelisted context keys are added (ids, outcomes, timings), so a log line never carries an
e-mail, a name or a secret by accident; the redaction filter stays on every handler regardless.
The request line names the route pattern, never the path or the query string (a sync log search
holds e-mail addresses; a webhook path holds a tenant's endpoint id).
"""

import json
import logging
import time
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

CONTEXT_KEYS = (
    "tenant",
    "event",
    "customer",
    "action",
    "economic_number",
    "duration_ms",
    "dry_run",
    "method",
    "route",
    "status",
    "reason",
)
request_logger = logging.getLogger("syncapp.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: getattr(record, key) for key in CONTEXT_KEYS if hasattr(record, key)})
        if record.exc_info or record.exc_text:
            # The redaction filter has already masked exc_text (it runs before the formatter).
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """One log line per request: route, method, status, duration and the tenant's slug."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        tenant = getattr(request, "tenant", None)
        request_logger.info(
            "request",
            extra={
                "method": request.method,
                "route": match.route if match else None,
                "status": response.status_code,
                "duration_ms": int((time.monotonic() - started) * 1000),
                "tenant": getattr(tenant, "slug", None),
            },
        )
        return response
