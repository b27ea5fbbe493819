"""One e-conomic customer per match value, whatever order and timing the syncs come in.

Before a sync searches e-conomic (or creates without searching: the review queue's "create new"),
it takes the match value locks (`customers/locks.py`) of every value it could find or create a
customer by, and holds them until the created customer and its link are committed. So two Stripe
customers with one e-mail (a guest checkout twice, two Stripe accounts, two tenants on one
agreement) search one after the other, and the second finds what the first created.

A lock alone does not cover a create whose answer was lost: the POST may still land after the
lock is released. So a create first commits a claim per value (`CreateClaim`), and a sync that
finds another customer's claim still without a number waits (retries shortly) rather than create
a second customer; the claimant's retry finds its customer by searching and confirms the claim.
A claim unanswered for `CREATE_CLAIM_WAIT_SECONDS` no longer holds anyone back: by then e-conomic
shows the customer to a search, if it was created at all.

An import matches against an index read earlier: a claim confirmed after that read tells it of a
customer created meanwhile, which it then reads into its index (one call, and only then).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from mappings.engine import CustomerPlan
from mappings.match_index import MatchIndex, match_keys
from syncapp.clients.economic import EconomicClient, EconomicNotFound

from ..errors import TransientSyncError, Trouble
from ..explanations import fact
from ..locks import match_value_key, match_value_locks
from ..models import CreateClaim, CustomerLink

# Confirmed claims are kept this long: longer than any import's index is kept between refreshes.
CLAIM_KEPT = timedelta(days=1)
# A sync that waits for another's create tries again after this long.
WAIT_SECONDS = 2.0


def plan_value_keys(*, agreement: str, plan: CustomerPlan, fields: Iterable[str]) -> list[int]:
    """The lock keys of every value the plan searches with, and of the values it would create the
    customer with in `fields` (every field a tenant on the agreement matches on)."""
    values = {(query.economic_field, query.value) for query in plan.match_queries}
    values |= {(f, plan.create_payload[f]) for f in fields if plan.create_payload.get(f) not in (None, "")}
    return sorted(
        {
            match_value_key(agreement=agreement, field=field, value=key)
            for field, value in values
            for key in match_keys(field, value)
        }
    )


@contextmanager
def match_values_held(*, agreement: str, keys: list[int], link: CustomerLink | None) -> Iterator[None]:
    """Hold the values' locks; raise TransientSyncError (a short wait) while another Stripe
    customer's create with one of them is unanswered."""
    with match_value_locks(keys):
        pending = _unanswered_elsewhere(agreement=agreement, keys=keys, link=link)
        if pending:
            raise TransientSyncError(
                [fact("create_waits")],
                retry_after=WAIT_SECONDS,
                trouble=Trouble.WAITING,
            )
        yield


def _unanswered_elsewhere(*, agreement: str, keys: list[int], link: CustomerLink | None) -> bool:
    # Across tenants on purpose: tenants sharing an agreement share its customers.
    since = timezone.now() - timedelta(seconds=settings.CREATE_CLAIM_WAIT_SECONDS)
    pending = CreateClaim.all_tenants.filter(
        agreement=agreement, value_key__in=keys, economic_customer_number__isnull=True, started__gte=since
    )
    if link is not None:
        pending = pending.exclude(link=link)
    return pending.exists()


def claims_start(*, link: CustomerLink, agreement: str, keys: list[int], replacing: bool) -> None:
    """Just before the POST, in the transaction that marks the link's create in flight.
    `replacing`: the link existed before this sync and may hold an earlier create's claims (a
    link inserted now holds none)."""
    if replacing:
        CreateClaim.objects.for_tenant(link.tenant).filter(link=link).delete()
    now = timezone.now()
    CreateClaim.objects.for_tenant(link.tenant).bulk_create(
        [
            CreateClaim(tenant=link.tenant, link=link, agreement=agreement, value_key=key, started=now)
            for key in keys
        ]
    )


def claims_confirm(*, link: CustomerLink, number: int) -> None:
    """e-conomic answered (or the retry found the customer): the claims carry its number."""
    CreateClaim.objects.for_tenant(link.tenant).filter(link=link).update(
        economic_customer_number=number, confirmed=timezone.now()
    )


def claims_drop(*, link: CustomerLink) -> None:
    """The create was refused: nothing is in flight."""
    CreateClaim.objects.for_tenant(link.tenant).filter(link=link).delete()


def index_learn_creates(
    *, index: MatchIndex, economic: EconomicClient, agreement: str, keys: list[int], link: CustomerLink | None
) -> None:
    """Read into an import's index the customers created with these values since it was read."""
    since = datetime.fromtimestamp(index.read_at, tz=UTC)
    confirmed = CreateClaim.all_tenants.filter(
        agreement=agreement, value_key__in=keys, confirmed__gte=since, economic_customer_number__isnull=False
    )
    if link is not None:
        confirmed = confirmed.exclude(link=link)
    numbers = set(confirmed.values_list("economic_customer_number", flat=True))
    for number in sorted(n for n in numbers if not index.holds(n)):  # the import's own are held
        try:
            index.add(economic.get_customer(number))
        except EconomicNotFound:
            continue  # deleted in e-conomic since: nothing to find


def claims_purge(*, now: datetime | None = None) -> int:
    """Claims older than a day: no index or unanswered create needs them any more."""
    cutoff = (now or timezone.now()) - CLAIM_KEPT
    deleted, _ = CreateClaim.all_tenants.filter(started__lt=cutoff).delete()
    return deleted
