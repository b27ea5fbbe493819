"""Merchants for the bench: a tenant connected to a seeded e-conomic agreement and Stripe account.

Large Stripe customer sets are written with bulk_create (one template customer made by the
emulator's own create, cloned with new ids and e-mails), so seeding 100,000 takes seconds rather
than 100,000 API calls; they then have no `customer.created` events, which only the import needs
not. Customers made with `customer_create` (webhook stages) get their events as in Stripe.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

SECRET = "whsec_bench_secret"
_counter = iter(range(1, 1_000_000))


@dataclass
class Merchant:
    tenant: Any
    agreement: Any
    account: Any
    caller: Any
    slug: str
    # The seeded sandbox tokens, for the bench's own direct calls (the floor).
    economic_token: str = ""
    stripe_token: str = ""

    @property
    def webhook_path(self) -> str:
        """Where Stripe posts the events of the merchant's (first and only) Stripe account."""
        from syncapp.connections.selectors import stripe_account_first

        return stripe_account_first(tenant=self.tenant).webhook_path

    def shared_email(self, n: int) -> str:
        return f"kunde{n}@{self.slug}.bench.dk"


def merchant(
    *,
    name: str,
    stripe_customers: int = 0,
    economic_customers: int = 0,
    overlap: int = 0,
    write_back: bool = True,
) -> Merchant:
    """`overlap` of the Stripe customers have an e-mail e-conomic already has (the first ones of
    each); the rest of each side is its own."""
    from mappings.document import default_document
    from mappings.services import settings_save
    from sandbox.economic_api.models import Grant
    from sandbox.economic_api.seed import seed_agreement
    from sandbox.stripe_api import control
    from sandbox.stripe_api.seed import seed_account
    from syncapp.connections.economic import EconomicCredentials, economic_store
    from syncapp.connections.selectors import stripe_account_first
    from syncapp.connections.stripe import StripeCredentials, stripe_store
    from syncapp.services import tenant_create

    slug = f"{name}-{next(_counter)}-{secrets.token_hex(3)}"
    shared = [f"kunde{n}@{slug}.bench.dk" for n in range(overlap)]
    grant = seed_agreement(company_name=f"{name} ApS", customers=economic_customers, emails=shared)
    api_key = seed_account()
    tenant = tenant_create(slug=slug, name=f"{name} ApS")
    economic_store(tenant=tenant, credentials=EconomicCredentials(grant, None, f"{name} ApS"))
    account = stripe_account_first(tenant=tenant)
    stripe_store(account=account, credentials=StripeCredentials(api_key, False, SECRET, ""))
    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK", layout_number=19
    )
    if not write_back:
        document["customer_number"]["store_in_stripe_field"] = None
    settings_save(tenant=tenant, user=None, document=document, source="bench")
    found = Merchant(
        tenant=tenant,
        agreement=Grant.objects.get(token=grant).agreement,
        account=control.account_for_key(api_key),
        caller=control.caller_for_key(api_key),
        slug=slug,
        economic_token=grant,
        stripe_token=api_key,
    )
    if stripe_customers:
        bulk_stripe_customers(found, stripe_customers, shared)
    return found


def bulk_stripe_customers(merchant: Merchant, count: int, emails: list[str]) -> None:
    from sandbox.stripe_api import services
    from sandbox.stripe_api.models import Customer, stripe_id

    template = services.customer_create(
        merchant.caller,
        {
            "name": "Nordlys Design ApS",
            "email": "template@bench.dk",
            "phone": "+45 12 34 56 78",
            "address": {"line1": "Vestergade 1", "postal_code": "8000", "city": "Aarhus C", "country": "DK"},
        },
    )
    Customer.objects.filter(stripe_id=template["id"]).delete()
    start = int(time.time()) - 365 * 24 * 3600
    batch: list = []
    for n in range(count):
        customer_id = stripe_id("cus_", 14)
        email = emails[n] if n < len(emails) else f"stripe{n}@{merchant.slug}.bench.dk"
        created = start + n
        data = {
            **template,
            "id": customer_id,
            "email": email,
            "name": f"Kunde {n} ApS",
            "created": created,
            "invoice_prefix": secrets.token_hex(4).upper(),
        }
        batch.append(
            Customer(account=merchant.account, stripe_id=customer_id, created=created, email=email, data=data)
        )
        if len(batch) == 2000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)


def new_customer(merchant: Merchant, email: str, name: str) -> tuple[str, dict]:
    """A customer made through the emulator's API logic; returns its id and its created event."""
    from sandbox.stripe_api import services

    customer = services.customer_create(
        merchant.caller,
        {
            "name": name,
            "email": email,
            "address": {"line1": "Algade 3", "postal_code": "4000", "city": "Roskilde", "country": "DK"},
        },
    )
    return customer["id"], latest_event(merchant, customer["id"], "customer.created")


def latest_event(merchant: Merchant, customer_id: str, event_type: str) -> dict:
    from sandbox.stripe_api.models import Event

    event = (
        Event.objects.filter(account=merchant.account, type=event_type, payload__data__object__id=customer_id)
        .order_by("-id")
        .first()
    )
    return event.payload


def signed_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}
