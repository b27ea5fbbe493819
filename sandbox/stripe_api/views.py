"""HTTP face of the Stripe emulator: auth, form parsing, idempotency, request log, error bodies."""

import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from syncapp.rows import insert

from . import control, faults, oauth, services
from .models import ApiKey, IdempotentRequest, OAuthApp, RequestLog, SinkRequest, stripe_id
from .oauth import GrantKey
from .params import ApiError, invalid, parse_params
from .services import Caller

logger = logging.getLogger(__name__)

Handler = Callable[..., dict[str, Any]]


def _mask(key: str) -> str:
    prefix = key[:8] if key.startswith(ApiKey.KINDS) else ""
    return f"{prefix}{'*' * 20}{key[-4:]}" if len(key) > 12 else "****"


def _api_key(request: HttpRequest) -> "ApiKey | GrantKey":
    """The request's credential: a key of an account, or an app's access token; then its
    `Stripe-Account` header, which every resource honours (a platform acting on an account that
    installed its app, or a token naming its own account; anything else is refused)."""
    principal = _credential(request)
    return oauth.with_stripe_account(principal, request.headers.get("Stripe-Account", "").strip())


def _credential(request: HttpRequest) -> "ApiKey | GrantKey":
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
    try:
        return ApiKey.objects.select_related("account").get(key=key)  # keys are unique
    except ApiKey.DoesNotExist:
        pass
    grant = oauth.grant_for_token(key)
    if grant is None:
        raise ApiError(401, f"Invalid API Key provided: {_mask(key)}")
    return oauth.access_token_principal(grant, key)


def _json(body: dict) -> str:
    return json.dumps(body, indent=2)


def _api_path(path: str) -> str:
    """`/sandbox/stripe/v1/customers` → `/v1/customers`: the path as Stripe's logs show it."""
    _, found, rest = path.partition("/v1/")
    return f"/v1/{rest}" if found else path


def _params(request: HttpRequest) -> dict[str, Any]:
    source = request.POST if request.method == "POST" else request.GET
    return parse_params((key, value) for key, values in source.lists() for value in values)


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False
    fault: str = ""


IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX = 255


def _run_idempotent(caller: Caller, request: HttpRequest, params: dict, run: Callable[[], dict]) -> Answer:
    """Replay the stored answer for a repeated key; refuse the key with other parameters.

    The key is claimed first in a short transaction of its own (status 0: running). Another
    request with the key while the first runs gets Stripe's 409 `idempotency_key_in_use`; after it,
    the replay. A key older than 24 hours is forgotten. Errors drop the claim, so a refused request
    can be retried with the same key (Stripe keeps no result when validation fails).
    """
    fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)
    key = caller.idempotency_key
    rows = IdempotentRequest.objects.filter(account=caller.account, livemode=caller.livemode, key=key)
    try:
        # The claim is an insert the unique constraint refuses while the key is on record (as
        # get_or_create would, without first looking for a key that is usually new).
        with transaction.atomic():
            rows.filter(created__lt=timezone.now() - IDEMPOTENCY_KEY_TTL).delete()
            record = IdempotentRequest.objects.create(
                account=caller.account,
                livemode=caller.livemode,
                key=key,
                fingerprint=fingerprint,
                request_id=caller.request_id or "",
            )
        created = True
    except IntegrityError:
        record, created = rows.get(), False
    if not created:
        if record.status == 0:
            raise ApiError(
                409,
                "There is currently another in-progress request using this Idempotent Key (that probably "
                f"means you submitted twice, and the other request is still going through): {key}. "
                "Please try again later.",
                code="idempotency_key_in_use",
            )
        if record.fingerprint != fingerprint:
            raise ApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
                type="idempotency_error",
            )
        headers = {"Idempotent-Replayed": "true", "Original-Request": record.request_id}
        return Answer(record.status, record.body, headers, replayed=True)
    try:
        with transaction.atomic():
            text = _json(run())
            rows.filter(pk=record.pk).update(status=200, body=text)
    except BaseException:
        rows.filter(pk=record.pk).delete()
        raise
    return Answer(200, text)


# The permission a restricted key needs, as Stripe names it in its 403 message (`rak_` + this).
# customer_* is as Stripe's messages show it; webhook_* and event_read follow Stripe Apps' names.
_PERMISSION_NAMES = {
    ("customers", "read"): "customer_read",
    ("customers", "write"): "customer_write",
    ("webhook_endpoints", "read"): "webhook_read",
    ("webhook_endpoints", "write"): "webhook_write",
    ("events", "read"): "event_read",
}


