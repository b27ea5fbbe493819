"""Offboarding: an owner closes the account; after a grace period every row of the tenant goes.

Closing runs the steps the apps registered (the connections package deletes the Stripe webhook
endpoint we registered and forgets the e-conomic grant), sets the deletion date
(`TENANT_DELETION_GRACE_DAYS`, 7) and e-mails the owners. Until then an owner can cancel (and
reconnect). The hourly beat task deletes what is due; `tenant_delete SLUG` does it at once for
support, `--dry-run` counting first.

The tables are found in the app registry (every model with a `tenant` foreign key), so the core
imports no feature and a new tenant-owned model is covered the day it is added.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from graphlib import TopologicalSorter

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .mail import mail_send_in_languages
from .models import Membership, Role, Tenant
from .templatetags.moments import moment

logger = logging.getLogger(__name__)
DELETE_BATCH = 1000

ClosingStep = Callable[[Tenant], None]
_closing_steps: list[tuple[str, ClosingStep]] = []


def register_closing_step(name: str, step: ClosingStep) -> None:
    """`step(tenant)` undoes what the app set up outside (a webhook endpoint, a grant)."""
    _closing_steps.append((name, step))


def tenant_owned_models() -> list[type[models.Model]]:
    """Every model with a `tenant` foreign key, those referring to others first (safe delete order)."""
    owned = [
        model
        for model in apps.get_models()
        if any(
            field.name == "tenant" and field.is_relation and field.related_model is Tenant
            for field in model._meta.concrete_fields
        )
    ]
    # A model must go before the models it points at (SyncRecord before StripeEvent).
    graph = {
        model: {
            f.related_model for f in model._meta.concrete_fields if f.is_relation and f.related_model in owned
        }
        - {model}
        for model in owned
    }
    order = list(TopologicalSorter(graph).static_order())  # pointed-at models first
    return list(reversed(order))


def tenant_close(*, tenant: Tenant, user) -> Tenant:
    """Disconnect everything outside, schedule the deletion, and tell the owners by e-mail."""
    for name, step in _closing_steps:
        try:
            step(tenant)
        except Exception:  # one service down must not keep the account open; support sees it
            logger.exception("Closing tenant %s: step %s failed", tenant.slug, name)
    now = timezone.now()
    tenant.closing_requested_at = now
    tenant.delete_after = now + timedelta(days=settings.TENANT_DELETION_GRACE_DAYS)
    tenant.save(update_fields=["closing_requested_at", "delete_after"])
    logger.info("Tenant %s closed its account; deletion due %s", tenant.slug, tenant.delete_after.isoformat())
    _tell_owners(tenant, closed_by=getattr(user, "email", ""))
    return tenant


def tenant_close_cancel(*, tenant: Tenant) -> Tenant:
    tenant.closing_requested_at = tenant.delete_after = None
    tenant.save(update_fields=["closing_requested_at", "delete_after"])
    logger.info("Tenant %s cancelled closing its account", tenant.slug)
    return tenant


def tenant_data_counts(*, tenant: Tenant) -> dict:
    """What deleting the tenant removes, per table; users who belong to no other merchant too."""
    tables = {
        model._meta.db_table: model._base_manager.filter(tenant=tenant).count()
        for model in tenant_owned_models()
    }
    tables[Tenant._meta.db_table] = 1
    tables[get_user_model()._meta.db_table] = len(_users_only_here(tenant))
    return {"tenant": tenant.slug, "tables": tables, "rows": sum(tables.values())}


def tenant_delete(*, tenant: Tenant, dry_run: bool = False) -> dict:
    """Every row of the tenant, in batches; returns the counts (of what would go, with dry_run)."""
    report = tenant_data_counts(tenant=tenant)
    if dry_run:
        return {**report, "dry_run": True}
    for name, step in _closing_steps:
        try:
            step(tenant)
        except Exception:
            logger.exception("Deleting tenant %s: step %s failed", tenant.slug, name)
    users = _users_only_here(tenant)
    for model in tenant_owned_models():
        rows = model._base_manager.filter(tenant=tenant)
        while batch := list(rows.values_list("pk", flat=True)[:DELETE_BATCH]):
            with transaction.atomic():
                model._base_manager.filter(pk__in=batch).delete()
    with transaction.atomic():
        get_user_model()._base_manager.filter(pk__in=users).delete()
        tenant.delete()
    logger.info("Deleted tenant %s and its data", report["tenant"])
    return {**report, "dry_run": False}


def tenants_delete_due(*, now: datetime | None = None) -> list[str]:
    """The beat task: delete the closed tenants whose grace period is over."""
    due = Tenant.objects.filter(delete_after__isnull=False, delete_after__lte=now or timezone.now())
    deleted = []
    for tenant in due:
        tenant_delete(tenant=tenant)
        deleted.append(tenant.slug)
    return deleted


def _users_only_here(tenant: Tenant) -> list[int]:
    """The tenant's users who belong to no other merchant and are not staff: their accounts go too."""
    members = Membership.objects.for_tenant(tenant).values_list("user_id", flat=True)
    elsewhere = Membership.all_tenants.exclude(tenant=tenant).values_list("user_id", flat=True)
    return list(
        get_user_model()
        ._base_manager.filter(pk__in=members, is_staff=False, is_superuser=False)
        .exclude(pk__in=elsewhere)
        .values_list("pk", flat=True)
    )


def _tell_owners(tenant: Tenant, *, closed_by: str) -> None:
    owners = Membership.objects.for_tenant(tenant).filter(role=Role.OWNER)
    account_url = settings.SITE_URL + reverse("account", kwargs={"slug": tenant.slug})

    def compose() -> tuple[str, str]:
        words = {
            "tenant": tenant.name,
            "when": moment(timezone.localtime(tenant.delete_after), "long_datetime")
            + timezone.localtime(tenant.delete_after).strftime(" %Z"),
            "closed_by": closed_by or _("An owner"),
            "url": account_url,
        }
        subject = _("%(tenant)s: your account is closed and will be deleted on %(when)s") % words
        message = (
            _(
                "%(closed_by)s closed the account of %(tenant)s.\n\n"
                "We have deleted the webhook endpoint we registered in your Stripe account and forgotten "
                "your e-conomic grant: nothing is synced any more. Your customers in e-conomic and "
                "Stripe are not changed.\n\n"
                "On %(when)s we delete everything we hold for %(tenant)s: settings, history, links, "
                "sync log and the events Stripe sent us. Until then an owner can cancel this, or "
                "download an export, at %(url)s\n"
            )
            % words
        )
        return subject, message

    mail_send_in_languages(
        recipients=owners.values_list("user__email", "user__profile__language"), compose=compose
    )
