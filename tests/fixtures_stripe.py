"""Fixtures for the Stripe emulator: an account to act on, and tenants connected to it.

`stripe_account` works with `db` and `transactional_db`; webhooks are only delivered once a
transaction commits, so tests that expect deliveries need `transactional_db` (or `live_server`).
"""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from customers.models import StripeEvent
from sandbox.stripe_api import control, delivery, services
from sandbox.stripe_api.models import Account, Customer, Delivery, Event, Fault, SinkRequest, stripe_id
from sandbox.stripe_api.seed import seed_account
from syncapp.models import FIRST_STRIPE_ACCOUNT_NAME, ConnectionStatus, StripeConnection, Tenant
from tests.conftest import wait_for


@dataclass
class StripeAccount:
    """An emulator account and its `sk_test_` key, with the merchant's and Stripe's own levers."""

    api_key: str
    account: Account = field(repr=False)

    # --- the merchant in the Dashboard: writes that emit and deliver events like API calls ---
    def create_customer(self, **params: Any) -> dict:
        return control.customer_create(self.api_key, **params)

    def update_customer(self, customer_id: str, *, idempotency_key: str | None = None, **params: Any) -> dict:
        return control.customer_update(self.api_key, customer_id, idempotency_key=idempotency_key, **params)

    def retrieve_customer(self, customer_id: str) -> dict:
        """The customer as Stripe holds it now (straight from the emulator, not a logged call)."""
        return Customer.objects.get(account=self.account, stripe_id=customer_id).data

    def delete_customer(self, customer_id: str) -> dict:
        return control.customer_delete(self.api_key, customer_id)

    def add_webhook_endpoint(
        self, url: str, events: list[str] | None = None, *, api_version: str | None = None
    ) -> dict:
        """Register an endpoint (pinned to `api_version` if given); the answer holds its `secret`."""
        caller = control.caller_for_key(self.api_key)
        events = events or ["customer.created", "customer.updated", "customer.deleted"]
        params: dict[str, Any] = {"url": url, "enabled_events": events}
        if api_version:
            params["api_version"] = api_version
        return services.webhook_endpoint_create(caller, params)

    # --- keys, versions and Stripe's trouble on demand ---
    def restricted_key(self, *, livemode: bool = False, **permissions: str) -> str:
        """A new `rk_` key of this account: `restricted_key(customers="read")`; others: none."""
        return control.restricted_key_create(self.account, permissions, livemode=livemode).key

    def set_api_version(self, api_version: str) -> None:
        """The account's default API version, which new events are created in."""
        control.account_set_api_version(self.account, api_version)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """`add_fault("rate_limit", count=2, path="/v1/customers")`; see `POST /_control/faults`."""
        return control.fault_add(self.account, kind, **options)

    # --- delivery switches ---
    def set_delivery(
        self,
        *,
        duplicates: int | None = None,
        reorder_batch: int | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        control.delivery_set(
            self.account, duplicates=duplicates, reorder_batch=reorder_batch, delay_seconds=delay_seconds
        )

    def release_held(self) -> int:
        return control.release_held(self.account)

    def wait_for_deliveries(self, timeout: float = 30.0) -> None:
        delivery.wait_for_deliveries(timeout)

    # --- what happened ---
    def request_count(self, *, method: str | None = None, path: str | None = None) -> int:
        return control.request_count(self.account, method=method, path=path)

    def events(self, event_type: str | None = None) -> list[dict]:
        rows = Event.objects.filter(account=self.account).order_by("id")
        if event_type:
            rows = rows.filter(type=event_type)
        return [row.payload for row in rows]

    def delivery_statuses(self) -> list[int | None]:
        return list(
            Delivery.objects.filter(event__account=self.account)
            .order_by("id")
            .values_list("status_code", flat=True)
        )


def sink_bodies(name: str) -> list[dict]:
    """The events the webhook sink `name` received, oldest first."""
    return [json.loads(r.body) for r in SinkRequest.objects.filter(name=name).order_by("id")]


def wait_for_sink(name: str, count: int, *, timeout: float = 20.0) -> list[dict]:
    wait_for(
        lambda: SinkRequest.objects.filter(name=name).count() >= count,
        timeout=timeout,
        message=f"{count} webhooks at {name}",
    )
    return sink_bodies(name)


def first_account(tenant: Tenant) -> StripeConnection:
    """The tenant's first Stripe account (every tenant has one, connected or not)."""
    return StripeConnection.all_tenants.filter(tenant=tenant).order_by("id").first()


def stored_event(
    tenant: Tenant, event_id: str = "evt_1", customer_id: str = "cus_1", **fields: Any
) -> StripeEvent:
    """A `customer.updated` event of the tenant's first Stripe account, stored as the webhook would
    (pending, not sent to a worker): for tests that process or sweep it themselves."""
    return StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id=event_id,
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id=customer_id,
        payload={"id": event_id, "type": "customer.updated", "data": {"object": {"id": customer_id}}},
        **fields,
    )


