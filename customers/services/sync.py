"""The sync of one Stripe customer into the tenant's e-conomic agreement.

Flow (DESIGN.md): re-fetch the customer from Stripe → linked? update per policy : search with the
match rules → one hit: link / several: ambiguous / none: create → write the number back to Stripe
→ one SyncRecord explaining the outcome. Runs under `customer_lock`, so never twice at once.
"""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from mappings.engine import (
    CustomerPlan,
    MatchQuery,
    SyncSettings,
    barred_payload,
    find_match,
    plan_customer,
    update_payload,
)
from mappings.match_index import MatchIndex
from mappings.selectors import sync_settings_for
from mappings.vocabulary import MatchOutcome, OnStripeDelete, UpdateExisting
from syncapp.clients.economic import EconomicAuthFailed, EconomicClient, EconomicRejected
from syncapp.clients.stripe import StripeAuthFailed, StripeClient, StripeNotFound
from syncapp.connections.clients import economic_client_for, stripe_client_for
from syncapp.connections.common import Service, connection_mark_failing
from syncapp.models import Tenant

from ..errors import PERMANENT, TRANSIENT, as_transient, merchant_message
from ..locks import customer_lock
from ..models import CustomerLink, StripeEvent, SyncRecord

Action = SyncRecord.Action
# Our own write-backs carry this idempotency-key prefix, so their `customer.updated` echo is known.
WRITE_BACK_KEY_PREFIX = "econ-number-"


@dataclass
class Outcome:
    action: str
    message: str
    number: int | None = None
    warnings: list[str] = field(default_factory=list)
    payload: dict | None = None
    log_id: str = ""
    email: str = ""


@dataclass
class _Context:
    tenant: Tenant
    stripe_customer_id: str
    settings: SyncSettings
    stripe: StripeClient
    economic: EconomicClient
    dry_run: bool
    # Imports preload e-conomic's customers here instead of searching once per customer, and
    # pass the Stripe customer they have just listed instead of fetching it again.
    match_index: MatchIndex | None = None
    listed_customer: dict | None = None


def customer_sync(
    *,
    tenant: Tenant,
    stripe_customer_id: str,
    event: StripeEvent | None = None,
    dry_run: bool = False,
    match_index: MatchIndex | None = None,
    listed_customer: dict | None = None,
) -> SyncRecord:
    """Sync (or, with dry_run, preview) one Stripe customer; returns the SyncRecord it wrote.

    Raises TransientSyncError for failures that can pass; the caller decides when to retry.
    """
    with customer_lock(tenant_id=tenant.pk, stripe_customer_id=stripe_customer_id):
        return customer_sync_locked(
            tenant=tenant,
            stripe_customer_id=stripe_customer_id,
            event=event,
            dry_run=dry_run,
            match_index=match_index,
            listed_customer=listed_customer,
        )


def customer_sync_locked(
    *,
    tenant: Tenant,
    stripe_customer_id: str,
    event: StripeEvent | None,
    dry_run: bool,
    match_index: MatchIndex | None = None,
    listed_customer: dict | None = None,
) -> SyncRecord:
    started = time.monotonic()
    ctx = None
    try:
        ctx = _Context(
            tenant=tenant,
            stripe_customer_id=stripe_customer_id,
            settings=sync_settings_for(tenant=tenant),
            stripe=stripe_client_for(tenant),
            economic=economic_client_for(tenant),
            dry_run=dry_run,
            match_index=match_index,
            listed_customer=listed_customer,
        )
        outcome = _sync(ctx)
    except TRANSIENT as exc:
        raise as_transient(exc) from exc
    except PERMANENT as exc:
        outcome = Outcome(Action.FAILED, merchant_message(exc), log_id=getattr(exc, "log_id", None) or "")
        if isinstance(exc, EconomicAuthFailed | StripeAuthFailed):
            service = Service.ECONOMIC if isinstance(exc, EconomicAuthFailed) else Service.STRIPE
            connection_mark_failing(tenant=tenant, service=service, message=outcome.message)
    finally:
        if ctx is not None:  # a kept-alive connection would otherwise linger until garbage collection
            ctx.economic.close()
            ctx.stripe.close()
    return SyncRecord.objects.for_tenant(tenant).create(
        event=event,
        stripe_customer_id=stripe_customer_id,
        stripe_email=outcome.email[:255],
        action=outcome.action,
        economic_customer_number=outcome.number,
        message=outcome.message,
        warnings=outcome.warnings,
        payload=outcome.payload,
        economic_log_id=outcome.log_id,
        duration_ms=int((time.monotonic() - started) * 1000),
        dry_run=dry_run,
    )


