"""A pause per tenant and service, instead of spending every event's attempts on a service that
cannot take them.

A 429 pauses the tenant's work on that service for Retry-After (capped; a short one in the shared
rate limiter only, a long one here too); repeated outages (5xx, timeouts) pause it until a probe
sees the service answer; a refused credential pauses it until the
merchant reconnects. Paused events stay pending and spend no attempts; when the pause ends they
are due again and the sweeper sends them.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from syncapp.clients.economic import EconomicError
from syncapp.clients.stripe import StripeError
from syncapp.connections.clients import NotConnected, economic_client_for, stripe_client_for
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for, stripe_accounts_for
from syncapp.models import ConnectionStatus, Tenant

from ..errors import TransientSyncError, Trouble
from ..explanations import Fact, in_english
from ..models import ConnectionPause, StripeEvent
from ..queue import enqueue_reconcile

logger = logging.getLogger(__name__)
Reason = ConnectionPause.Reason
# A 429 without Retry-After: wait this long before the next call.
THROTTLE_WITHOUT_RETRY_AFTER = 5.0
# A 429 asking for no more than this is held by the shared rate limiter alone (the client paused
# it in Redis for every worker of the tenant); a longer one is recorded here too, so the sweeper
# stops sending the tenant's events until it ends.
SHORT_THROTTLE_SECONDS = 3.0


@dataclass(frozen=True)
class TenantPauses:
    """What a sync needs to know of the tenant's pauses, from one read."""

    # The tenant's work is held while either service is paused: a sync needs both.
    active: ConnectionPause | None
    # Failures are being counted towards a pause: a success has a count to reset.
    failures_counted: bool


NO_PAUSES = TenantPauses(active=None, failures_counted=False)


def pauses_on_record(tenant: OuterRef) -> Exists:
    """Whether the tenant an outer query names has a pause or a count of failures on record (a
    row with neither is what a resumed pause leaves): when not, `tenant_pauses` is NO_PAUSES."""
    return Exists(ConnectionPause.all_tenants.filter(tenant=tenant).exclude(reason="", failures=0))


def tenant_pauses(*, tenant: Tenant) -> TenantPauses:
    pauses = list(ConnectionPause.objects.for_tenant(tenant))
    return TenantPauses(
        active=next((p for p in pauses if p.reason and p.active), None),
        failures_counted=any(p.failures > 0 and p.reason != Reason.REFUSED for p in pauses),
    )


def active_pause(*, tenant: Tenant) -> ConnectionPause | None:
    return tenant_pauses(tenant=tenant).active


def pause_note_trouble(*, tenant: Tenant, error: TransientSyncError) -> ConnectionPause | None:
    """Count a failure that can pass against its service; the pause it starts (or extends), if any."""
    if error.service is None or error.trouble in (Trouble.UNCONFIRMED, Trouble.UNEXPECTED):
        return None
    now = timezone.now()
    if error.trouble == Trouble.THROTTLED and _throttle_seconds(error) <= SHORT_THROTTLE_SECONDS:
        # Not saved: it only tells the caller how long this event waits (without an attempt spent).
        until = now + timedelta(seconds=_throttle_seconds(error))
        return ConnectionPause(
            tenant=tenant,
            service=error.service,
            reason=Reason.THROTTLED,
            until=until,
            message=error.message,
            facts=error.facts,
        )
    with transaction.atomic():
        ConnectionPause.objects.for_tenant(tenant).get_or_create(service=error.service)
        pause = ConnectionPause.objects.for_tenant(tenant).select_for_update().get(service=error.service)
        until = _pause_until(pause, error, now)
        if until is None and error.trouble != Trouble.REFUSED:
            pause.save(update_fields=["failures", "updated"])
            return None
        if not pause.active:
            pause.paused_at = now
            logger.warning("Tenant %s: %s paused (%s)", tenant.slug, error.service, error.trouble)
        pause.reason = Reason(error.trouble)
        pause.until = until if pause.until is None or until is None else max(until, pause.until)
        pause.message, pause.facts = error.message, error.facts
        pause.save()
    return pause


def _pause_until(pause: ConnectionPause, error: TransientSyncError, now: datetime) -> datetime | None:
    if error.trouble == Trouble.THROTTLED:
        return now + timedelta(seconds=_throttle_seconds(error))
    if error.trouble == Trouble.UNAVAILABLE:
        pause.failures += 1
        if pause.failures >= settings.SYNC_PAUSE_AFTER_FAILURES:
            return now + timedelta(seconds=settings.SYNC_PROBE_SECONDS)
    return None


