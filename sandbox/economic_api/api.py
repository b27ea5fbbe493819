"""What every emulated API call goes through: tokens, read-only demo, content type, faults, log."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from syncapp.rows import insert

from ..latency import over_budget, over_rate
from . import faults
from .errors import ApiError
from .models import Agreement, Grant, RequestLogEntry
from .seed import DEMO_TOKEN, demo_grant

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def authenticate(request: HttpRequest) -> Grant:
    secret = request.headers.get("X-AppSecretToken", "")
    grant_token = request.headers.get("X-AgreementGrantToken", "")
    if not secret or not grant_token:
        raise ApiError(401, "Missing X-AppSecretToken or X-AgreementGrantToken header.", error_code="E04010")
    if secret == DEMO_TOKEN and grant_token == DEMO_TOKEN:
        return demo_grant()
    try:
        # The agreement's faults come along (faults.current): one read for the whole request. The
        # app is read only where it is shown (/self).
        return Grant.objects.select_related("agreement__faults").get(
            token=grant_token, app__secret_token=secret
        )
    except Grant.DoesNotExist:  # the token is unique: never more than one
        raise ApiError(
            401, "The app secret token or the agreement grant token is not valid.", error_code="E04011"
        ) from None


def base_url(request: HttpRequest) -> str:
    """The emulator's root as the caller reached it, for `self` links."""
    return request.build_absolute_uri(reverse("sandbox_economic:self")).removesuffix("/self")


def json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The body is not valid JSON.", error_code="E00500") from None


def economic_api(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an endpoint `view(request, agreement, **kwargs)` with what e-conomic does around it."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        started = time.monotonic()
        agreement: Agreement | None = None
        fault = ""
        stall_seconds = 0.0
        try:
            request.economic_grant = authenticate(request)
            agreement = request.economic_grant.agreement
            if request.method in WRITES and agreement.read_only:
                raise ApiError(403, "The demo agreement is read-only.", error_code="E04030")
            content_type = request.content_type or ""
            if request.method in ("POST", "PUT", "PATCH") and content_type != "application/json":
                raise ApiError(415, "Content-Type must be application/json.", error_code="E04150")
            faults.before_request(agreement)
            if wait := over_rate(agreement.pk):
                raise faults.InjectedFault(
                    429,
                    "Too many requests for this agreement.",
                    error_code="E04290",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                    label="rate limit",
                )
            if over_budget(agreement.pk):
                raise faults.InjectedFault(
                    429,
                    "This agreement has used its fair-use budget of API calls for 24 hours: "
                    "access is restricted.",
                    error_code="E04291",
                    label="daily budget",
                )
            response = view(request, agreement, **kwargs)
        except faults.InjectedFault as exc:
            response, fault = exc.response(), exc.label
        except ApiError as exc:
            response = exc.response()
        if agreement is not None and request.method in ("POST", "PUT") and 200 <= response.status_code < 300:
            outcome = faults.after_commit(request, agreement, response)
            response, fault, stall_seconds = outcome.response, outcome.fault, outcome.stall_seconds
        insert(
            RequestLogEntry,
            agreement=agreement,
            method=request.method,
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            status=response.status_code,
            fault=fault,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        if stall_seconds:
            time.sleep(stall_seconds)
        return response

    return wrapper