def _sync(ctx: _Context) -> Outcome:
    link = (
        CustomerLink.objects.for_tenant(ctx.tenant).filter(stripe_customer_id=ctx.stripe_customer_id).first()
    )
    try:
        customer = ctx.listed_customer or ctx.stripe.retrieve_customer(ctx.stripe_customer_id)
    except StripeNotFound:
        return Outcome(
            Action.SKIPPED, f"Stripe has no customer {ctx.stripe_customer_id} (any more): nothing to sync."
        )
    if customer.get("deleted"):
        return _deleted(ctx, link)
    plan = plan_customer(settings=ctx.settings, stripe_customer=customer)
    email = customer.get("email") or ""
    if link is not None and link.economic_customer_number is not None:
        outcome = _update_linked(ctx, link, plan)
    else:
        outcome = _match_or_create(ctx, link, plan)
    if outcome.number is not None and outcome.action != Action.FAILED:
        _write_number_back(ctx, customer, outcome)
    outcome.email = email
    outcome.warnings = list(plan.warnings) + outcome.warnings
    return outcome


def _deleted(ctx: _Context, link: CustomerLink | None) -> Outcome:
    if link is None or link.economic_customer_number is None:
        return Outcome(
            Action.SKIPPED, f"{ctx.stripe_customer_id} was deleted in Stripe and was never linked."
        )
    number = link.economic_customer_number
    if ctx.settings.on_stripe_delete != OnStripeDelete.BAR:
        return Outcome(
            Action.SKIPPED,
            f"{ctx.stripe_customer_id} was deleted in Stripe; e-conomic customer {number} is kept, as your "
            "settings say (choose “bar” to block invoicing instead).",
            number=number,
        )
    current = ctx.economic.get_customer(number)
    if current.get("barred"):
        return Outcome(Action.UNCHANGED, f"e-conomic customer {number} is already barred.", number=number)
    body = barred_payload(current_customer=current)
    if ctx.dry_run:
        return Outcome(
            Action.UPDATED, f"Would bar e-conomic customer {number} (dry run).", number=number, payload=body
        )
    ctx.economic.update_customer(number, body)
    return Outcome(
        Action.UPDATED,
        f"{ctx.stripe_customer_id} was deleted in Stripe: e-conomic customer {number} is now barred.",
        number=number,
        payload=body,
    )


def _update_linked(ctx: _Context, link: CustomerLink, plan: CustomerPlan) -> Outcome:
    number = link.economic_customer_number
    policy = ctx.settings.update_existing
    if policy == UpdateExisting.NEVER or (policy == UpdateExisting.CREATED_BY_US and not link.created_by_us):
        why = (
            "your settings never update existing customers"
            if policy == UpdateExisting.NEVER
            else ("it existed before and your settings only update customers this sync created")
        )
        return Outcome(
            Action.UNCHANGED, f"Linked to e-conomic customer {number}; not updated: {why}.", number=number
        )
    if plan.fingerprint == link.fingerprint:
        return Outcome(
            Action.UNCHANGED,
            f"Linked to e-conomic customer {number}; no mapped field changed.",
            number=number,
        )
    return _put_update(ctx, link, plan, number, f"Updated e-conomic customer {number} from Stripe.")


def _put_update(ctx: _Context, link: CustomerLink, plan: CustomerPlan, number: int, message: str) -> Outcome:
    # PUT replaces the whole customer: start from what e-conomic has now.
    body = update_payload(current_customer=ctx.economic.get_customer(number), plan=plan)
    if ctx.dry_run:
        return Outcome(
            Action.UPDATED,
            f"Would update e-conomic customer {number} (dry run).",
            number=number,
            payload=body,
        )
    ctx.economic.update_customer(number, body)
    link.fingerprint = plan.fingerprint
    link.save(update_fields=["fingerprint", "updated"])
    return Outcome(Action.UPDATED, message, number=number, payload=body)


def _match_or_create(ctx: _Context, link: CustomerLink | None, plan: CustomerPlan) -> Outcome:
    search = ctx.match_index.lookup if ctx.match_index else lambda q: ctx.economic.search_customers(q.filter)
    match = find_match(plan, search)
    if match.outcome == MatchOutcome.BLOCKED:
        return Outcome(Action.FAILED, plan.blocking_error)
    if match.outcome == MatchOutcome.AMBIGUOUS:
        query, hits = match.deciding.query, match.deciding.hits
        numbers = ", ".join(str(c["customerNumber"]) for c in hits)
        return Outcome(
            Action.FAILED,
            f"Ambiguous match: e-conomic customers {numbers} all have {query.economic_field} "
            f"“{query.value}”. Merge or correct them in e-conomic, or add a more specific match rule.",
        )
    if match.outcome == MatchOutcome.MATCHED:
        return _link_found(ctx, link, plan, match.deciding.query, match.found)
    return _create(ctx, plan)