def _throttle_seconds(error: TransientSyncError) -> float:
    return min(error.retry_after or THROTTLE_WITHOUT_RETRY_AFTER, settings.SYNC_RETRY_MAX_SECONDS)


def pause_note_success(*, tenant: Tenant) -> None:
    """Both services answered: the count of failures starts again (a refused credential stays).

    Called only when the sync's read of the pauses saw a count (`failures_counted`): one failure
    counted by another worker during this sync is then reset by the next success, not this one.
    """
    ConnectionPause.objects.for_tenant(tenant).exclude(reason=Reason.REFUSED).filter(failures__gt=0).update(
        failures=0
    )


def pause_resume(*, tenant: Tenant, service: Service) -> bool:
    """End the pause; the events it held are due now. False when there was none."""
    ended = (
        ConnectionPause.objects.for_tenant(tenant)
        .filter(service=service)
        .exclude(reason="")
        .update(reason="", until=None, failures=0, message="", facts=[])
    )
    if ended:
        now = timezone.now()
        StripeEvent.objects.for_tenant(tenant).filter(
            status=StripeEvent.Status.PENDING, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
        logger.info("Tenant %s: %s resumed", tenant.slug, service)
        # What Stripe sent while we were paused may have given up on us: look for it.
        enqueue_reconcile(tenant.pk)
    return bool(ended)


def pauses_probe() -> int:
    """Beat: ask each paused service whether it answers again; resume those that do."""
    resumed = 0
    paused = ConnectionPause.all_tenants.exclude(reason="").select_related("tenant")
    for pause in paused:
        if _answers(pause):
            resumed += pause_resume(tenant=pause.tenant, service=Service(pause.service))
    return resumed


def _answers(pause: ConnectionPause) -> bool:
    tenant, service = pause.tenant, Service(pause.service)
    # Stripe is paused for the whole tenant (a sync may need any of its accounts): all must answer.
    connections = (
        [connection_for(tenant=tenant, service=service)]
        if service == Service.ECONOMIC
        else [a for a in stripe_accounts_for(tenant=tenant) if a.status != ConnectionStatus.NOT_CONNECTED]
    )
    if pause.reason == Reason.REFUSED:
        # Only the merchant can fix a refused credential: reconnecting (a verified store) does.
        return bool(connections) and all(c and c.status == ConnectionStatus.CONNECTED for c in connections)
    if pause.reason == Reason.THROTTLED and pause.active:
        return False  # the service asked for this long; asking sooner is what it refused
    try:
        if service == Service.ECONOMIC:
            economic_client_for(tenant).self_info()
        else:
            for account in connections:
                stripe_client_for(account).verify()
    except (EconomicError, StripeError, NotConnected) as exc:
        pause.until = timezone.now() + timedelta(seconds=settings.SYNC_PROBE_SECONDS)
        pause.save(update_fields=["until", "updated"])
        logger.info("Tenant %s: %s still paused (%s)", tenant.slug, service, exc)
        return False
    return True


def pause_on_revoked(*, tenant: Tenant, facts: list[Fact]) -> None:
    """A Stripe account's grant was revoked in Stripe: the tenant's Stripe work waits, like for a
    refused key, until the merchant reconnects (the probe never asks a revoked grant)."""
    with transaction.atomic():
        ConnectionPause.objects.for_tenant(tenant).get_or_create(service=Service.STRIPE)
        pause = ConnectionPause.objects.for_tenant(tenant).select_for_update().get(service=Service.STRIPE)
        if not pause.active:
            pause.paused_at = timezone.now()
        pause.reason, pause.until = Reason.REFUSED, None
        pause.message, pause.facts = in_english(facts), facts
        pause.save()
    logger.warning("Tenant %s: stripe paused (access removed in Stripe)", tenant.slug)


def pause_resume_on_reconnect(*, tenant: Tenant, service: Service) -> None:
    """A connection was stored as working: a pause for its refused credential ends."""
    if ConnectionPause.objects.for_tenant(tenant).filter(service=service, reason=Reason.REFUSED).exists():
        pause_resume(tenant=tenant, service=service)
