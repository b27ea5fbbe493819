"""Stripe's webhook entry: verify, store, enqueue. No outbound call on this path."""

import json
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from syncapp.clients.stripe import StripeInvalidSignature, construct_event
from syncapp.connections.selectors import app_account_for, webhook_verification_for
from syncapp.connections.stripe_app import DEAUTHORIZED, stripe_app_deauthorized
from syncapp.metrics import event_received
from syncapp.numbers import whole_number

from .event_shape import event_refusal
from .services import event_store
from .webhook_lookup import WebhookTarget, webhook_target

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_TOLERANCE_SECONDS = 300


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, endpoint_id: str) -> JsonResponse:
    # The endpoint id is one Stripe account's of one tenant: it says whose event this is.
    target = webhook_target(endpoint_id)
    if target is None:
        raise Http404("No such webhook endpoint.")
    tenant = target.account.tenant
    declared = whole_number(request.META.get("CONTENT_LENGTH") or "0")
    if declared is None or declared > MAX_BODY_BYTES:
        return _error(413, "Body larger than 1 MB.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "Body larger than 1 MB.")
    try:
        target, event = _verified(target, endpoint_id, body, request.headers.get("Stripe-Signature", ""))
    except _NoSecret:
        return _error(400, "This merchant has no Stripe webhook signing secret configured yet.")
    except StripeInvalidSignature:
        logger.warning("Rejected a Stripe webhook with a bad signature for tenant %s", tenant.slug)
        return _error(400, "Invalid Stripe-Signature.")
    except (ValueError, json.JSONDecodeError):
        return _error(400, "Malformed JSON.")
    not_an_event = _not_an_event(event)
    if not_an_event:
        return not_an_event
    misfit = target.verification.misfit(event)
    if misfit:
        logger.warning("Refused Stripe event %s for tenant %s: %s", event["id"], tenant.slug, misfit)
        return _error(400, misfit)
    stored, stored_now = event_store(tenant=tenant, stripe_account=target.account, event=event)
    event_received(event_type=stored.type, duplicate=not stored_now)
    return JsonResponse({"received": True, "duplicate": not stored_now, "status": stored.status})


class _NoSecret(Exception):
    pass


def _verified(
    target: WebhookTarget, endpoint_id: str, body: bytes, header: str
) -> tuple[WebhookTarget, dict]:
    """The event, verified with the endpoint's secrets; a kept copy of them that does not verify it
    is read again first (another process may have stored a rolled secret)."""
    try:
        if not target.verification.secrets:
            raise _NoSecret
        return target, construct_event(body, header, target.verification.secrets, SIGNATURE_TOLERANCE_SECONDS)
    except (_NoSecret, StripeInvalidSignature):
        fresh = webhook_target(endpoint_id, fresh=True) if target.cached else None
        if fresh is None:
            raise
        return _verified(fresh, endpoint_id, body, header)


@csrf_exempt
@require_POST
def stripe_connect_webhook(request: HttpRequest) -> JsonResponse:
    """The platform's Connect endpoint: every app-connected account's events, signed with the
    platform's secret; each is routed by its `account` to the tenant's Stripe account holding it."""
    secret = settings.STRIPE_PLATFORM_WEBHOOK_SECRET
    if not settings.STRIPE_OAUTH_ENABLED or not secret:
        raise Http404("Connect with Stripe is not enabled.")
    declared = whole_number(request.META.get("CONTENT_LENGTH") or "0")
    if declared is None or declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _error(413, "Body larger than 1 MB.")
    try:
        event = construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), [secret], SIGNATURE_TOLERANCE_SECONDS
        )
    except StripeInvalidSignature:
        logger.warning("Rejected a Stripe Connect webhook with a bad signature")
        return _error(400, "Invalid Stripe-Signature.")
    except (ValueError, json.JSONDecodeError):
        return _error(400, "Malformed JSON.")
    not_an_event = _not_an_event(event)
    if not_an_event:
        return not_an_event
    stripe_user_id = event.get("account") or ""
    if event["type"] == DEAUTHORIZED:
        revoked = stripe_app_deauthorized(stripe_user_id=stripe_user_id, livemode=bool(event.get("livemode")))
        return JsonResponse({"received": True, "revoked": len(revoked)})
    account = app_account_for(stripe_user_id=stripe_user_id)
    if account is None:
        # Stripe retries anything but a 2xx for days: an account nobody here connects (removed,
        # or never finished) is acknowledged and dropped.
        logger.info(
            "Dropped Stripe event %s of account %s: no merchant connects it", event["id"], stripe_user_id
        )
        return JsonResponse({"received": True, "routed": False})
    misfit = webhook_verification_for(connection=account).misfit(event)
    if misfit:
        logger.warning("Refused Stripe event %s for tenant %s: %s", event["id"], account.tenant.slug, misfit)
        return _error(400, misfit)
    stored, stored_now = event_store(tenant=account.tenant, stripe_account=account, event=event)
    event_received(event_type=stored.type, duplicate=not stored_now)
    return JsonResponse({"received": True, "duplicate": not stored_now, "status": stored.status})


def _not_an_event(event: object) -> JsonResponse | None:
    """The 400 for a signed body that is not a Stripe event we can read, else None."""
    if not isinstance(event, dict):
        return _error(400, "Not a Stripe event.")
    refusal = event_refusal(event)
    return _error(400, f"Not a Stripe event: {refusal}") if refusal else None
