import hashlib
import hmac
import json
import time


def stripe_signature(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, computed as Stripe does (stripe-python has no helper for it)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def customer_event(customer_id: str, *, event_id: str, type: str = "customer.updated", **request) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "data": {"object": {"id": customer_id, "object": "customer"}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request.get("request_id"), "idempotency_key": request.get("idempotency_key")},
        "type": type,
    }


def as_body(event: dict) -> bytes:
    return json.dumps(event).encode()
