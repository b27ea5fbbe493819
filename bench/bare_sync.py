"""The CPU floor of one sync: the same four calls a sync makes (Stripe fetch, e-conomic search,
e-conomic create, Stripe write-back) with requests over kept-alive sessions, and one row inserted
with psycopg2, nothing else. Run as its own process by the end_to_end stage; prints the CPU
milliseconds per sync (the loop's process time, imports and start-up excluded).

    python -m bench.bare_sync BASE STRIPE_TOKEN ECONOMIC_SECRET ECONOMIC_TOKEN DSN TABLE cus_1 cus_2 ...
"""

import json
import sys
import time
import uuid

import psycopg2
import requests


def sessions(base: str, stripe_token: str, economic_secret: str, economic_token: str):
    """Kept-alive sessions to the two emulators, authenticated as a sync's clients are."""
    stripe, economic = requests.Session(), requests.Session()
    stripe.headers["Authorization"] = f"Bearer {stripe_token}"
    economic.headers.update({"X-AppSecretToken": economic_secret, "X-AgreementGrantToken": economic_token})
    return stripe, economic


def four_calls(stripe: requests.Session, economic: requests.Session, base: str, customer_id: str) -> None:
    """What a sync of a new customer must ask: fetch it, search e-conomic, create, write back."""
    customer = stripe.get(f"{base}/stripe/v1/customers/{customer_id}", params={"expand[]": "tax_ids"})
    customer.raise_for_status()
    email = customer.json()["email"]
    economic.get(
        f"{base}/economic/customers",
        params={"pagesize": 1000, "sort": "customerNumber", "filter": f"email$eq:{email}"},
    ).raise_for_status()
    created = economic.post(
        f"{base}/economic/customers",
        json={
            "name": customer.json()["name"],
            "email": email,
            "currency": "DKK",
            "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
        },
    )
    created.raise_for_status()
    stripe.post(
        f"{base}/stripe/v1/customers/{customer_id}",
        data={"metadata[economic_customer_number]": str(created.json()["customerNumber"])},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    ).raise_for_status()


def main(base, stripe_token, economic_secret, economic_token, dsn, table, *customer_ids) -> None:
    stripe, economic = sessions(base, stripe_token, economic_secret, economic_token)
    database = psycopg2.connect(dsn)
    database.autocommit = True
    started = time.process_time()
    for customer_id in customer_ids:
        four_calls(stripe, economic, base, customer_id)
        with database.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (body) VALUES (%s)", [customer_id])
    cpu_ms = (time.process_time() - started) * 1000 / max(1, len(customer_ids))
    print(json.dumps({"cpu_ms_per_sync": round(cpu_ms, 2)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
