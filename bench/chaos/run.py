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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
    # Bookkeeper edits in e-conomic, one every `edit_every` seconds from `edit_from`, each of a
    # different customer already synced, straight to the emulator (not through the faulty proxy).
    edits: int = 40
    edit_from: float = 3.0
    edit_every: float = 5.0
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
            edits=6,
            edit_every=6.0,
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
        # Beat looks for due reads of e-conomic changes every 2 s (each tenant's own interval, a
        # minute here, is in its settings; e-conomic's web hook starts a read at once).
        "ECONOMIC_READ_TICK_SECONDS": "2",
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
    settings_save(tenant=tenant, user=None, document=_both_ways_document(), source="chaos")
    first_key, second_key = keys
    shoppers = Counter(emails)
    editable = []  # Stripe customers alone with their e-mail: one Stripe customer per e-conomic one
    for n, email in enumerate(emails):
        caller = control.caller_for_key(second_key if _in_second_account(n) else first_key)
        customer = services.customer_create(caller, {"email": email, "name": f"Kunde {n} ApS"})
        if shoppers[email] == 1:
            editable.append(customer["id"])
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
        "editable": editable,
    }


def _both_ways_document() -> dict:
    """The default settings, complete, with the address flowing e-conomic → Stripe (from one
    line, so it can flow back) and the phone both ways under "newest wins"; e-conomic read every
    minute (the shortest a tenant may choose; its web hook starts a read at once besides)."""
    from mappings.document import default_document
    from mappings.vocabulary import ConflictRule, Direction

    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK", layout_number=19
    )
    for mapping in document["field_mappings"]:
        if mapping["economic_field"] == "address":
            mapping.update(stripe_field="address.line1", direction=Direction.ECONOMIC_TO_STRIPE)
        if mapping["economic_field"] == "telephoneAndFaxNumber":
            mapping["direction"] = Direction.BOTH
    document["sync"].update(conflict_rule=ConflictRule.NEWEST_WINS, economic_read_minutes=1)
    return document


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


def economic_web_hook_set_up(merchant: dict, economic_url: str, web_url: str) -> None:
    """e-conomic's "Customer updated" web hook pointed at the app, as the Connections page tells
    the merchant to: each change in e-conomic (the sync's own too) is a hint to read at once."""
    import requests

    from syncapp.connections.common import Service
    from syncapp.connections.selectors import connection_for

    connection = connection_for(tenant=merchant["tenant"], service=Service.ECONOMIC)
    requests.post(
        f"{economic_url}/_control/webhook",
        json={
            "agreementNumber": merchant["agreement"].agreement_number,
            "url": web_url + connection.notification_path,
        },
        timeout=10,
    ).raise_for_status()


@dataclass
class Edit:
    number: int  # the e-conomic customer the bookkeeper changed
    stripe_customer_id: str  # the one Stripe customer linked to it
    address: str
    phone: str
    log_mark: int  # the emulator's e-conomic request log before the edit: what came after is counted
    made_at: float = field(default_factory=time.monotonic)
    seconds_to_stripe: float | None = None  # until first seen on its Stripe customer (each second)


