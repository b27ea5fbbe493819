"""Webhook delivery: sign like Stripe, POST after the commit from a background thread.

A thread, not the request: the API answer stays fast, and under `make run`'s SQLite the emulator
never waits on a database lock its own request still holds. Per-account switches play Stripe's
at-least-once, any-order delivery on purpose: duplicates, reordered batches, a delay.
"""

import hashlib
import hmac
import json
import threading
import time

import requests
from django.db import connection, transaction

from .models import Account, Delivery, Event, WebhookEndpoint

DELIVERY_TIMEOUT_SECONDS = 10
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def signature_header(body: str, secret: str, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event_body(event: Event, api_version: str | None = None, *, connected: bool = False) -> str:
    return json.dumps(event.render(api_version, connected=connected), indent=2)


def send_event(
    event: Event,
    url: str,
    secret: str,
    *,
    api_version: str | None = None,
    endpoint_id: str = "",
    connected: bool = False,
) -> int | None:
    """POST one event to `url`, signed with `secret`, now; record the attempt; return the status.

    `api_version`: the endpoint's pinned version, stamped on the event (else the event's own);
    `connected`: a platform's Connect endpoint, which is told the event's `account`.
    """
    body = event_body(event, api_version, connected=connected)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signature_header(body, secret),
    }
    try:
        response = requests.post(
            url, data=body.encode(), headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        Delivery.objects.create(event=event, endpoint_id=endpoint_id, url=url, error=type(exc).__name__)
        return None
    Delivery.objects.create(event=event, endpoint_id=endpoint_id, url=url, status_code=response.status_code)
    return response.status_code


def event_deliver_on_commit(event: Event) -> None:
    held = event.held
    transaction.on_commit(lambda: _start(event.pk, held=held))


def _start(event_pk: int, *, held: bool) -> None:
    thread = threading.Thread(target=_deliver_in_thread, args=(event_pk, held), daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def _deliver_in_thread(event_pk: int, held: bool) -> None:
    try:
        event = Event.objects.select_related("account").get(pk=event_pk)
        account = event.account
        if account.delivery_delay_seconds:
            time.sleep(account.delivery_delay_seconds)  # the switch's whole point: a late delivery
        # Whether it was held when created, not now: a release may already have sent it.
        batch = _take_held(account, event.livemode) if held else [event]
        for item in batch:
            _deliver_to_endpoints(item, account)
    finally:
        connection.close()
        with _threads_lock:
            _threads.discard(threading.current_thread())


def _take_held(account: Account, livemode: bool, *, all_of_them: bool = False) -> list[Event]:
    """The held events, newest first, once the batch is full (or all of them when asked)."""
    with transaction.atomic():
        held = list(
            Event.objects.select_for_update()
            .filter(account=account, livemode=livemode, held=True)
            .order_by("created", "id")
        )
        if not held or (not all_of_them and len(held) < account.delivery_reorder_batch):
            return []
        Event.objects.filter(pk__in=[e.pk for e in held]).update(held=False)
    return list(reversed(held))


def _deliver_to_endpoints(event: Event, account: Account) -> None:
    """To the endpoints that listened when the event happened and still exist and listen: the
    account's own, and its platforms' Connect endpoints."""
    endpoints = WebhookEndpoint.objects.filter(
        livemode=event.livemode, stripe_id__in=event.destined
    ).order_by("id")
    for endpoint in endpoints:
        if endpoint.listens_to(event.type):
            for _ in range(max(account.delivery_duplicates, 1)):
                send_event(
                    event,
                    endpoint.url,
                    endpoint.secret,
                    api_version=endpoint.api_version or None,
                    endpoint_id=endpoint.stripe_id,
                    connected=endpoint.connect,
                )
    _count_pending(event)


def _count_pending(event: Event) -> None:
    """`pending_webhooks`: the destined endpoints that have not yet answered a delivery with a 2xx."""
    delivered = set(
        Delivery.objects.filter(event=event, status_code__gte=200, status_code__lt=300).values_list(
            "endpoint_id", flat=True
        )
    )
    pending = len(set(event.destined) - delivered)
    Event.objects.filter(pk=event.pk).update(pending_webhooks=pending)
    event.pending_webhooks = pending


def release_held(account: Account) -> int:
    """Send every held event now, newest first, in this thread; returns how many were held."""
    released = 0
    for livemode in (False, True):
        batch = _take_held(account, livemode, all_of_them=True)
        for event in batch:
            _deliver_to_endpoints(event, account)
        released += len(batch)
    return released


def wait_for_deliveries(timeout: float = 30.0) -> None:
    """Block until the background deliveries started so far are done (tests call this)."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            pending = list(_threads)
        if not pending:
            return
        for thread in pending:
            thread.join(max(deadline - time.monotonic(), 0))
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{len(pending)} webhook deliveries still running after {timeout}s")
