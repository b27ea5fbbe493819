"""Sandbox data: the default app, agreements with realistic Danish lists, customers, grants."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from .models import (
    Agreement,
    App,
    Currency,
    Customer,
    CustomerGroup,
    Grant,
    Layout,
    PaymentTerm,
    VatZone,
)

DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_APP_PUBLIC = "sandbox-app-public"
DEFAULT_APP_NAME = "Stripe ↔ e-conomic sync (sandbox)"
DEMO_TOKEN = "demo"
# The sandbox's own choice; real e-conomic's demo agreement has another number.
DEMO_AGREEMENT_NUMBER = 999_999
FIRST_AGREEMENT_NUMBER = 100_001

PAYMENT_TERMS = [
    (1, "Netto 8 dage", 8, "net"),
    (2, "Netto 14 dage", 14, "net"),
    (3, "Netto 30 dage", 30, "net"),
    (4, "Løbende måned + 30", 30, "invoiceMonth"),
    (5, "Kontant", 0, "paidInCash"),
    (6, "Forudbetaling", 0, "prepaid"),
]
CUSTOMER_GROUPS = [(1, "Domestic customers", 5600), (2, "Foreign customers", 5610)]
VAT_ZONES = [
    (1, "Domestic", True, True),
    (2, "EU", True, True),
    (3, "Abroad", True, True),
    (4, "Exempt", True, False),
]
CURRENCIES = [
    ("DKK", "Danske kroner", "208"),
    ("EUR", "Euro", "978"),
    ("USD", "US dollar", "840"),
    ("SEK", "Svenske kroner", "752"),
    ("NOK", "Norske kroner", "578"),
]
LAYOUTS = [(19, "Standard faktura"), (20, "Faktura med logo"), (21, "Engelsk faktura")]

_NAME_FIRST = [
    "Nordlys",
    "Havblik",
    "Skovsø",
    "Bølge",
    "Lyngby",
    "Fjord",
    "Kobber",
    "Egetræ",
    "Solsort",
    "Vestkyst",
]
_NAME_LAST = ["Design ApS", "Consult ApS", "Byg A/S", "Kaffe IVS", "Tryk ApS", "Rådgivning", "Handel A/S"]
_CITIES = [("8000", "Aarhus C"), ("1620", "København V"), ("5000", "Odense C"), ("9000", "Aalborg")]


def default_app() -> App:
    app, _ = App.objects.get_or_create(
        secret_token=DEFAULT_APP_SECRET,
        defaults={"public_token": DEFAULT_APP_PUBLIC, "name": DEFAULT_APP_NAME},
    )
    return app


def grant_for(app: App, agreement: Agreement) -> Grant:
    """The app's first grant to the agreement, made when there is none (seeding and tests)."""
    grant = Grant.objects.filter(app=app, agreement=agreement).order_by("pk").first()
    return grant or Grant.objects.create(app=app, agreement=agreement, token=secrets.token_urlsafe(32))


def create_lists(agreement: Agreement) -> None:
    PaymentTerm.objects.bulk_create(
        PaymentTerm(agreement=agreement, number=n, name=name, days_of_credit=days, payment_terms_type=kind)
        for n, name, days, kind in PAYMENT_TERMS
    )
    CustomerGroup.objects.bulk_create(
        CustomerGroup(agreement=agreement, number=n, name=name, account_number=account)
        for n, name, account in CUSTOMER_GROUPS
    )
    VatZone.objects.bulk_create(
        VatZone(agreement=agreement, number=n, name=name, enabled_for_customer=c, enabled_for_supplier=s)
        for n, name, c, s in VAT_ZONES
    )
    Currency.objects.bulk_create(
        Currency(agreement=agreement, code=code, name=name, iso_number=iso) for code, name, iso in CURRENCIES
    )
    Layout.objects.bulk_create(Layout(agreement=agreement, number=n, name=name) for n, name in LAYOUTS)


