"""e-conomic's daily budget as merchants and operators see it: a dashboard card, a banner on every
page of a tenant whose agreement is at its budget, the `/metrics` gauges, and the owners' e-mail
when an agreement has used ECONOMIC_BUDGET_ALERT_SHARE of it.

The count itself is `syncapp/clients/budget.py`'s, per agreement (`agreement_key`): tenants on one
agreement see one figure. Reading it never fails a page: without Redis answering, nothing shows.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client.core import GaugeMetricFamily, Metric

from syncapp.clients.budget import BudgetUsage
from syncapp.mail import mail_send_in_languages
from syncapp.models import EconomicConnection, Membership, Role, Tenant

from .clients import economic_budget
from .common import Service
from .selectors import agreement_key, connection_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgreementBudget:
    agreement_number: int | None
    usage: BudgetUsage

    @property
    def percent(self) -> int:
        return math.floor(self.usage.share * 100)

    @property
    def background_cap(self) -> int:
        return math.floor(self.usage.limit * settings.ECONOMIC_BUDGET_BACKGROUND_SHARE)

    @property
    def alerting(self) -> bool:
        return self.usage.share >= settings.ECONOMIC_BUDGET_ALERT_SHARE

    @property
    def background_waits(self) -> bool:
        return self.usage.used >= self.background_cap

    @property
    def spent(self) -> bool:
        return self.usage.used >= self.usage.limit

    @property
    def frees_at(self) -> datetime:
        return timezone.now() + timedelta(seconds=self.usage.frees_in)


def budget_of(*, tenant: Tenant) -> AgreementBudget | None:
    """The tenant's agreement's budget now, or None (e-conomic not connected, or Redis away)."""
    connection = connection_for(tenant=tenant, service=Service.ECONOMIC)
    if connection is None or not connection.grant_token:
        return None
    return _read(agreement_key(connection, tenant), connection.agreement_number)


def _read(key: str, agreement_number: int | None) -> AgreementBudget | None:
    try:
        return AgreementBudget(agreement_number, economic_budget().usage(key))
    except redis.RedisError as exc:
        logger.warning("Daily budget unavailable (Redis: %s)", type(exc).__name__)
        return None


def budget_panel(tenant: Tenant) -> dict:
    return {"template": "syncapp/panels/budget.html", "budget": budget_of(tenant=tenant)}


def budget_banner(request) -> dict:
    """Context processor: on a tenant's pages, the banner when its agreement's budget is spent."""
    tenant = getattr(request, "tenant", None)
    budget = budget_of(tenant=tenant) if isinstance(tenant, Tenant) else None
    return {"economic_budget_spent": budget if budget is not None and budget.spent else None}


def _agreements() -> dict[str, tuple[int | None, list[Tenant]]]:
    """Every connected agreement's key, its number and the tenants on it."""
    found: dict[str, tuple[int | None, list[Tenant]]] = {}
    # Spans all tenants on purpose: one figure per agreement, whoever shares it.
    for connection in EconomicConnection.all_tenants.exclude(grant_token="").select_related("tenant"):
        key = agreement_key(connection, connection.tenant)
        found.setdefault(key, (connection.agreement_number, []))[1].append(connection.tenant)
    return found


def budget_gauges() -> Iterable[Metric]:
    used = GaugeMetricFamily(
        "syncapp_economic_budget_calls",
        "e-conomic calls in the rolling 24 hours, per agreement (fair use: the limit below).",
        labels=["agreement"],
    )
    for key in _agreements():
        budget = _read(key, None)
        if budget is not None:
            used.add_metric([key], budget.usage.used)
    yield used
    yield GaugeMetricFamily(
        "syncapp_economic_budget_limit",
        "e-conomic calls allowed per agreement per 24 hours (ECONOMIC_DAILY_BUDGET).",
        value=settings.ECONOMIC_DAILY_BUDGET,
    )


def budget_alerts_send() -> int:
    """Beat: e-mail the owners of every tenant on an agreement that has used the alert share, once
    per window per tenant. How many e-mails were sent."""
    sent = 0
    for key, (number, tenants) in _agreements().items():
        budget = _read(key, number)
        if budget is None or not budget.alerting:
            continue
        for tenant in tenants:
            # One e-mail per tenant per window; `add` is atomic, so two beat runs send one.
            once = f"economic-budget-alert:{key}:{tenant.pk}"
            if cache.add(once, 1, settings.ECONOMIC_BUDGET_WINDOW_SECONDS):
                sent += _alert(tenant, budget)
    return sent


def _alert(tenant: Tenant, budget: AgreementBudget) -> int:
    owners = Membership.objects.for_tenant(tenant).filter(role=Role.OWNER)
    recipients = list(owners.values_list("user__email", "user__profile__language"))
    if not any(email for email, _language in recipients):
        return 0
    context = {
        "tenant": tenant,
        "budget": budget,
        "dashboard_url": f"{settings.SITE_URL}{reverse('dashboard', args=[tenant.slug])}",
    }
    words = {"tenant": tenant.name, "percent": budget.percent}
    mail_send_in_languages(
        recipients=recipients,
        compose=lambda: (
            _("%(tenant)s: %(percent)s %% of e-conomic's daily API budget used") % words,
            render_to_string("syncapp/budget_alert_email.txt", context),
        ),
    )
    return 1
