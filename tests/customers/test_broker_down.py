"""A dead broker loses nothing: the webhook stores the event and answers 2xx; once the broker is
back the sweeper (beat, inside the worker) sends what the failed publish could not."""

import time

import pytest
from celery import current_app

from bench.chaos.processes import RedisServer
from customers.models import StripeEvent
from tests.conftest import wait_for
from tests.customers.test_exactly_once import all_events_settled, post_webhook
from tests.customers.webhook_helpers import customer_event

pytestmark = pytest.mark.worker


@pytest.fixture
def private_broker():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def worker_env(private_broker):
    return {"CELERY_BROKER_URL": f"{private_broker.url}/0", "SYNC_LEASE_SECONDS": "3"}


@pytest.fixture
def web_node_on(private_broker):
    """The live server (this process) publishes to the private broker, as a web node would."""
    saved = current_app.conf.broker_url

    def use(url: str) -> None:
        current_app.conf.broker_url = url
        current_app._pool = None
        current_app.amqp._producer_pool = None

    use(f"{private_broker.url}/0")
    yield
    use(saved)


def test_webhook_with_the_broker_stopped_answers_200_and_the_event_is_sent_later(
    merchant, live_server, private_broker, worker_env, web_node_on, settings, request
):
    settings.SYNC_LEASE_SECONDS = 3
    customer = merchant.stripe.create_customer(email="nobroker@firma.dk", name="No Broker ApS")
    private_broker.stop()

    started = time.monotonic()
    status = post_webhook(
        live_server, merchant.tenant, customer_event(customer["id"], event_id="evt_nobroker")
    )
    assert status == 200
    assert time.monotonic() - started < 5  # the failed publish gives up fast
    event = StripeEvent.objects.for_tenant(merchant.tenant).get()
    assert event.status == StripeEvent.Status.PENDING

    private_broker.start()  # empty: the message was never published
    request.getfixturevalue("celery_worker")
    wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=40, message="the sweeper sent it")
    assert len(merchant.economic.customers()) == 1
