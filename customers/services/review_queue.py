"""The review queue's bookkeeping after each sync: a customer with several e-conomic candidates
gets (or keeps) one open ReviewItem; a later sync that settles it closes it.

Kept apart from `review.py` (the merchant's choices), which calls the sync: this module is called
by it.
"""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from syncapp.models import Tenant

from ..models import ReviewItem, SyncRecord

Action = SyncRecord.Action


def review_open(tenant: OuterRef, stripe_customer_id: OuterRef) -> Exists:
    """Whether the customer an outer query names has an open review item (nothing to close when not)."""
    return Exists(
        ReviewItem.all_tenants.filter(
            tenant=tenant, stripe_customer_id=stripe_customer_id, resolved_at__isnull=True
        )
    )


def review_item_note(*, tenant: Tenant, record: SyncRecord, candidates: list[int]) -> ReviewItem | None:
    """Open (or refresh) the customer's review item when its sync needs review; close it when a
    later sync linked or created the customer some other way (a retry after a fix in e-conomic)."""
    items = ReviewItem.objects.for_tenant(tenant).filter(
        stripe_customer_id=record.stripe_customer_id, resolved_at__isnull=True
    )
    if record.action == Action.NEEDS_REVIEW:
        fields = {"candidates": candidates, "reason": record.message, "stripe_email": record.stripe_email}
        if items.update(**fields):
            return items.first()
        try:
            with transaction.atomic():
                return items.create(
                    stripe_customer_id=record.stripe_customer_id,
                    stripe_account_id=record.stripe_account_id,
                    record=record,
                    **fields,
                )
        except IntegrityError:  # opened by a concurrent sync of the same customer a moment ago
            return items.first()
    if record.economic_customer_number is not None and record.action != Action.FAILED:
        items.update(
            resolved_at=timezone.now(),
            resolution=ReviewItem.Resolution.SYNCED,
            resolved_number=record.economic_customer_number,
            record=record,
        )
    return None
