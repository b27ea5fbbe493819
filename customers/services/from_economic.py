"""The other direction: an e-conomic customer that changed, applied to the Stripe customers linked
to it, for the fields set to flow that way (`mappings.engine.two_way` decides which way each goes).

It shares the Stripe → e-conomic sync's link, its lock per Stripe customer, its SyncRecord (with
the direction "e-conomic → Stripe") and its wording. Nothing here trusts a notification: the
e-conomic customer comes from a read (`economic_reads.py`) or a GET.

No ping-pong: the link keeps, per field, the fingerprint of the value both sides last agreed on.
A change we wrote to e-conomic comes back in the next read with that fingerprint and costs no
call; our write to Stripe carries an idempotency key with `TO_STRIPE_KEY_PREFIX`, which Stripe
returns in the `customer.updated` it causes, and event processing leaves that echo alone
(`write_back.is_own_echo`).
"""

import hashlib
import time
from datetime import UTC, datetime

from mappings.engine.two_way import (
    FieldFlow,
    economic_side_values,
    fields_to_flow,
    stripe_side_values,
    stripe_update,
    value_fingerprint,
)
from mappings.selectors import sync_settings_for
from mappings.vocabulary import Side
from syncapp.clients.economic import EconomicNotFound
from syncapp.clients.stripe import StripeNotFound
from syncapp.connections.pool import pooled_economic_client_for, pooled_stripe_client_for
from syncapp.models import Tenant

from ..errors import PERMANENT, TRANSIENT, as_transient, merchant_facts
from ..explanations import Fact, fact, in_english
from ..locks import customer_lock
from ..models import CustomerLink, StripeEvent, SyncRecord
from ..queue import enqueue_customer_sync
from ..telemetry import sync_recorded

TO_STRIPE_KEY_PREFIX = "econ-to-stripe-"
Action, Direction = SyncRecord.Action, SyncRecord.Direction


def economic_customer_apply(*, tenant: Tenant, economic_customer: dict) -> list[SyncRecord]:
    """Apply one e-conomic customer to every Stripe customer linked to it; the records written
    (none when nothing flowed: our own change coming back, or no field set to flow this way)."""
    number = economic_customer["customerNumber"]
    linked = CustomerLink.objects.for_tenant(tenant).filter(economic_customer_number=number)
    records = []
    for stripe_customer_id in linked.values_list("stripe_customer_id", flat=True):
        record = _apply(tenant, stripe_customer_id, economic_customer)
        if record is not None:
            records.append(record)
    return records


def economic_customer_retry(*, tenant: Tenant, number: int) -> list[SyncRecord]:
    """The sync log's Retry of a record of this direction: read the customer again and apply it."""
    try:
        customer = pooled_economic_client_for(tenant).get_customer(number)
    except EconomicNotFound:
        return []
    except TRANSIENT as exc:
        raise as_transient(exc) from exc
    return economic_customer_apply(tenant=tenant, economic_customer=customer)


