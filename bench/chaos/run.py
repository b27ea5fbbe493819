"""The chaos run: setup, deliveries, faults, and the final count (docs/chaos.md)."""

import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .processes import RedisServer
from .proxy import FaultRates, FaultyProxy
from .stack import Stack, gunicorn

PG = "postgres://postgres@127.0.0.1:5432"
SANDBOX_APP_SECRET, SANDBOX_APP_PUBLIC = "sandbox-app-secret", "sandbox-app-public"


@dataclass
class Plan:
    customers: int = 2000
    database: str = "syncapp_chaos"
    undelivered: int = 50
    kill_every: float = 5.0
    max_kills: int = 10_000
    outage_at: float = 30.0  # seconds after deliveries start
    outage_seconds: float = 120.0
    redis_restart_at: float = 15.0
    timeout: float = 1200.0

    @classmethod
    def full(cls) -> "Plan":
        return cls()

    @classmethod
    def small(cls) -> "Plan":
        return cls(
            customers=200,
            database="syncapp_chaos_small",
            undelivered=5,
            kill_every=8.0,
            max_kills=1,
            outage_at=12.0,
            outage_seconds=20.0,
            redis_restart_at=6.0,
            timeout=150.0,
        )


def environment(plan: Plan, redis: RedisServer, proxy_port: int, emulator_port: int, logs: Path) -> dict:
    # The sandbox's default app tokens (sandbox.economic_api.seed), spelled out: this runs before
    # Django is set up.
    return {
        **os.environ,
        "DEBUG": "true",
        "SANDBOX_ENABLED": "true",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{plan.database}",
        "CONN_MAX_AGE": "0",
        "REDIS_URL": f"{redis.url}/0",
        "CELERY_BROKER_URL": f"{redis.url}/1",
        "CELERY_VISIBILITY_TIMEOUT": "120",
        "CELERY_BEAT_HEARTBEAT_FILE": str(logs / "beat-heartbeat"),
        "ECONOMIC_API_URL": f"http://127.0.0.1:{proxy_port}/sandbox/economic",
        "STRIPE_API_BASE": f"http://127.0.0.1:{emulator_port}/sandbox/stripe",
        "ECONOMIC_APP_SECRET_TOKEN": SANDBOX_APP_SECRET,
        "ECONOMIC_APP_PUBLIC_TOKEN": SANDBOX_APP_PUBLIC,
        "ECONOMIC_RATE_PER_SECOND": "200",
        "ECONOMIC_TIMEOUT_SECONDS": "10",
        "SYNC_LEASE_SECONDS": "20",
        "SYNC_SWEEP_SECONDS": "2",
        "SYNC_PROBE_SECONDS": "3",
        "SYNC_RETRY_MIN_SECONDS": "1",
        "SYNC_RETRY_MAX_SECONDS": "15",
        "SYNC_RECONCILE_SECONDS": "15",
        "LOG_LEVEL": "WARNING",
    }


def say(message: str) -> None:
    print(f"chaos: {message}", file=sys.stderr, flush=True)


def _create_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    conn.close()


def _emails(count: int) -> list[str]:
    """One e-mail per customer, except every tenth, who shares the one before it (a guest who
    checked out twice): one shopper, two Stripe customers, one e-conomic customer."""
    return [f"kunde{n - 1 if n % 10 == 9 else n}@chaos.dk" for n in range(count)]


def _in_second_account(n: int) -> bool:
    # Every fourth customer is in the merchant's second Stripe account: some of the shoppers who
    # checked out twice did so once in each account.
    return n % 4 == 3


