"""The merchant's choices in the review queue: link one candidate, create a new customer, or skip.

Linking and creating go through `customer_sync` (the lock, the Stripe read, the write-back and the
SyncRecord explaining it); skipping only records the choice. The item keeps who chose and when.
"""

from contextlib import closing
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ReviewItem, SyncRecord
from customers.services.decisions import Resolution
from customers.services.sync import customer_sync
from syncapp.clients.economic import EconomicError, EconomicNotFound
from syncapp.clients.stripe import StripeError
from syncapp.connections.clients import NotConnected, economic_client_for, stripe_client_for
from syncapp.models import Tenant

Choice = ReviewItem.Resolution
MERCHANT_CHOICES = (Choice.LINKED, Choice.CREATED, Choice.SKIPPED)
BULK_CHOICES = (Choice.CREATED, Choice.SKIPPED)


@dataclass
class ReviewSides:
    """What the review page shows: the Stripe customer and each e-conomic candidate, read now."""

    stripe_customer: dict | None = None
    candidates: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def review_sides(*, tenant: Tenant, item: ReviewItem) -> ReviewSides:
    """Read the Stripe customer and the candidates from the services, as they are now.

    A candidate deleted in e-conomic since is shown as gone; a service that is away is named.
    """
    sides = ReviewSides()
    try:
        with closing(stripe_client_for(item.stripe_account)) as stripe:
            sides.stripe_customer = stripe.retrieve_customer(item.stripe_customer_id)
    except (StripeError, NotConnected) as exc:
        sides.problems.append(f"Stripe could not be read: {exc}")
    try:
        with closing(economic_client_for(tenant)) as economic:
            for number in item.candidates:
                try:
                    sides.candidates.append(economic.get_customer(number))
                except EconomicNotFound:
                    sides.candidates.append({"customerNumber": number, "gone": True})
    except (EconomicError, NotConnected) as exc:
        sides.problems.append(f"e-conomic could not be read: {exc}")
        sides.candidates = [{"customerNumber": number, "unread": True} for number in item.candidates]
    return sides


class ReviewRefused(Exception):
    """The choice cannot be made (already settled, not a candidate); the message says why."""


def review_resolve(
    *, tenant: Tenant, item: ReviewItem, choice: str, by: str, number: int | None = None
) -> SyncRecord:
    """Carry out the merchant's choice for one open item; the SyncRecord says what happened.

    A failed link or create (the candidate was deleted meanwhile, e-conomic refused the create)
    leaves the item open, so the merchant can choose again. Raises TransientSyncError when a
    service is briefly away (nothing was decided).
    """
    _check(item, choice, number)
    if choice == Choice.SKIPPED:
        record = SyncRecord.objects.for_tenant(tenant).create(
            stripe_account=item.stripe_account,
            stripe_customer_id=item.stripe_customer_id,
            stripe_email=item.stripe_email,
            stripe_name=item.record.stripe_name if item.record else "",
            action=SyncRecord.Action.SKIPPED,
            message=(
                f"{by} skipped this customer in the review queue: it stays unlinked. Its next change in "
                "Stripe runs the match rules again."
            ),
        )
    else:
        record = customer_sync(
            tenant=tenant,
            stripe_customer_id=item.stripe_customer_id,
            stripe_account=item.stripe_account,
            resolution=Resolution(choice=choice, by=by, number=number),
        )
        if record.action in (SyncRecord.Action.FAILED, SyncRecord.Action.NEEDS_REVIEW):
            return record
    with transaction.atomic():
        ReviewItem.objects.for_tenant(tenant).filter(pk=item.pk).update(
            resolved_at=timezone.now(),
            resolution=choice,
            resolved_number=record.economic_customer_number,
            resolved_by=by,
            record=record,
        )
    return record


def review_bulk_resolve(*, tenant: Tenant, items: list[ReviewItem], choice: str, by: str) -> dict[str, int]:
    """Create or skip every item given (linking needs a choice per customer); counts by action."""
    if choice not in BULK_CHOICES:
        raise ReviewRefused(_("Several customers at once can only be created anew or skipped."))
    counts: dict[str, int] = {}
    for item in items:
        if not item.is_open:
            continue
        record = review_resolve(tenant=tenant, item=item, choice=choice, by=by)
        counts[record.action] = counts.get(record.action, 0) + 1
    return counts


def _check(item: ReviewItem, choice: str, number: int | None) -> None:
    if not item.is_open:
        words = {
            "stripe_id": item.stripe_customer_id,
            "by": item.resolved_by,
            "resolution": item.get_resolution_display().lower(),
        }
        if item.resolved_by:
            raise ReviewRefused(_("%(stripe_id)s was already settled by %(by)s (%(resolution)s).") % words)
        raise ReviewRefused(_("%(stripe_id)s was already settled (%(resolution)s).") % words)
    if choice not in MERCHANT_CHOICES:
        raise ReviewRefused(_("Choose to link a candidate, create a new customer, or skip."))
    if choice == Choice.LINKED and number not in item.candidates:
        raise ReviewRefused(
            _("%(number)s is not one of the candidates for %(stripe_customer_id)s.")
            % {"number": number, "stripe_customer_id": item.stripe_customer_id}
        )
