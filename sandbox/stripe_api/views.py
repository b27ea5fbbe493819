"""HTTP face of the Stripe emulator: auth, form parsing, idempotency, request log, error bodies."""

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import control, services
from .models import ApiKey, IdempotentRequest, RequestLog, SinkRequest, stripe_id
from .params import ApiError, parse_params
from .services import Caller

Handler = Callable[..., dict[str, Any]]


def _mask(key: str) -> str:
    prefix = key[:8] if key.startswith(ApiKey.KINDS) else ""
    return f"{prefix}{'*' * 20}{key[-4:]}" if len(key) > 12 else "****"


def _api_key(request: HttpRequest) -> ApiKey:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credential.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credential).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    if not key:
        raise ApiError(
            401,
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    api_key = ApiKey.objects.select_related("account").filter(key=key).first()
    if api_key is None:
        raise ApiError(401, f"Invalid API Key provided: {_mask(key)}")
    return api_key


def _json(body: dict) -> str:
    return json.dumps(body, indent=2)


def _api_path(path: str) -> str:
    """`/sandbox/stripe/v1/customers` → `/v1/customers`: the path as Stripe's logs show it."""
    _, found, rest = path.partition("/v1/")
    return f"/v1/{rest}" if found else path


def _params(request: HttpRequest) -> dict[str, Any]:
    source = request.POST if request.method == "POST" else request.GET
    return parse_params((key, value) for key, values in source.lists() for value in values)


def _run_idempotent(
    caller: Caller, request: HttpRequest, params: dict, run: Callable[[], dict]
) -> tuple[str, bool]:
    """Replay the stored answer for a repeated key; refuse the key with other parameters.

    The row is inserted first: a concurrent request with the same key waits on the unique index
    and then sees the committed answer. Errors roll the row back, so a refused request can be
    retried with the same key (Stripe keeps no result when validation fails).
    """
    fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)
    with transaction.atomic():
        record, created = IdempotentRequest.objects.get_or_create(
            account=caller.account,
            livemode=caller.livemode,
            key=caller.idempotency_key,
            defaults={"fingerprint": fingerprint},
        )
        if not created:
            if record.fingerprint != fingerprint:
                raise ApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    f"first used with. Try using a key other than '{caller.idempotency_key}' if you meant "
                    "to execute a different request.",
                    type="idempotency_error",
                )
            return record.body, True
        text = _json(run())
        record.status, record.body = 200, text
        record.save(update_fields=["status", "body"])
    return text, False


def api_view(methods: dict[str, Handler]) -> Callable:
    """One URL of the API: `methods` maps an HTTP method to `handler(caller, params, **kwargs)`."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        request_id = stripe_id("req_", 14)
        idempotency_key = request.headers.get("Idempotency-Key", "") if request.method == "POST" else ""
        account, replayed = None, False
        try:
            api_key = _api_key(request)
            account = api_key.account
            handler = methods.get(request.method)
            if handler is None:
                raise ApiError(404, f"Unrecognized request URL ({request.method}: {request.path}).")
            params = _params(request)
            caller = Caller(account, api_key.livemode, request_id, idempotency_key or None)

            def run() -> dict:
                return handler(caller, params, **kwargs)

            if idempotency_key:
                text, replayed = _run_idempotent(caller, request, params, run)
            else:
                with transaction.atomic():
                    text = _json(run())
            status = 200
        except ApiError as exc:
            status, text = exc.status, _json(exc.body())
        RequestLog.objects.create(
            account=account,
            request_id=request_id,
            method=request.method,
            path=_api_path(request.path),
            status=status,
            idempotency_key=idempotency_key[:255],
            replayed=replayed,
        )
        response = HttpResponse(text, status=status, content_type="application/json")
        response["Request-Id"] = request_id
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    return view


customers = api_view(
    {
        "GET": lambda caller, params: services.customer_list(caller, params),
        "POST": lambda caller, params: services.customer_create(caller, params),
    }
)
customer = api_view(
    {
        "GET": lambda caller, params, customer_id: services.customer_retrieve(caller, customer_id, params),
        "POST": lambda caller, params, customer_id: services.customer_update(caller, customer_id, params),
        "DELETE": lambda caller, params, customer_id: services.customer_delete(caller, customer_id),
    }
)
webhook_endpoints = api_view(
    {
        "GET": lambda caller, params: services.webhook_endpoint_list(caller, params),
        "POST": lambda caller, params: services.webhook_endpoint_create(caller, params),
    }
)
webhook_endpoint = api_view(
    {
        "GET": lambda caller, params, endpoint_id: services.webhook_endpoint_retrieve(caller, endpoint_id),
        "DELETE": lambda caller, params, endpoint_id: services.webhook_endpoint_delete(caller, endpoint_id),
    }
)
events = api_view({"GET": lambda caller, params: services.event_list(caller, params)})
event = api_view({"GET": lambda caller, params, event_id: services.event_retrieve(caller, event_id)})
unknown = api_view({})


@csrf_exempt
def delivery_switches(request: HttpRequest) -> JsonResponse:
    """`POST duplicates=2&reorder_batch=3&delay_seconds=0.5`: the account's delivery switches."""
    try:
        account = _api_key(request).account
        if request.method == "POST":
            control.delivery_set(account, **control.switches_from_params(_params(request)))
            account.refresh_from_db()
    except ApiError as exc:
        return JsonResponse(exc.body(), status=exc.status)
    return JsonResponse(control.delivery_switches(account))


@csrf_exempt
def release_held(request: HttpRequest) -> JsonResponse:
    try:
        account = _api_key(request).account
    except ApiError as exc:
        return JsonResponse(exc.body(), status=exc.status)
    return JsonResponse({"released": control.release_held(account)})


_SINK_HEADERS = ("stripe-", "content-type", "user-agent")


@csrf_exempt
def sink(request: HttpRequest, name: str) -> JsonResponse:
    """A webhook receiver for tests: POST stores the request (`?status=500` answers 500), GET lists."""
    if request.method == "POST":
        SinkRequest.objects.create(
            name=name,
            headers={k: v for k, v in request.headers.items() if k.lower().startswith(_SINK_HEADERS)},
            body=request.body.decode(),
        )
        status = int(request.GET.get("status", "200"))
        return JsonResponse({"received": True}, status=status)
    received = SinkRequest.objects.filter(name=name).order_by("id")
    return JsonResponse({"received": [{"headers": r.headers, "body": r.body} for r in received]})