def setup_merchant(plan: Plan) -> dict:
    """One merchant with two Stripe accounts booking into one agreement: a third of its Stripe
    customers already in e-conomic (every fourth of those with its e-mail in other letter case),
    connected first so its events come after."""
    from mappings.document import default_document
    from mappings.services import settings_save
    from sandbox.economic_api.models import Grant
    from sandbox.economic_api.seed import seed_agreement
    from sandbox.stripe_api import control, services
    from sandbox.stripe_api.models import Event
    from sandbox.stripe_api.seed import seed_account
    from syncapp.connections.economic import EconomicCredentials, economic_store
    from syncapp.connections.selectors import stripe_account_first
    from syncapp.connections.stripe import StripeCredentials, stripe_store
    from syncapp.models import StripeConnection
    from syncapp.services import tenant_create

    emails = _emails(plan.customers)
    existing = [email.upper() if n % 4 == 0 else email for n, email in enumerate(sorted(set(emails))[::3])]
    grant = seed_agreement(company_name="Chaos ApS", emails=existing)
    agreement = Grant.objects.get(token=grant).agreement
    tenant = tenant_create(slug=f"chaos-{int(time.time())}", name="Chaos ApS")
    economic_store(tenant=tenant, credentials=EconomicCredentials(grant, None, "Chaos ApS"))
    keys = {}
    for account in (stripe_account_first(tenant=tenant), StripeConnection(tenant=tenant, name="SE shop")):
        api_key, secret = seed_account(), f"whsec_chaos_{account.name.replace(' ', '_')}"
        account = stripe_store(account=account, credentials=StripeCredentials(api_key, False, secret, ""))
        keys[api_key] = (account.webhook_path, secret)
    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK", layout_number=19
    )
    settings_save(tenant=tenant, user=None, document=document, source="chaos")
    first_key, second_key = keys
    for n, email in enumerate(emails):
        caller = control.caller_for_key(second_key if _in_second_account(n) else first_key)
        services.customer_create(caller, {"email": email, "name": f"Kunde {n} ApS"})
    deliveries = []  # (webhook path, signing secret, event) per Stripe event
    for api_key, (path, secret) in keys.items():
        created = Event.objects.filter(account=control.account_for_key(api_key), type="customer.created")
        deliveries += [(path, secret, payload) for payload in created.values_list("payload", flat=True)]
    return {
        "tenant": tenant,
        "agreement": agreement,
        "deliveries": deliveries,
        "events": [event for _, _, event in deliveries],
        "expected": len({e.casefold() for e in emails} | {e.casefold() for e in existing}),
    }


def _signed(body: bytes, secret: str) -> str:
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def deliver(web_url: str, deliveries: list[tuple], undelivered: int, rng: random.Random) -> dict:
    """Each event three times, shuffled, to its account's webhook URL, except `undelivered` never;
    a refusal is retried as Stripe would (here: after a second, up to 20 times)."""
    import requests

    skipped = set(rng.sample(range(len(deliveries)), undelivered))
    batch = [delivery for n, delivery in enumerate(deliveries) if n not in skipped] * 3
    rng.shuffle(batch)
    local = threading.local()
    failures = {"refused": 0}

    def post(delivery: tuple) -> None:
        path, secret, event = delivery
        url = f"{web_url}{path}"
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = json.dumps(event).encode()
        for _ in range(20):
            try:
                headers = {"Stripe-Signature": _signed(body, secret), "Content-Type": "application/json"}
                if session.post(url, data=body, headers=headers, timeout=10).status_code < 300:
                    return
            except requests.RequestException:
                pass
            failures["refused"] += 1
            time.sleep(1)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(post, batch))
    return {"webhooks": len(batch), "retried": failures["refused"]}


def measure(merchant: dict) -> dict:
    from django.db.models import Count
    from django.db.models.fields.json import KT
    from django.db.models.functions import Lower

    from customers.models import StripeEvent
    from sandbox.economic_api.models import Customer

    tenant = merchant["tenant"]
    stored = set(StripeEvent.objects.for_tenant(tenant).values_list("stripe_event_id", flat=True))
    lost = sum(1 for event in merchant["events"] if event["id"] not in stored)
    pending = StripeEvent.objects.for_tenant(tenant).filter(status=StripeEvent.Status.PENDING).count()
    economic = Customer.objects.filter(agreement=merchant["agreement"])
    by_email = (
        economic.annotate(e=Lower(KT("data__email"))).values("e").annotate(n=Count("id")).filter(n__gt=1)
    )
    return {
        "economic_customers": economic.count(),
        "duplicates": sum(row["n"] - 1 for row in by_email),
        "events_lost": lost,
        "events_not_final": pending,
    }


