"""Stripe's webhook entry: verify, store, enqueue. No outbound call on this path."""

import json
import logging

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from syncapp.clients.stripe import StripeInvalidSignature, construct_event
from syncapp.connections.selectors import webhook_verification_for
from syncapp.metrics import event_received
from syncapp.models import StripeConnection
from syncapp.numbers import whole_number

from .event_shape import event_refusal
from .services import event_store

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_TOLERANCE_SECONDS = 300


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, endpoint_id: str) -> JsonResponse:
    # The endpoint id is one Stripe account's of one tenant: it says whose event this is.
    account = get_object_or_404(
        StripeConnection.all_tenants.select_related("tenant"), webhook_endpoint_id=endpoint_id
    )
    tenant = account.tenant
    declared = whole_number(request.META.get("CONTENT_LENGTH") or "0")
    if declared is None or declared > MAX_BODY_BYTES:
        return _error(413, "Body larger than 1 MB.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "Body larger than 1 MB.")
    verification = webhook_verification_for(connection=account)
    if not verification.secrets:
        return _error(400, "This merchant has no Stripe webhook signing secret configured yet.")
    try:
        event = construct_event(
            body,
            request.headers.get("Stripe-Signature", ""),
            verification.secrets,
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except StripeInvalidSignature:
        logger.warning("Rejected a Stripe webhook with a bad signature for tenant %s", tenant.slug)
        return _error(400, "Invalid Stripe-Signature.")
    except (ValueError, json.JSONDecodeError):
        return _error(400, "Malformed JSON.")
    if not isinstance(event, dict):
        return _error(400, "Not a Stripe event.")
    refusal = event_refusal(event)
    if refusal:
        return _error(400, f"Not a Stripe event: {refusal}")
    misfit = verification.misfit(event)
    if misfit:
        logger.warning("Refused Stripe event %s for tenant %s: %s", event["id"], tenant.slug, misfit)
        return _error(400, misfit)
    stored, stored_now = event_store(tenant=tenant, stripe_account=account, event=event)
    event_received(event_type=stored.type, duplicate=not stored_now)
    return JsonResponse({"received": True, "duplicate": not stored_now, "status": stored.status})