def _apply(tenant: Tenant, stripe_customer_id: str, economic_customer: dict) -> SyncRecord | None:
    number = economic_customer["customerNumber"]
    with customer_lock(tenant_id=tenant.pk, stripe_customer_id=stripe_customer_id):
        links = CustomerLink.objects.for_tenant(tenant).select_related("stripe_account")
        link = links.filter(stripe_customer_id=stripe_customer_id, economic_customer_number=number).first()
        if link is None:
            return None  # unlinked meanwhile
        settings = sync_settings_for(tenant=tenant, account=link.stripe_account.name)
        economic_values = economic_side_values(settings, economic_customer)
        agreed = link.field_fingerprints
        if all(value_fingerprint(value) == agreed.get(f) for f, value in economic_values.items()):
            return None  # nothing new on e-conomic's side, or our own write coming back: no call
        started = time.monotonic()
        try:
            facts, warnings, fields = _to_stripe(tenant, link, settings, economic_customer, economic_values)
            action = Action.UPDATED_IN_STRIPE if fields else None
        except TRANSIENT as exc:
            raise as_transient(exc) from exc
        except PERMANENT as exc:
            action, warnings = Action.FAILED, []
            facts = [fact("to_stripe_failed", number=number), *merchant_facts(exc)]
        if action is None:
            return None
        record = SyncRecord.objects.for_tenant(tenant).create(
            tenant=tenant,
            stripe_account=link.stripe_account,
            stripe_customer_id=stripe_customer_id,
            stripe_email=(economic_customer.get("email") or "")[:255],
            stripe_name=(economic_customer.get("name") or "")[:255],
            action=action,
            direction=Direction.TO_STRIPE,
            economic_customer_number=number,
            message=in_english(facts),
            facts=facts,
            warnings=warnings,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        sync_recorded(record)
        return record


def _to_stripe(
    tenant, link, settings, economic_customer, economic_values
) -> tuple[list[Fact], list[str], list[str]]:
    """Write what flows to Stripe; (the record's facts, warnings, the fields written)."""
    stripe = pooled_stripe_client_for(link.stripe_account)
    try:
        customer = stripe.retrieve_customer(link.stripe_customer_id)
    except StripeNotFound:
        customer = {"deleted": True}
    if customer.get("deleted"):
        return [], [], []  # the Stripe side's sync handles a deletion
    stripe_values = stripe_side_values(settings, customer)
    flows = fields_to_flow(
        settings=settings,
        stripe_values=stripe_values,
        economic_values=economic_values,
        agreed=link.field_fingerprints,
        stripe_changed_at=stripe_changed_at(tenant=tenant, stripe_customer_id=link.stripe_customer_id),
        economic_changed_at=economic_time(economic_customer.get("lastUpdated")),
    )
    agreed = dict(link.field_fingerprints)
    for field, value in economic_values.items():
        if value_fingerprint(value) == value_fingerprint(stripe_values.get(field)):
            agreed[field] = value_fingerprint(value)  # already in step
    update = stripe_update(settings, flows)
    if update.params:
        stripe.update_customer(
            link.stripe_customer_id,
            update.params,
            idempotency_key=_idempotency_key(tenant, link, update.params, economic_customer),
        )
        for flow in flows:
            if flow.economic_field in update.fields:
                agreed[flow.economic_field] = flow.fingerprint
    link.field_fingerprints = agreed
    link.save(update_fields=["field_fingerprints", "updated"])
    if any(flow.to == Side.ECONOMIC for flow in flows):
        # Stripe's side won (or changed alone): the Stripe → e-conomic sync writes it, by the same rule.
        enqueue_customer_sync(tenant.pk, link.stripe_customer_id, link.stripe_account_id)
    warnings = [note.fact for note in update.warnings]
    if not update.fields:
        return [], warnings, []
    written = [f for f in flows if f.economic_field in update.fields]
    return _facts(economic_customer["customerNumber"], written), warnings, list(update.fields)


def _facts(number: int, written: list[FieldFlow]) -> list[Fact]:
    updated = fact("updated_in_stripe", number=number, fields=[flow.economic_field for flow in written])
    return [updated, *(conflict_note(flow) for flow in written if flow.winner)]


def conflict_note(flow: FieldFlow) -> Fact:
    """What the log says when both sides changed a field: who won, and the value that lost
    (`value`: the customer's data, which retention removes)."""
    code = "conflict_economic_won" if flow.winner == Side.ECONOMIC else "conflict_stripe_won"
    return fact(code, field=flow.economic_field, value=flow.other_value or "")


def _idempotency_key(tenant: Tenant, link: CustomerLink, params: dict, economic_customer: dict) -> str:
    # The same e-conomic change applied twice (a retry after a lost answer) is one write in Stripe.
    written = (
        tenant.slug,
        link.stripe_customer_id,
        repr(sorted(params.items())),
        economic_customer.get("lastUpdated") or "",
    )
    return TO_STRIPE_KEY_PREFIX + hashlib.sha256("\x1f".join(written).encode()).hexdigest()[:40]


def stripe_changed_at(*, tenant: Tenant, stripe_customer_id: str) -> datetime | None:
    """When the Stripe customer last changed, as far as its stored events tell."""
    events = StripeEvent.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id)
    return events.order_by("-stripe_created").values_list("stripe_created", flat=True).first()


def economic_time(last_updated: str | None) -> datetime | None:
    """e-conomic's `lastUpdated` as a time (UTC when it names no zone)."""
    if not last_updated:
        return None
    try:
        moment = datetime.fromisoformat(last_updated.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
