"""One e-conomic customer per match value, however many Stripe customers and accounts carry it.

Real Celery worker processes, webhooks over HTTP to the live server, both emulators over HTTP, and
e-conomic answering slowly: guest checkouts (several Stripe customers with one e-mail) in two
Stripe accounts of one merchant and in a second merchant booking into the same agreement, every
`customer.created` posted at the same moment.
"""

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from customers.models import CustomerLink, ReviewItem, StripeEvent, SyncRecord
from sandbox.stripe_api import control, services
from sandbox.stripe_api.seed import seed_account
from syncapp.models import StripeConnection
from tests.conftest import wait_for
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.factories import EconomicConnectionFactory, TenantFactory
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import connect_stripe

pytestmark = pytest.mark.worker

# (account, e-mail) per Stripe customer: eight shoppers, each two or three times.
SHOPPERS = {
    "anna@firma.dk": ["dk", "dk"],
    "bo@firma.dk": ["dk", "se", "se"],
    "carl@firma.dk": ["se", "other"],
    "dina@firma.dk": ["dk", "se", "other"],
    "Eva@Firma.dk": ["dk", "dk", "dk"],
    "finn@firma.dk": ["other", "other"],
    "gry@firma.dk": ["dk", "other"],
    "hans@firma.dk": ["se", "se", "dk"],
}


@pytest.fixture
def books(merchant):
    """One agreement; merchant A with a DK and an SE Stripe account, merchant B with its own."""
    other = TenantFactory(name="Other Shop ApS")
    EconomicConnectionFactory(
        tenant=other,
        grant_token=merchant.economic.grant_token,
        agreement_number=merchant.economic.agreement_number,
    )
    configure(other)
    accounts = {
        "dk": connect_stripe(merchant.tenant, merchant.stripe.api_key, name="Main"),
        "se": connect_stripe(merchant.tenant, seed_account(), name="SE shop"),
        "other": connect_stripe(other, seed_account()),
    }
    return merchant, other, accounts


def _post(live_server, account: StripeConnection, event: dict) -> int:
    body = as_body(event)
    response = requests.post(
        f"{live_server.url}{account.webhook_path}",
        data=body,
        headers={"Stripe-Signature": stripe_signature(body, account.webhook_secret)},
        timeout=30,
    )
    return response.status_code


def test_shoppers_in_two_accounts_and_two_tenants_become_one_economic_customer_each(
    books, live_server, celery_worker
):
    merchant, other, accounts = books
    created = []  # (account, Stripe customer)
    for email, where in SHOPPERS.items():
        for n, key in enumerate(where):
            customer = _create(accounts[key], email=email if n % 2 == 0 else email.upper(), name=f"Guest {n}")
            created.append((accounts[key], customer))
    merchant.economic.set_faults(latency=0.15)  # each e-conomic call takes 150 ms

    events = [
        (account, customer_event(customer["id"], event_id=f"evt_{customer['id']}", type="customer.created"))
        for account, customer in created
    ]
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        statuses = list(pool.map(lambda pair: _post(live_server, *pair), events))
    assert statuses == [200] * len(events)

    tenants = (merchant.tenant, other)
    wait_for(lambda: _all_settled(tenants, len(events)), timeout=120, message="every event processed")

    by_email = defaultdict(list)
    for customer in merchant.economic.customers():
        by_email[customer["email"].casefold()].append(customer["customerNumber"])
    assert {email: len(numbers) for email, numbers in by_email.items()} == {
        email.casefold(): 1 for email in SHOPPERS
    }
    for account, customer in created:
        link = CustomerLink.objects.for_tenant(account.tenant).get(stripe_customer_id=customer["id"])
        assert link.stripe_account == account
        assert link.economic_customer_number == by_email[customer["email"].casefold()][0]
        stripe_now = _retrieve(account, customer["id"])
        assert stripe_now["metadata"]["economic_customer_number"] == str(link.economic_customer_number)
    for tenant in tenants:
        assert not ReviewItem.objects.for_tenant(tenant).exists()
    records = SyncRecord.all_tenants.filter(tenant__in=tenants)
    assert records.filter(action="created").count() == len(SHOPPERS)
    assert records.filter(action="matched").count() == len(created) - len(SHOPPERS)
    assert not records.exclude(action__in=["created", "matched"]).exists()


def _create(account: StripeConnection, **params) -> dict:
    return control.customer_create(account.api_key, **params)


def _retrieve(account: StripeConnection, customer_id: str) -> dict:
    return services.customer_retrieve(control.caller_for_key(account.api_key), customer_id, {})


def _all_settled(tenants, count: int) -> bool:
    events = StripeEvent.all_tenants.filter(tenant__in=tenants)
    settled = not events.filter(status=StripeEvent.Status.PENDING).exists()
    return events.count() >= count and settled