class BookkeeperEdits:
    """A bookkeeper at work in e-conomic while the faults happen: every `edit_every` seconds the
    address and phone of a customer the sync has finished with, each edit a different customer,
    through the emulator's control API (not the faulty proxy: the edit is e-conomic's own)."""

    def __init__(self, plan: Plan, merchant: dict, economic_url: str, rng: random.Random):
        self.plan, self.merchant, self.economic_url, self.rng = plan, merchant, economic_url, rng
        self.made: list[Edit] = []

    @property
    def done(self) -> bool:
        return len(self.made) >= self.plan.edits

    def wait_for_first_read(self, timeout: float = 60) -> None:
        """Until the tenant's first read of e-conomic has set its cursor (beat sends it within
        seconds of starting): an edit before it would be the past that read starts after."""
        from customers.models import EconomicRead

        deadline = time.monotonic() + timeout
        reads = EconomicRead.objects.for_tenant(self.merchant["tenant"])
        while not reads.exclude(cursor="").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the first read of e-conomic changes set no cursor within {timeout} s")
            time.sleep(0.5)

    def tick(self, elapsed: float) -> None:
        if self.done or elapsed < self.plan.edit_from + len(self.made) * self.plan.edit_every:
            return
        target = self._settled_customer()
        if target is not None:
            self._edit(*target, elapsed)

    def _settled_customer(self) -> tuple[str, int] | None:
        """A linked customer, alone with its e-mail, with no event still pending (so no PUT of
        the Stripe side's own is still to come) and not edited before."""
        from customers.models import CustomerLink, StripeEvent

        tenant = self.merchant["tenant"]
        pending = StripeEvent.objects.for_tenant(tenant).filter(status=StripeEvent.Status.PENDING)
        candidates = list(
            CustomerLink.objects.for_tenant(tenant)
            .filter(stripe_customer_id__in=self.merchant["editable"])
            .exclude(stripe_customer_id__in=pending.values_list("stripe_customer_id", flat=True))
            .exclude(economic_customer_number__in=[edit.number for edit in self.made])
            .order_by("id")
            .values_list("stripe_customer_id", "economic_customer_number")
        )
        return self.rng.choice(candidates) if candidates else None

    def _edit(self, stripe_customer_id: str, number: int, elapsed: float) -> None:
        import requests

        from sandbox.economic_api.models import RequestLogEntry

        n = len(self.made) + 1
        edit = Edit(
            number=number,
            stripe_customer_id=stripe_customer_id,
            address=f"Bogholdervej {n}",
            phone=f"7000{n:04d}",
            log_mark=RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        )
        fields = {"address": edit.address, "telephoneAndFaxNumber": edit.phone}
        requests.post(
            f"{self.economic_url}/_control/customers/{number}",
            json={"agreementNumber": self.merchant["agreement"].agreement_number, "fields": fields},
            timeout=10,
        ).raise_for_status()
        self.made.append(edit)
        say(f"edit {n} at {elapsed:.0f} s: e-conomic customer {number} (Stripe {stripe_customer_id})")

    def measure(self) -> dict:
        """Each edit in its Stripe customer; the Stripe writes from e-conomic (first answers, not
        idempotent replays) and their records; the `customer.updated` events those writes caused,
        stored and settled (by reconciliation: the harness delivers only creations); and the
        e-conomic PUTs of an edited customer after its edit (an echo: our Stripe write bouncing back).
        Notes when each edit is first seen in Stripe."""
        from customers.models import StripeEvent, SyncRecord
        from customers.services.from_economic import TO_STRIPE_KEY_PREFIX
        from sandbox.economic_api.models import RequestLogEntry
        from sandbox.stripe_api.models import Event, RequestLog

        tenant = self.merchant["tenant"]
        in_stripe = [edit for edit in self.made if self._in_stripe(edit)]
        for edit in in_stripe:
            if edit.seconds_to_stripe is None:
                edit.seconds_to_stripe = round(time.monotonic() - edit.made_at, 1)
        writes = RequestLog.objects.filter(
            method="POST", idempotency_key__startswith=TO_STRIPE_KEY_PREFIX, status__lt=300, replayed=False
        )
        records = SyncRecord.objects.for_tenant(tenant).filter(
            direction=SyncRecord.Direction.TO_STRIPE, action=SyncRecord.Action.UPDATED_IN_STRIPE
        )
        caused = Event.objects.filter(
            type="customer.updated", payload__request__idempotency_key__startswith=TO_STRIPE_KEY_PREFIX
        ).values_list("stripe_id", flat=True)
        settled = StripeEvent.objects.for_tenant(tenant).filter(stripe_event_id__in=list(caused))
        echoes = sum(
            RequestLogEntry.objects.filter(
                id__gt=edit.log_mark, method="PUT", path=f"/sandbox/economic/customers/{edit.number}"
            ).count()
            for edit in self.made
        )
        return {
            "economic_edits": len(self.made),
            "edits_in_stripe": len(in_stripe),
            "edit_seconds_to_stripe_max": max((edit.seconds_to_stripe for edit in in_stripe), default=None),
            "edit_writes": writes.count(),
            "edit_writes_distinct": writes.values("idempotency_key").distinct().count(),
            "edit_records": records.count(),
            "edit_events": len(caused),
            "edit_events_settled": settled.exclude(status=StripeEvent.Status.PENDING).count(),
            "echoes": echoes,
        }

    @staticmethod
    def _in_stripe(edit: Edit) -> bool:
        from sandbox.stripe_api.models import Customer

        data = Customer.objects.get(stripe_id=edit.stripe_customer_id).data
        return (data.get("address") or {}).get("line1") == edit.address and data.get("phone") == edit.phone

    def quiet(self, counts: dict) -> bool:
        """Every edit made and in Stripe, and our writes' own events back and settled (so an echo
        would have happened by now)."""
        return (
            self.done
            and counts["edits_in_stripe"] == counts["economic_edits"]
            and counts["edit_events_settled"] == counts["edit_events"] >= counts["edit_writes"]
        )


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
        economic_url = f"http://127.0.0.1:{emulator_port}/sandbox/economic"
        economic_web_hook_set_up(merchant, economic_url, stack.web_url)
        edits = BookkeeperEdits(plan, merchant, economic_url, random.Random(3))
        say("waiting for the first read of e-conomic changes")
        edits.wait_for_first_read()
        say("delivering")
        return _drive(plan, stack, redis, rates, rng, merchant, edits, logs)
    finally:
        stack.stop()
        from .processes import kill_group

        kill_group(emulator)
        proxy.stop()
        redis.stop()


