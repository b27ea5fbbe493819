"""Our Stripe App's platform side: its client (the platform's secret key, from the environment
only) and the access tokens of the accounts that installed the app, refreshed before they expire.

A refresh token rotates at each refresh, and a spent one presented again is refused: two workers
refreshing one account at once would lock the merchant out. So one refresh at a time per account
(an advisory lock across every process), and whoever gets the lock second reads the row again and
uses the tokens the first one stored. Tokens are never logged.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from syncapp.advisory import advisory_lock
from syncapp.clients.stripe import StripeGrantRefused, StripePlatform
from syncapp.metrics import api_call_observed
from syncapp.models import ConnectionStatus, StripeConnection
from syncapp.said import error_facts

from .common import NotConnected, mark_failing

logger = logging.getLogger(__name__)
# Stripe's access tokens last about an hour (the token answer gives no `expires_in`).
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
# Refreshed this long before it expires, so no call starts with a token about to lapse.
REFRESH_MARGIN = timedelta(minutes=10)


def stripe_platform() -> StripePlatform:
    """The platform's client: exchanges codes, refreshes tokens, revokes grants."""
    return StripePlatform(
        settings.STRIPE_PLATFORM_SECRET_KEY,
        client_id=settings.STRIPE_CLIENT_ID,
        base_url=settings.STRIPE_API_BASE,
        connect_base_url=settings.STRIPE_CONNECT_BASE,
        timeout=settings.STRIPE_TIMEOUT_SECONDS,
        on_response=api_call_observed,
    )


def access_token_expiry() -> datetime:
    return timezone.now() + ACCESS_TOKEN_LIFETIME


def _fresh(account: StripeConnection) -> bool:
    expires = account.access_token_expires_at
    return bool(account.access_token) and expires is not None and expires - REFRESH_MARGIN > timezone.now()


def _refresh_lock_key(account_pk: int) -> int:
    digest = hashlib.blake2b(f"stripe-token-refresh\x00{account_pk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def stripe_access_token(*, account: StripeConnection) -> str:
    """A working access token for an app-connected account, refreshed first when due.

    Raises NotConnected when the grant is gone (removed in Stripe or disconnected), and
    StripeGrantRefused (a refused credential: the connection is marked failing and the sync
    pauses) when Stripe refuses the refresh token. A lost answer passes as StripeUnavailable with
    the stored tokens kept; had Stripe rotated them all the same, the next refresh is refused and
    the merchant reconnects.
    """
    if _fresh(account):
        return account.access_token
    with advisory_lock(("stripe-token-refresh", account.pk), [_refresh_lock_key(account.pk)]):
        current = StripeConnection.objects.for_tenant(account.tenant).filter(pk=account.pk).first()
        if current is None or not current.refresh_token or current.status == ConnectionStatus.REVOKED:
            raise NotConnected(
                f"Stripe account “{account.name}” is not connected: click “Connect with Stripe” on the "
                "Connections page.",
                said=("stripe_app_not_connected", {"account": account.name}),
            )
        if not _fresh(current):
            _refresh(current)
    account.access_token = current.access_token
    account.access_token_expires_at = current.access_token_expires_at
    return current.access_token


def _refresh(account: StripeConnection) -> None:
    platform = stripe_platform()
    try:
        answer = platform.token_refreshed(account.refresh_token)
    except StripeGrantRefused as exc:
        mark_failing(account, error_facts(exc))
        raise
    finally:
        platform.close()
    account.access_token = answer["access_token"]
    account.refresh_token = answer["refresh_token"]
    account.access_token_expires_at = access_token_expiry()
    account.save(update_fields=["access_token", "refresh_token", "access_token_expires_at"])
    logger.info("Tenant %s: Stripe account %s access token refreshed", account.tenant.slug, account.pk)
