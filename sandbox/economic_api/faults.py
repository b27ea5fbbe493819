"""Trouble on demand, per agreement: latency, 429s (with and without Retry-After), 5xxs, writes
whose answer never arrives, and page-based paging that stops at a cap.

Counters are used up with a conditional UPDATE, so concurrent calls never both take the last one.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from .errors import ApiError
from .models import Agreement, Faults
from .resources import NEWER_API_PAGING_CAP

logger = logging.getLogger(__name__)

FAULT_FIELDS = {
    "latency": "latency_seconds",
    "throttle": "throttle_count",
    "retry_after": "retry_after_seconds",
    "throttle_without_retry_after": "bare_throttle_count",
    "throttle_without_retry_after_rate": "bare_throttle_rate",
    "errors": "error_count",
    "error_status": "error_status",
    "drop_after_commit": "drop_after_commit_count",
    "stall_after_commit": "stall_after_commit_count",
    "stall_seconds": "stall_seconds",
    "paging_cap": "paging_cap_items",
}


def set_faults(agreement: Agreement, **settings: Any) -> Faults:
    """Replace the agreement's faults; names are the keys of FAULT_FIELDS, unset ones reset."""
    unknown = set(settings) - set(FAULT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown faults: {', '.join(sorted(unknown))}")
    if isinstance(settings.get("paging_cap"), bool):
        # `"paging_cap": true` is e-conomic's own cap; false is off.
        settings["paging_cap"] = NEWER_API_PAGING_CAP if settings["paging_cap"] else 0
    rate = settings.get("throttle_without_retry_after_rate", 0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError("throttle_without_retry_after_rate must be a number from 0 to 1")
    values = {field: Faults._meta.get_field(field).default for field in FAULT_FIELDS.values()}
    values.update({FAULT_FIELDS[name]: value for name, value in settings.items()})
    faults, _ = Faults.objects.update_or_create(agreement=agreement, defaults=values)
    return faults


def clear_faults(agreement: Agreement) -> None:
    Faults.objects.filter(agreement=agreement).delete()


def _take(agreement: Agreement, counter: str) -> bool:
    taken = Faults.objects.filter(agreement=agreement, **{f"{counter}__gt": 0}).update(
        **{counter: F(counter) - 1}
    )
    return taken == 1


class InjectedFault(ApiError):
    """An error answer the tests asked for, not one the request earned; `label` goes in the
    request log (default "injected <status>")."""

    def __init__(self, *args: Any, label: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.label = label or f"injected {self.status}"


def current(agreement: Agreement) -> Faults | None:
    """The agreement's faults as this request found them, or None: read once per request (with the
    grant, api.authenticate) and kept on the agreement, so the checks below share one read. The
    counters are used up by `_take` itself, never by what was read."""
    try:
        return agreement.faults
    except Faults.DoesNotExist:
        return None


def paging_cap(agreement: Agreement) -> int:
    """Items page-based paging reaches for this agreement; 0 means no cap (the default)."""
    faults = current(agreement)
    return faults.paging_cap_items if faults is not None else 0


def before_request(agreement: Agreement) -> None:
    """Apply latency, then raise a 429 (with or without Retry-After) or a 5xx if one is due."""
    faults = current(agreement)
    if faults is None:
        return
    if faults.latency_seconds > 0:
        time.sleep(faults.latency_seconds)
    if faults.throttle_count and _take(agreement, "throttle_count"):
        raise InjectedFault(
            429,
            "Too many requests for this agreement.",
            error_code="E04290",
            headers={"Retry-After": str(faults.retry_after_seconds)},
        )
    if (faults.bare_throttle_count and _take(agreement, "bare_throttle_count")) or (
        faults.bare_throttle_rate and random.random() < faults.bare_throttle_rate
    ):
        # No Retry-After: the client must choose its own back-off.
        raise InjectedFault(
            429,
            "Too many requests for this agreement.",
            error_code="E04290",
            label="injected 429 without Retry-After",
        )
    if faults.error_count and _take(agreement, "error_count"):
        raise InjectedFault(faults.error_status, "The server had a problem.", error_code="E05000")


@dataclass
class AfterCommit:
    response: HttpResponse
    fault: str = ""
    # Seconds to hold the answer back: past the client's timeout it gives up, though the write
    # happened. The caller waits after its last database write, so a test that ends meanwhile
    # does not meet a late write.
    stall_seconds: float = 0


def after_commit(request: HttpRequest, agreement: Agreement, response: HttpResponse) -> AfterCommit:
    """For a committed POST/PUT: maybe swap the answer for a broken or a late one."""
    if current(agreement) is None:
        return AfterCommit(response)  # the agreement had no faults when the request began
    # Read again: other calls may have used the counters up meanwhile.
    faults = Faults.objects.filter(agreement=agreement).first()
    if faults is None:
        return AfterCommit(response)
    if faults.drop_after_commit_count and _take(agreement, "drop_after_commit_count"):
        return AfterCommit(_dropped_response(request, response), "dropped after commit")
    if faults.stall_after_commit_count and _take(agreement, "stall_after_commit_count"):
        return AfterCommit(response, "stalled after commit", faults.stall_seconds)
    return AfterCommit(response)


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The connection's socket under Django's runserver/live_server (wsgiref), else None.

    wsgi.input there is a LimitedStream over the socket's reader; no public API exposes the
    socket, and the emulator needs it to cut the connection after the headers went out.
    """
    stream = request.META.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", None)
    raw = getattr(reader, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _dropped_response(request: HttpRequest, response: HttpResponse) -> StreamingHttpResponse:
    """Headers and half the body go out, then the connection is cut: Content-Length promises
    more, so the client sees a broken connection rather than a short but valid answer."""
    body = response.content
    sock = _client_socket(request)

    def stream() -> Iterator[bytes]:
        yield body[: max(1, len(body) // 2)]
        if sock is None:
            raise ConnectionAbortedError("Sandbox fault: connection dropped after commit")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            logger.debug("Sandbox fault: socket was already closed")

    broken = StreamingHttpResponse(stream(), status=response.status_code, content_type="application/json")
    broken["Content-Length"] = str(len(body))
    return broken