def _statuses(merchant: dict) -> dict:
    from django.db.models import Count

    from customers.models import StripeEvent

    rows = StripeEvent.objects.for_tenant(merchant["tenant"]).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


class Chaos:
    """The faults over time: kills, one Redis restart, one e-conomic outage."""

    def __init__(self, plan: Plan, stack: Stack, redis: RedisServer, rates: FaultRates, rng: random.Random):
        self.plan, self.stack, self.redis, self.rates, self.rng = plan, stack, redis, rates, rng
        self.kills, self.redis_restarts, self.last_kill = 0, 0, time.monotonic()

    def tick(self, elapsed: float) -> None:
        plan = self.plan
        if self.kills < plan.max_kills and time.monotonic() - self.last_kill >= plan.kill_every:
            self.stack.kill_worker(self.rng.randrange(len(self.stack.workers)))
            self.kills, self.last_kill = self.kills + 1, time.monotonic()
        if not self.redis_restarts and elapsed >= plan.redis_restart_at:
            self.redis.restart()
            self.redis_restarts = 1
        self.rates.outage = plan.outage_at <= elapsed < plan.outage_at + plan.outage_seconds


def run(plan: Plan) -> dict:
    logs = Path(tempfile.mkdtemp(prefix="chaos-"))
    rng = random.Random(11)
    redis = RedisServer().start()
    rates = FaultRates(unavailable=0.0, throttled=0.0, dropped_after_commit=0.0)
    from .processes import free_port

    emulator_port = free_port()
    proxy = FaultyProxy(f"http://127.0.0.1:{emulator_port}", rates).start()
    env = environment(plan, redis, proxy.port, emulator_port, logs)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncapp.settings")
    _create_database(plan.database)
    import django

    django.setup()
    from django.core.management import call_command

    say(f"migrating {plan.database}")
    call_command("migrate", verbosity=0)
    say("starting the emulators")
    emulator = gunicorn(emulator_port, env, logs / "emulators.log", threads=8)
    stack = Stack(env, logs)
    try:
        say(f"seeding {plan.customers} Stripe customers")
        merchant = setup_merchant(plan)
        say("starting web, 4 workers and beat")
        stack.start()
        say("delivering")
        return _drive(plan, stack, redis, rates, rng, merchant, logs)
    finally:
        stack.stop()
        from .processes import kill_group

        kill_group(emulator)
        proxy.stop()
        redis.stop()


def _drive(plan, stack, redis, rates, rng, merchant, logs) -> dict:
    rates.unavailable, rates.throttled, rates.dropped_after_commit = 0.10, 0.05, 0.02
    chaos = Chaos(plan, stack, redis, rates, rng)
    started = time.monotonic()
    delivery = ThreadPoolExecutor(max_workers=1).submit(
        deliver, stack.web_url, merchant["deliveries"], plan.undelivered, random.Random(5)
    )
    counts = measure(merchant)
    while time.monotonic() - started < plan.timeout:
        elapsed = time.monotonic() - started
        chaos.tick(elapsed)
        counts = measure(merchant)
        quiet = delivery.done() and not counts["events_lost"] and not counts["events_not_final"]
        if quiet and not rates.outage:
            break
        time.sleep(1)
    quiet_after = round(time.monotonic() - started, 1)
    say(f"logs in {logs}; faults injected {rates.counts}; events by status {_statuses(merchant)}")
    return {
        "stripe_customers": plan.customers,
        "expected_economic_customers": merchant["expected"],
        **{k: counts[k] for k in ("economic_customers", "duplicates", "events_lost", "events_not_final")},
        "seconds_to_quiet": quiet_after,
        "kills": chaos.kills,
        "redis_restarts": chaos.redis_restarts,
    }