def _require(api_key: "ApiKey | GrantKey", resource: str, level: str) -> None:
    """403 as Stripe answers a restricted key that lacks the permission (no error code)."""
    if api_key.allows(resource, level):
        return
    masked = f"{api_key.key[:8]}{'*' * 40}{api_key.key[-6:]}"
    raise ApiError(
        403,
        f"The provided key '{masked}' does not have the required permissions for this endpoint on "
        f"account '{api_key.account.stripe_id}'. Having the 'rak_{_PERMISSION_NAMES[resource, level]}' "
        "permission would allow this request to continue.",
    )


def _error_body(exc: ApiError, request_id: str, api_key: "ApiKey | GrantKey | None") -> dict:
    body = exc.body()
    if api_key is not None:
        mode = "" if api_key.livemode else "test/"
        body["error"]["request_log_url"] = f"https://dashboard.stripe.com/{mode}logs/{request_id}"
    return body


def api_view(methods: dict[str, Handler], resource: str | None = None) -> Callable:
    """One URL of the API: `methods` maps an HTTP method to `handler(caller, params, **kwargs)`.

    `resource` names what a restricted key needs a permission for: read for GET, write otherwise.
    Every answer carries a `Request-Id`, errors included.
    """

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        request_id = stripe_id("req_", 14)
        path = _api_path(request.path)
        idempotency_key = request.headers.get("Idempotency-Key", "") if request.method == "POST" else ""
        api_key = None
        try:
            api_key = _api_key(request)
            faults.check(api_key.account, request.method, path)
            handler = methods.get(request.method)
            if handler is None:
                raise ApiError(404, f"Unrecognized request URL ({request.method}: {request.path}).")
            if resource:
                _require(api_key, resource, "read" if request.method == "GET" else "write")
            params = _params(request)
            if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
                raise invalid(
                    f"Invalid Idempotency-Key: it can be at most {IDEMPOTENCY_KEY_MAX} characters long."
                )
            caller = Caller(api_key.account, api_key.livemode, request_id, idempotency_key or None)

            def run() -> dict:
                return handler(caller, params, **kwargs)

            if idempotency_key:
                answer = _run_idempotent(caller, request, params, run)
            else:
                with transaction.atomic():
                    answer = Answer(200, _json(run()))
        except ApiError as exc:
            answer = Answer(
                exc.status,
                _json(_error_body(exc, request_id, api_key)),
                exc.headers,
                fault=getattr(exc, "fault", ""),
            )
        except Exception:
            # Stripe answers even its own failures in its error shape, never with an HTML page.
            logger.exception("Stripe emulator failed on %s %s", request.method, path)
            unknown = ApiError(500, "An unknown error occurred", type="api_error")
            answer = Answer(500, _json(_error_body(unknown, request_id, api_key)))
        insert(
            RequestLog,
            account=api_key.account if api_key else None,
            request_id=request_id,
            method=request.method,
            path=path,
            status=answer.status,
            idempotency_key=idempotency_key[:IDEMPOTENCY_KEY_MAX],
            replayed=answer.replayed,
            fault=answer.fault,
        )
        response = HttpResponse(answer.text, status=answer.status, content_type="application/json")
        response["Request-Id"] = request_id
        for name, value in answer.headers.items():
            response[name] = value
        return response

    return view


customers = api_view(
    {
        "GET": lambda caller, params: services.customer_list(caller, params),
        "POST": lambda caller, params: services.customer_create(caller, params),
    },
    "customers",
)
customer = api_view(
    {
        "GET": lambda caller, params, customer_id: services.customer_retrieve(caller, customer_id, params),
        "POST": lambda caller, params, customer_id: services.customer_update(caller, customer_id, params),
        "DELETE": lambda caller, params, customer_id: services.customer_delete(caller, customer_id),
    },
    "customers",
)
webhook_endpoints = api_view(
    {
        "GET": lambda caller, params: services.webhook_endpoint_list(caller, params),
        "POST": lambda caller, params: services.webhook_endpoint_create(caller, params),
    },
    "webhook_endpoints",
)
webhook_endpoint = api_view(
    {
        "GET": lambda caller, params, endpoint_id: services.webhook_endpoint_retrieve(caller, endpoint_id),
        "DELETE": lambda caller, params, endpoint_id: services.webhook_endpoint_delete(caller, endpoint_id),
    },
    "webhook_endpoints",
)
events = api_view({"GET": lambda caller, params: services.event_list(caller, params)}, "events")
event = api_view(
    {"GET": lambda caller, params, event_id: services.event_retrieve(caller, event_id)}, "events"
)
unknown = api_view({})


