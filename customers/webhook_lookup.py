"""What the webhook entry needs to verify an event, kept in the process for a few seconds.

Looking up the endpoint's account and tenant and decrypting its signing secrets cost more than
the one insert the webhook cannot avoid, for every event of a merchant's burst. The answer is kept
here per endpoint for WEBHOOK_LOOKUP_SECONDS and forgotten at once in this process when the
connection is saved or deleted (`webhook_target_forget`, a signal receiver). Another process may
hold the old answer until it expires: when its secrets do not verify an event the entry reads the
connection again before refusing (`fresh=True`), so a rolled secret is honoured at once.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from syncapp.connections.selectors import WebhookVerification, webhook_verification_for
from syncapp.models import StripeConnection

# Endpoints kept per process; past it the oldest half is forgotten (a flood of unknown ids is
# never kept: only endpoints that exist are).
MAX_KEPT = 10_000


@dataclass(frozen=True)
class WebhookTarget:
    account: StripeConnection  # with its tenant
    verification: WebhookVerification
    read_at: float
    cached: bool = False


_kept: dict[str, WebhookTarget] = {}
_lock = threading.Lock()


def webhook_target(endpoint_id: str, *, fresh: bool = False) -> WebhookTarget | None:
    """The account an endpoint id names and its verification, or None for an unknown id."""
    now = time.monotonic()
    if not fresh:
        kept = _kept.get(endpoint_id)
        if kept is not None and now - kept.read_at < settings.WEBHOOK_LOOKUP_SECONDS:
            return kept
    account = (
        StripeConnection.all_tenants.select_related("tenant").filter(webhook_endpoint_id=endpoint_id).first()
    )
    if account is None:
        webhook_target_drop(endpoint_id)
        return None
    target = WebhookTarget(account, webhook_verification_for(connection=account), now)
    with _lock:
        if len(_kept) >= MAX_KEPT:
            for old in list(_kept)[: MAX_KEPT // 2]:
                _kept.pop(old, None)
        _kept[endpoint_id] = WebhookTarget(account, target.verification, now, cached=True)
    return target


def webhook_target_drop(endpoint_id: str) -> None:
    with _lock:
        _kept.pop(endpoint_id, None)


def webhook_target_forget(sender, instance: StripeConnection, **kwargs) -> None:
    """post_save / post_delete of a Stripe connection: its endpoint is read again next time."""
    webhook_target_drop(instance.webhook_endpoint_id)