@pytest.fixture
def stripe_account(db):
    """An emulator account with an `sk_test_` key and no customers."""
    api_key = seed_account()
    yield StripeAccount(api_key=api_key, account=control.account_for_key(api_key))
    # Deliveries still in flight would write to tables the test database is about to flush.
    delivery.wait_for_deliveries()


def connect_stripe(
    tenant: Tenant,
    api_key: str,
    *,
    webhook_secret: str | None = None,
    endpoint_id: str = "",
    name: str = FIRST_STRIPE_ACCOUNT_NAME,
) -> StripeConnection:
    """Connect one of the tenant's Stripe accounts (the first, unless `name` says another)."""
    connection, _ = StripeConnection.all_tenants.update_or_create(
        tenant=tenant,
        name=name,
        defaults={
            "api_key": api_key,
            "webhook_secret": webhook_secret or stripe_id("whsec_", 32),
            "status": ConnectionStatus.CONNECTED,
            "livemode": api_key.startswith(("sk_live_", "rk_live_")),
            "webhook_endpoint_stripe_id": endpoint_id,
        },
    )
    return connection


@pytest.fixture
def stripe_connected_tenant(tenant, stripe_account):
    """`tenant`, its StripeConnection holding the account's key and a `whsec_` secret, connected.

    No webhook endpoint points at the tenant: sign test webhooks with `connection.webhook_secret`.
    """
    connect_stripe(tenant, stripe_account.api_key)
    return tenant


@pytest.fixture
def stripe_webhooks_to_tenant(tenant, stripe_account, live_server, sandbox_urls):
    """Like `stripe_connected_tenant`, and the emulator delivers its events to the tenant's webhook
    URL on the live server, signed with the endpoint's real secret."""
    endpoint = stripe_account.add_webhook_endpoint(f"{live_server.url}{first_account(tenant).webhook_path}")
    connect_stripe(
        tenant, stripe_account.api_key, webhook_secret=endpoint["secret"], endpoint_id=endpoint["id"]
    )
    return tenant


# Our platform in the emulator, as `make run` sets it (Makefile RUN_ENV), for the tests' live server.
PLATFORM_CLIENT_ID = "ca_testSyncApp"
PLATFORM_SECRET_KEY = "sk_test_platformKeyOfTheTests"
PLATFORM_WEBHOOK_SECRET = "whsec_platformSecretOfTheTests"


def stripe_oauth_environment(live_server_url: str) -> dict[str, str]:
    """Connect with Stripe's settings pointing at the emulator on the live server (for a worker's
    environment too: the celery_worker fixture sets `worker_env` on settings as well)."""
    return {
        "STRIPE_OAUTH_ENABLED": "true",
        "STRIPE_CLIENT_ID": PLATFORM_CLIENT_ID,
        "STRIPE_PLATFORM_SECRET_KEY": PLATFORM_SECRET_KEY,
        "STRIPE_PLATFORM_WEBHOOK_SECRET": PLATFORM_WEBHOOK_SECRET,
        "STRIPE_OAUTH_AUTHORIZE_URL": f"{live_server_url}/sandbox/stripe/oauth/v2/authorize",
        "STRIPE_CONNECT_BASE": f"{live_server_url}/sandbox/stripe",
    }


@pytest.fixture
def stripe_platform(live_server, sandbox_urls, settings):
    """Connect with Stripe on, and our app and platform (with its Connect endpoint at the live
    server) registered in the emulator."""
    from sandbox.demo import sandbox_platform

    for name, value in stripe_oauth_environment(live_server.url).items():
        setattr(settings, name, value == "true" if name == "STRIPE_OAUTH_ENABLED" else value)
    yield sandbox_platform()
    delivery.wait_for_deliveries()
