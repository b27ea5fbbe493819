"""Realistic demo data for the Stripe emulator: Danish companies with addresses and some metadata."""

import random
import time

from django.db import transaction

from . import services
from .models import Account, ApiKey, recommended_permissions, stripe_id

_FIRST = [
    "Nordlys",
    "Havbryg",
    "Skovly",
    "Fjordlys",
    "Bølgeslag",
    "Lynge",
    "Klitgaard",
    "Egeskov",
    "Solsikke",
    "Vestkyst",
    "Strandhus",
    "Møllegaard",
    "Birkely",
    "Stenbro",
    "Rosenholm",
    "Kastanje",
    "Hyldeblomst",
]
_SECOND = [
    "Design",
    "Tømrer",
    "Kaffe",
    "IT",
    "Rådgivning",
    "Byg",
    "Blomster",
    "Revision",
    "Trykkeri",
    "Cykler",
    "Keramik",
    "Elektro",
    "Bageri",
    "Marine",
    "Logistik",
]
_FORM = ["ApS", "A/S", "I/S", "IVS"]
_CITIES = [
    ("1050", "København K"),
    ("2100", "København Ø"),
    ("8000", "Aarhus C"),
    ("5000", "Odense C"),
    ("9000", "Aalborg"),
    ("6700", "Esbjerg"),
    ("7100", "Vejle"),
    ("4000", "Roskilde"),
    ("3000", "Helsingør"),
]
_STREETS = [
    "Vestergade",
    "Nørregade",
    "Strandvejen",
    "Algade",
    "Søndergade",
    "Havnegade",
    "Skolevej",
    "Bredgade",
]
_FOREIGN = [
    ("SE", "211 22", "Malmö", "Södra Förstadsgatan"),
    ("DE", "24937", "Flensburg", "Große Straße"),
    ("NO", "0150", "Oslo", "Karl Johans gate"),
]


def seed_account(
    *,
    api_key: str | None = None,
    customers: int = 0,
    emails: list[str] | None = None,
    seed: int | None = None,
    permissions: dict[str, str] | None = None,
) -> str:
    """Create an account, its `sk_test_` key (or `api_key`) and customers; return the key.

    A restricted `api_key` (`rk_…`) gets `permissions` (resource → none|read|write), by default
    those the reference asks merchants for (Customers: Write, Events: Read, Webhook Endpoints:
    Write). The first customers get `emails` in order; there are max(customers, len(emails)) in
    all, with creation times spread over the past year, so lists page in a realistic order.
    """
    emails = emails or []
    rng = random.Random(seed)
    api_key = api_key or stripe_id("sk_test_", 32)
    with transaction.atomic():
        account = Account.objects.create(name="Sandbox merchant")
        key = ApiKey.objects.create(
            account=account,
            key=api_key,
            permissions=recommended_permissions() if permissions is None else permissions,
        )
        caller = services.Caller(account, key.livemode)
        total = max(customers, len(emails))
        start = int(time.time()) - 365 * 24 * 3600
        for index in range(total):
            email = emails[index] if index < len(emails) else None
            created = start + (index + 1) * (365 * 24 * 3600 // (total + 1))
            services.customer_create(caller, _customer_params(rng, index, email), created=created)
    return api_key


def _customer_params(rng: random.Random, index: int, email: str | None) -> dict:
    name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_FORM)}"
    slug = name.split(" ")[0].lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
    if rng.random() < 0.12:
        country, postal_code, city, street = rng.choice(_FOREIGN)
    else:
        country, (postal_code, city), street = "DK", rng.choice(_CITIES), rng.choice(_STREETS)
    cvr = str(rng.randint(10_000_000, 99_999_999))
    params: dict = {
        "name": name,
        "email": email or f"bogholderi+{index}@{slug}.dk",
        "phone": "+45 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
        "address": {
            "line1": f"{street} {rng.randint(1, 120)}",
            "line2": rng.choice(["", "", "1. th", "st. tv"]),
            "postal_code": postal_code,
            "city": city,
            "country": country,
        },
        "preferred_locales": ["da"] if country == "DK" else ["en"],
        "description": rng.choice(["", "Webshop customer", "Wholesale", "Subscription since 2022"]),
    }
    if rng.random() < 0.5:
        params["metadata"] = {"cvr": cvr}
        if country == "DK":
            params["tax_id_data"] = [{"type": "eu_vat", "value": f"DK{cvr}"}]
    if rng.random() < 0.15:
        params.setdefault("metadata", {})["customer_number"] = str(10_000 + index)
    return params
