"""Erasure: every copy we hold of one Stripe customer's personal data, removed.

Runs when Stripe reports the customer deleted (the sync of a deleted customer) and when a merchant
asks from the customer's sync log entry. What goes: the payloads of the customer's Stripe events
(and the values quoted in their errors), the e-mail, the quoted values and the payloads of its sync
records, the link's fingerprint (a hash of the mapped values), its rows in dry-run reports. What
stays: ids, e-conomic numbers, outcomes and times, so exactly-once and the log keep working. The
e-conomic customer is the merchant's bookkeeping record and is left alone; the sync log says so.
"""

import logging

from django.db import transaction
from django.utils import timezone

from syncapp.models import Tenant

from ..explanations import fact, in_english
from ..locks import customer_lock
from ..models import CustomerLink, ImportReportRow, StripeEvent, SyncRecord
from .redaction import personal_values
from .retention import RemovalReason, events_strip, records_strip

logger = logging.getLogger(__name__)

_WHY = {
    RemovalReason.STRIPE_DELETED: "erased_deleted_in_stripe",
    RemovalReason.REQUESTED: "erased_on_request",
}


def erasure_note(*, number: int | None) -> dict:
    """The fact a record adds when our copies of its customer are erased."""
    return fact("erased_kept", number=number) if number is not None else fact("erased_unlinked")


def customer_erase(
    *, tenant: Tenant, stripe_customer_id: str, reason: str, note: bool = True
) -> SyncRecord | None:
    """Erase our copies of one customer's personal data; with `note`, a sync record says so."""
    now = timezone.now()
    with customer_lock(tenant_id=tenant.pk, stripe_customer_id=stripe_customer_id), transaction.atomic():
        events = StripeEvent.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id)
        records = SyncRecord.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id)
        known = _known_values(events, records) - {stripe_customer_id}
        events_strip(list(events.values_list("pk", "last_error", "error_facts")), now=now, known=known)
        records_strip(
            list(records.values("pk", "message", "facts", "warnings")), now=now, reason=reason, known=known
        )
        # A report row is a preview, not a log of what happened: nothing in it needs keeping.
        ImportReportRow.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id).delete()
        link = CustomerLink.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id).first()
        if link is not None and link.fingerprint:
            link.fingerprint = ""
            link.save(update_fields=["fingerprint", "updated"])
        number = link.economic_customer_number if link else None
        logger.info(
            "Erased personal data",
            extra={"tenant": tenant.slug, "customer": stripe_customer_id, "reason": reason},
        )
        if not note:
            return None
        facts = [fact(_WHY.get(reason, "erased_on_request")), erasure_note(number=number)]
        return SyncRecord.objects.for_tenant(tenant).create(
            stripe_customer_id=stripe_customer_id,
            action=SyncRecord.Action.SKIPPED,
            economic_customer_number=number,
            message=in_english(facts),
            facts=facts,
            personal_data_removed_at=now,
            personal_data_removed_reason=reason,
        )


def _known_values(events, records) -> set[str]:
    """What this customer's copies say about them: every value worth looking for in our texts."""
    known: set[str] = set()
    for email, payload in events.values_list("stripe_email", "payload").iterator(chunk_size=200):
        data = (payload or {}).get("data") or {}
        known |= personal_values({"email": email})
        known |= personal_values(data.get("object")) | personal_values(data.get("previous_attributes"))
    for email, name, payload in records.values_list("stripe_email", "stripe_name", "payload").iterator(
        chunk_size=200
    ):
        known |= personal_values({"email": email, "name": name, "payload": payload})
    return known