def _link_found(
    ctx: _Context, link: CustomerLink | None, plan: CustomerPlan, query: MatchQuery, found: dict
) -> Outcome:
    number = int(found["customerNumber"])
    # A create whose reply was lost (worker killed, connection dropped) is found here by searching.
    recovered = link is not None and link.create_started is not None
    if ctx.dry_run:
        return Outcome(Action.MATCHED, f"Would link to e-conomic customer {number} (dry run).", number=number)
    link = _save_link(
        ctx, number=number, created_by_us=recovered, fingerprint=plan.fingerprint if recovered else ""
    )
    if recovered:
        return Outcome(
            Action.CREATED,
            f"Created e-conomic customer {number} (its first reply was lost; found again by "
            f"{query.economic_field}, so it was not created twice).",
            number=number,
        )
    outcome = Outcome(
        Action.MATCHED,
        f"Found e-conomic customer {number} by {query.economic_field} “{query.value}” "
        f"(match rule {query.rule_number}) and linked it.",
        number=number,
    )
    if ctx.settings.update_existing == UpdateExisting.ALWAYS:
        updated = _put_update(ctx, link, plan, number, "")
        outcome.payload = updated.payload
        outcome.message += " Its mapped fields were updated from Stripe, as your settings say."
    return outcome


def _create(ctx: _Context, plan: CustomerPlan) -> Outcome:
    if not ctx.settings.defaults_complete:
        return Outcome(
            Action.FAILED,
            "No e-conomic customer matched, and a new one cannot be created until your customer "
            "defaults (payment terms, customer group, VAT zone, currency) are set in Customer sync settings.",
        )
    payload = plan.create_payload
    if ctx.dry_run:
        return Outcome(
            Action.CREATED,
            "No e-conomic customer matched: would create this customer (dry run).",
            payload=payload,
        )
    # Committed before the POST: if the reply is lost, the retry knows what it finds is ours.
    _save_link(ctx, number=None, created_by_us=True, fingerprint="", create_started=timezone.now())
    try:
        created = ctx.economic.create_customer(payload)
    except EconomicRejected as exc:
        CustomerLink.objects.for_tenant(ctx.tenant).filter(stripe_customer_id=ctx.stripe_customer_id).update(
            create_started=None
        )
        if "customerNumber" in exc.field_errors and plan.customer_number is not None:
            return Outcome(
                Action.FAILED,
                f"Customer number {plan.customer_number} is already used in e-conomic: give this Stripe "
                "customer another number, or let e-conomic assign numbers.",
                payload=payload,
                log_id=exc.log_id or "",
            )
        return Outcome(Action.FAILED, merchant_message(exc), payload=payload, log_id=exc.log_id or "")
    number = int(created["customerNumber"])
    _save_link(ctx, number=number, created_by_us=True, fingerprint=plan.fingerprint)
    if ctx.match_index is not None:
        ctx.match_index.add({**payload, "customerNumber": number})
    return Outcome(Action.CREATED, f"Created e-conomic customer {number}.", number=number, payload=payload)


@transaction.atomic
def _save_link(ctx: _Context, *, number, created_by_us, fingerprint, create_started=None) -> CustomerLink:
    link, _ = CustomerLink.objects.for_tenant(ctx.tenant).update_or_create(
        stripe_customer_id=ctx.stripe_customer_id,
        defaults={
            "economic_customer_number": number,
            "created_by_us": created_by_us,
            "fingerprint": fingerprint,
            "create_started": create_started,
        },
    )
    return link


def _write_number_back(ctx: _Context, customer: dict, outcome: Outcome) -> None:
    """Store the e-conomic number in the chosen Stripe metadata key, if it is not there yet.

    A failure here does not undo the link: it is a warning, and the next sync tries again.
    """
    target = ctx.settings.store_number_in_stripe_field
    if not target or not target.startswith("metadata.") or ctx.dry_run:
        return
    key = target.removeprefix("metadata.")
    number = str(outcome.number)
    if (customer.get("metadata") or {}).get(key) == number:
        return
    try:
        ctx.stripe.update_metadata(
            ctx.stripe_customer_id,
            {key: number},
            idempotency_key=f"{WRITE_BACK_KEY_PREFIX}{ctx.tenant.slug}-{ctx.stripe_customer_id}-{number}",
        )
    except (*TRANSIENT, *PERMANENT) as exc:
        outcome.warnings.append(
            f"Could not store the number in Stripe metadata “{key}” ({merchant_message(exc)}); "
            "the next sync of this customer tries again."
        )
        return
    outcome.message += f" Stored the number in Stripe metadata “{key}”."


def record_give_up(*, tenant: Tenant, stripe_customer_id: str, reason: str) -> SyncRecord:
    return SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id=stripe_customer_id,
        action=Action.FAILED,
        message=f"Gave up after several attempts: {reason} Retry it from the sync log when fixed.",
    )