def _drive(plan, stack, redis, rates, rng, merchant, edits, logs) -> dict:
    rates.unavailable, rates.throttled, rates.dropped_after_commit = 0.10, 0.05, 0.02
    chaos = Chaos(plan, stack, redis, rates, rng)
    started = time.monotonic()
    delivery = ThreadPoolExecutor(max_workers=1).submit(
        deliver, stack.web_url, merchant["deliveries"], plan.undelivered, random.Random(5)
    )
    counts = {**measure(merchant), **edits.measure()}
    while time.monotonic() - started < plan.timeout:
        elapsed = time.monotonic() - started
        chaos.tick(elapsed)
        edits.tick(elapsed)
        counts = {**measure(merchant), **edits.measure()}
        quiet = delivery.done() and not counts["events_lost"] and not counts["events_not_final"]
        if quiet and not rates.outage and edits.quiet(counts):
            break
        time.sleep(1)
    quiet_after = round(time.monotonic() - started, 1)
    say(f"logs in {logs}; faults injected {rates.counts}; events by status {_statuses(merchant)}")
    say("seconds from each edit to Stripe: " + ", ".join(str(edit.seconds_to_stripe) for edit in edits.made))
    return {
        "stripe_customers": plan.customers,
        "expected_economic_customers": merchant["expected"],
        **{k: counts[k] for k in ("economic_customers", "duplicates", "events_lost", "events_not_final")},
        **{k: counts[k] for k in EDIT_COUNTS},
        "seconds_to_quiet": quiet_after,
        "kills": chaos.kills,
        "redis_restarts": chaos.redis_restarts,
    }


EDIT_COUNTS = (
    "economic_edits",
    "edits_in_stripe",
    "edit_seconds_to_stripe_max",
    "edit_writes",
    "edit_writes_distinct",
    "edit_records",
    "edit_events",
    "edit_events_settled",
    "echoes",
)


def failures(plan: Plan, result: dict) -> list[str]:
    """What the counts say went wrong (nothing: the run passed)."""
    problems = [
        f"{key} is {result[key]}"
        for key in ("duplicates", "events_lost", "events_not_final", "echoes")
        if result[key]
    ]
    if result["economic_customers"] != result["expected_economic_customers"]:
        problems.append("economic_customers is not expected_economic_customers")
    if result["economic_edits"] != plan.edits:
        problems.append(f"{result['economic_edits']} of {plan.edits} e-conomic edits made")
    # Exactly once: each edit one Stripe write (its idempotent replays aside), one record, in Stripe.
    for key in ("edits_in_stripe", "edit_writes", "edit_writes_distinct", "edit_records"):
        if result[key] != result["economic_edits"]:
            problems.append(f"{key} is {result[key]}, not economic_edits")
    if result["edit_events_settled"] != result["edit_events"]:
        problems.append("edit_events_settled is not edit_events")
    return problems