def _platform_key(request: HttpRequest) -> ApiKey | None:
    """A platform's own secret key (no `Stripe-Account`): what OAuth's endpoints authenticate with."""
    try:
        key = _credential(request)
    except ApiError:
        return None
    return key if isinstance(key, ApiKey) and not key.restricted else None


@csrf_exempt
def oauth_token(request: HttpRequest) -> HttpResponse:
    return oauth.token(request, _platform_key(request))


@csrf_exempt
def oauth_deauthorize(request: HttpRequest) -> HttpResponse:
    return oauth.deauthorize(request, _platform_key(request))


# --- test controls (not Stripe's API): authenticated with any key of the account they act on ---


def control_view(run: Callable[[HttpRequest, ApiKey], dict]) -> Callable:
    @csrf_exempt
    def view(request: HttpRequest) -> JsonResponse:
        try:
            response = JsonResponse(run(request, _api_key(request)))
        except ApiError as exc:
            response = JsonResponse(exc.body(), status=exc.status)
        response["Request-Id"] = stripe_id("req_", 14)
        return response

    return view


@control_view
def delivery_switches(request: HttpRequest, api_key: ApiKey) -> dict:
    """`POST duplicates=2&reorder_batch=3&delay_seconds=0.5`: the account's delivery switches."""
    account = api_key.account
    if request.method == "POST":
        control.delivery_set(account, **control.switches_from_params(_params(request)))
        account.refresh_from_db()
    return control.delivery_switches(account)


@control_view
def release_held(request: HttpRequest, api_key: ApiKey) -> dict:
    return {"released": control.release_held(api_key.account)}


@control_view
def control_faults(request: HttpRequest, api_key: ApiKey) -> dict:
    """Error answers on demand (see faults.py).

    `POST kind=rate_limit|api_error|lock_timeout` with `count=N` (the next N matching requests;
    1 when neither count nor rate is given) and/or `rate=0.2` (each with that probability;
    `seed=` makes the draws reproducible), `status=` (default per kind), `method=`, `path=/v1/…`,
    `should_retry=true|false` (the Stripe-Should-Retry header), `scope=account|global`.
    `DELETE` (`?scope=global` for the global ones) clears them; `GET` lists the account's and the
    global ones.
    """
    params = _params(request)
    scope = params.pop("scope", "account")
    if scope not in ("account", "global"):
        raise invalid("scope must be account or global.", param="scope")
    account = None if scope == "global" else api_key.account
    if request.method == "POST":
        kind = params.pop("kind", "")
        faults.fault_add(account, kind, **faults.params_to_options(params))
    elif request.method == "DELETE":
        faults.faults_clear(account)
    return {"faults": faults.faults_list(api_key.account)}


@control_view
def control_keys(request: HttpRequest, api_key: ApiKey) -> dict:
    """`POST permissions[customers]=read&permissions[events]=none&livemode=false`: a new restricted
    key of the caller's account with those permissions (resources left out: none)."""
    if request.method != "POST":
        raise ApiError(405, "POST to create a restricted key.")
    params = _params(request)
    livemode = str(params.get("livemode", "false")).lower() == "true"
    key = control.restricted_key_create(api_key.account, params.get("permissions") or {}, livemode=livemode)
    return {"key": key.key, "livemode": key.livemode, "permissions": key.permissions}


@control_view
def control_app_uninstall(request: HttpRequest, api_key: ApiKey) -> dict:
    """`POST client_id=ca_…`: the account's owner removes that app in the Dashboard (its grant
    ends, and the app's platform is sent `account.application.deauthorized`)."""
    if request.method != "POST":
        raise ApiError(405, "POST to remove an app.")
    app = OAuthApp.objects.filter(client_id=_params(request).get("client_id", "")).first()
    if app is None:
        raise invalid("No such application.", param="client_id")
    ended = oauth.app_uninstall(app=app, stripe_user_id=api_key.account.stripe_id, livemode=api_key.livemode)
    return {"uninstalled": ended}


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