def next_customer_number(agreement: Agreement) -> int:
    # Written out: every customer the API creates asks, and the ORM's building of an aggregate
    # costs several times the query (the bench's emulators share their machine with the product).
    with connection.cursor() as cursor:
        table = Customer._meta.db_table
        cursor.execute(f"SELECT MAX(number) FROM {table} WHERE agreement_id = %s", [agreement.pk])
        highest = cursor.fetchone()[0]
    return (highest or 0) + 1


def customer_data(index: int, **fields: Any) -> dict[str, Any]:
    """A plausible Danish customer (the required fields filled in), overridden by `fields`."""
    zip_code, city = _CITIES[index % len(_CITIES)]
    name = f"{_NAME_FIRST[index % len(_NAME_FIRST)]} {_NAME_LAST[index % len(_NAME_LAST)]} {index}"
    data: dict[str, Any] = {
        "name": name,
        "email": f"kunde{index}@example.dk",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "address": f"Vestergade {index % 90 + 1}",
        "zip": zip_code,
        "city": city,
        "country": "Danmark",
    }
    data.update(fields)
    return data


def add_customer(agreement: Agreement, *, number: int | None = None, **fields: Any) -> Customer:
    """Put a customer straight into the agreement (tests' setup; the API validates, this does not)."""
    number = number or next_customer_number(agreement)
    return Customer.objects.create(
        agreement=agreement, number=number, data=customer_data(number, **fields), last_updated=timezone.now()
    )


@transaction.atomic
def create_agreement(
    *,
    agreement_number: int | None = None,
    company_name: str = "Sandbox Demo ApS",
    customers: int = 0,
    emails: list[str] | None = None,
    read_only: bool = False,
) -> Agreement:
    if agreement_number is None:
        highest = Agreement.objects.aggregate(highest=Max("agreement_number"))["highest"] or 0
        agreement_number = max(highest + 1, FIRST_AGREEMENT_NUMBER)
    agreement = Agreement.objects.create(
        agreement_number=agreement_number,
        company_name=company_name,
        company_address="Vestergade 12",
        company_zip="8000",
        company_city="Aarhus C",
        company_vat_number=f"{agreement_number % 100_000_000:08d}",
        read_only=read_only,
    )
    create_lists(agreement)
    emails = list(emails or [])
    now = timezone.now()
    Customer.objects.bulk_create(
        (
            Customer(
                agreement=agreement,
                number=n,
                data=customer_data(n, **({"email": emails[n - 1]} if n <= len(emails) else {})),
                last_updated=now,
            )
            for n in range(1, max(customers, len(emails)) + 1)
        ),
        batch_size=1000,
    )
    return agreement


def seed_agreement(
    *,
    agreement_number: int | None = None,
    company_name: str = "Sandbox Demo ApS",
    customers: int = 0,
    emails: list[str] | None = None,
) -> str:
    """An agreement with its lists and customers, granted to the default app; returns the grant
    token. `emails` go to the first customers (numbered from 1); there are at least as many
    customers as emails."""
    agreement = create_agreement(
        agreement_number=agreement_number, company_name=company_name, customers=customers, emails=emails
    )
    return grant_for(default_app(), agreement).token


@transaction.atomic
def demo_grant() -> Grant:
    """The public read-only demo agreement behind the `demo`/`demo` token pair."""
    grant = Grant.objects.select_related("agreement").filter(token=DEMO_TOKEN).first()
    if grant is not None:
        return grant
    app, _ = App.objects.get_or_create(
        secret_token=DEMO_TOKEN, defaults={"public_token": DEMO_TOKEN, "name": "Demo app"}
    )
    agreement = Agreement.objects.filter(agreement_number=DEMO_AGREEMENT_NUMBER).first()
    if agreement is None:
        agreement = create_agreement(
            agreement_number=DEMO_AGREEMENT_NUMBER,
            company_name="Demo Company A/S",
            customers=25,
            read_only=True,
        )
    return Grant.objects.create(app=app, agreement=agreement, token=DEMO_TOKEN)
