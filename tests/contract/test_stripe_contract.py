"""Our Stripe client against the Stripe emulator over real HTTP: one test per reference fact.

The facts are in ../shared/reference/stripe.md; these tests keep the emulator and the client
honest about them.
"""

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sandbox.stripe_api import control, delivery
from sandbox.stripe_api.models import ApiKey, Delivery, Event, SinkRequest, WebhookEndpoint
from sandbox.stripe_api.seed import seed_account
from syncapp.clients import stripe as client
from syncapp.clients.stripe import (
    StripeAuthFailed,
    StripeClient,
    StripeInvalidSignature,
    StripeNotFound,
    StripeRejected,
    StripeThrottled,
    StripeUnavailable,
    construct_event,
)
from syncapp.models import StripeConnection
from tests.fixtures_stripe import first_account, sink_bodies, wait_for_sink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base_url(sandbox_urls):
    return sandbox_urls["STRIPE_API_BASE"]


@pytest.fixture
def make_gateway(base_url):
    made = []

    def make(api_key: str) -> StripeClient:
        made.append(StripeClient(api_key, base_url=base_url, max_network_retries=0, timeout=20))
        return made[-1]

    yield make
    # A kept-alive connection pins a live-server thread and its database session past the test.
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(stripe_account, make_gateway):
    return make_gateway(stripe_account.api_key)


@pytest.fixture
def api(stripe_account, base_url):
    """Raw HTTP against the emulator, for what the client does not expose."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stripe_account.api_key}"

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, f"{base_url}{path}", timeout=10, **kwargs)

    yield call
    session.close()


@pytest.fixture
def sink(stripe_account, live_server, request):
    """A webhook endpoint on the emulator's sink; returns (name, secret)."""
    name = request.node.name[:90]
    endpoint = stripe_account.add_webhook_endpoint(f"{live_server.url}/sandbox/stripe/_sink/{name}/")
    return name, endpoint["secret"]


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- authentication --------------------------------------------------------------------------


def test_unknown_key_is_auth_failed_and_the_message_does_not_quote_it(make_gateway):
    key = "sk_test_thisKeyDoesNotExist1234"
    gateway = make_gateway(key)
    with pytest.raises(StripeAuthFailed) as raised:
        gateway.verify()
    assert raised.value.status == 401
    assert "1234" not in str(raised.value)
    assert key[:12] not in str(raised.value)


def test_unknown_key_answers_401_with_stripes_error_body(base_url):
    response = requests.get(
        f"{base_url}/v1/customers", headers={"Authorization": "Bearer sk_test_nope0000"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_basic_auth_with_the_key_as_user_is_accepted(stripe_account, base_url):
    response = requests.get(f"{base_url}/v1/customers", auth=(stripe_account.api_key, ""), timeout=10)
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_verify_works_for_a_restricted_key(make_gateway):
    key = seed_account(api_key="rk_test_restrictedKey0001", customers=1)
    gateway = make_gateway(key)
    assert gateway.verify()["livemode"] is False


def test_livemode_follows_the_key_prefix_and_modes_do_not_share_data(stripe_account, make_gateway):
    stripe_account.create_customer(email="test-mode@example.dk")
    # Built at run time so no string in the repository looks like a real live key.
    live_key = "sk_live_" + "emulator0001"
    ApiKey.objects.create(account=stripe_account.account, key=live_key)
    live = make_gateway(live_key)
    assert live.livemode is True and make_gateway(stripe_account.api_key).livemode is False
    assert list(live.iter_customers()) == []
    control.customer_create(live_key, email="live-mode@example.dk")
    customers = list(live.iter_customers())
    assert [(c["email"], c["livemode"]) for c in customers] == [("live-mode@example.dk", True)]


# --- customers -------------------------------------------------------------------------------


def test_customer_has_the_documented_shape(stripe_account, gateway):
    created = stripe_account.create_customer(
        name="Nordlys Design ApS",
        email="bogholderi@nordlys-design.dk",
        address={"line1": "Vestergade 12", "city": "Aarhus C", "postal_code": "8000", "country": "DK"},
        metadata={"cvr": "12345678"},
    )
    customer = gateway.retrieve_customer(created["id"])
    with open("/work/shared/reference/examples/stripe-customer.json") as example:
        documented = json.load(example)
    assert set(documented) <= set(customer)
    assert customer["id"].startswith("cus_")
    assert customer["address"]["country"] == "DK"
    assert customer["address"]["line2"] is None
    assert customer["metadata"] == {"cvr": "12345678"}


def test_deleted_customer_retrieves_as_stub(stripe_account, gateway, api):
    created = stripe_account.create_customer(email="gone@example.dk")
    deleted = api("DELETE", f"/v1/customers/{created['id']}")
    assert deleted.json() == {"id": created["id"], "object": "customer", "deleted": True}
    assert gateway.retrieve_customer(created["id"]) == {
        "id": created["id"],
        "object": "customer",
        "deleted": True,
    }


def test_unknown_customer_is_404_resource_missing(gateway, api):
    response = api("GET", "/v1/customers/cus_doesnotexist")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "resource_missing",
        "id",
    )
    assert error["message"] == "No such customer: 'cus_doesnotexist'"
    with pytest.raises(StripeNotFound) as raised:
        gateway.retrieve_customer("cus_doesnotexist")
    assert raised.value.code == "resource_missing"


def test_update_changes_only_what_is_sent(stripe_account, api):
    created = stripe_account.create_customer(
        name="Havbryg ApS", email="a@havbryg.dk", phone="+45 11 22 33 44"
    )
    updated = api("POST", f"/v1/customers/{created['id']}", data={"name": "Havbryg A/S"}).json()
    assert (updated["name"], updated["email"], updated["phone"]) == (
        "Havbryg A/S",
        "a@havbryg.dk",
        "+45 11 22 33 44",
    )


def test_metadata_merges_key_by_key(stripe_account, gateway):
    created = stripe_account.create_customer(metadata={"cvr": "12345678", "segment": "b2b"})
    updated = gateway.update_metadata(
        created["id"], {"economic_customer_number": "1042"}, idempotency_key="k-merge"
    )
    assert updated["metadata"] == {"cvr": "12345678", "segment": "b2b", "economic_customer_number": "1042"}


def test_empty_metadata_value_removes_the_key(stripe_account, gateway):
    created = stripe_account.create_customer(metadata={"cvr": "12345678", "segment": "b2b"})
    updated = gateway.update_metadata(created["id"], {"segment": ""}, idempotency_key="k-remove")
    assert updated["metadata"] == {"cvr": "12345678"}


def test_empty_metadata_clears_all_keys(stripe_account, api):
    created = stripe_account.create_customer(metadata={"cvr": "12345678", "segment": "b2b"})
    response = api("POST", f"/v1/customers/{created['id']}", data="metadata=", headers=_form())
    assert response.json()["metadata"] == {}


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"k" * 41: "v"}, id="key-over-40-chars"),
        pytest.param({"note": "v" * 501}, id="value-over-500-chars"),
        pytest.param({f"key{i}": "v" for i in range(51)}, id="more-than-50-keys"),
    ],
)
def test_metadata_over_a_limit_is_rejected(stripe_account, gateway, metadata):
    created = stripe_account.create_customer(email="limits@example.dk")
    with pytest.raises(StripeRejected) as raised:
        gateway.update_metadata(created["id"], metadata, idempotency_key=f"k-{len(str(metadata))}")
    assert raised.value.status == 400


def test_metadata_key_over_40_chars_is_rejected(stripe_account, api):
    created = stripe_account.create_customer(email="limits@example.dk")
    response = api("POST", f"/v1/customers/{created['id']}", data={f"metadata[{'k' * 41}]": "v"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_metadata_key_with_square_brackets_is_rejected(stripe_account, api):
    created = stripe_account.create_customer(email="brackets@example.dk")
    response = api("POST", f"/v1/customers/{created['id']}", data="metadata[a[b]]=v", headers=_form())
    assert response.status_code == 400


def test_unknown_parameter_is_rejected(stripe_account, api):
    response = api("POST", "/v1/customers", data={"colour": "blue"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "colour"


def test_expand_tax_ids_returns_a_list_object(stripe_account, api, gateway):
    created = stripe_account.create_customer(tax_id_data=[{"type": "eu_vat", "value": "DK12345678"}])
    for expand in ("expand[]=tax_ids", "expand[0]=tax_ids"):
        body = api("GET", f"/v1/customers/{created['id']}?{expand}").json()
        assert body["tax_ids"]["object"] == "list"
        assert body["tax_ids"]["data"][0]["value"] == "DK12345678"
    assert "tax_ids" not in api("GET", f"/v1/customers/{created['id']}").json()
    # The client hands the list itself over, so settings can name `tax_ids.0.value`.
    assert gateway.retrieve_customer(created["id"])["tax_ids"][0]["value"] == "DK12345678"


def test_list_auto_paginates_newest_first(stripe_account, gateway, monkeypatch):
    for index in range(25):
        stripe_account.create_customer(email=f"c{index}@example.dk")
    deleted = stripe_account.create_customer(email="deleted@example.dk")
    stripe_account.delete_customer(deleted["id"])
    monkeypatch.setattr(client, "LIST_PAGE_SIZE", 10)
    customers = list(gateway.iter_customers())
    assert [c["email"] for c in customers] == [f"c{index}@example.dk" for index in reversed(range(25))]
    assert stripe_account.request_count(method="GET", path="/v1/customers") == 3


def test_list_pages_with_cursors_both_ways(stripe_account, api):
    ids = [stripe_account.create_customer(email=f"p{i}@example.dk")["id"] for i in range(5)]
    newest_first = list(reversed(ids))
    page = api("GET", "/v1/customers", params={"limit": 2}).json()
    assert [c["id"] for c in page["data"]] == newest_first[:2] and page["has_more"] is True
    page = api("GET", "/v1/customers", params={"limit": 2, "starting_after": newest_first[1]}).json()
    assert [c["id"] for c in page["data"]] == newest_first[2:4]
    page = api("GET", "/v1/customers", params={"limit": 2, "ending_before": newest_first[4]}).json()
    assert [c["id"] for c in page["data"]] == newest_first[2:4] and page["has_more"] is True
    assert page["url"] == "/v1/customers"


def test_list_limit_must_be_between_1_and_100(api):
    assert api("GET", "/v1/customers", params={"limit": 101}).status_code == 400
    assert api("GET", "/v1/customers", params={"limit": 0}).status_code == 400


def test_list_filters_by_exact_case_sensitive_email(stripe_account, api):
    stripe_account.create_customer(email="Anna@example.dk")
    stripe_account.create_customer(email="anna@example.dk")
    found = api("GET", "/v1/customers", params={"email": "anna@example.dk"}).json()["data"]
    assert [c["email"] for c in found] == ["anna@example.dk"]


# --- idempotency -----------------------------------------------------------------------------


def test_same_idempotency_key_replays_the_response(stripe_account, gateway, api):
    created = stripe_account.create_customer(email="idem@example.dk")
    first = gateway.update_metadata(created["id"], {"n": "1"}, idempotency_key="key-1")
    stripe_account.update_customer(created["id"], metadata={"n": "changed-meanwhile"})
    second = gateway.update_metadata(created["id"], {"n": "1"}, idempotency_key="key-1")
    assert second == first
    raw = api(
        "POST",
        f"/v1/customers/{created['id']}",
        data={"metadata[n]": "1"},
        headers={"Idempotency-Key": "key-1"},
    )
    assert raw.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_account.events("customer.updated")) == 2  # ours once, the merchant's once


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(stripe_account, gateway, api):
    created = stripe_account.create_customer(email="idem@example.dk")
    gateway.update_metadata(created["id"], {"n": "1"}, idempotency_key="key-2")
    with pytest.raises(StripeRejected):
        gateway.update_metadata(created["id"], {"n": "2"}, idempotency_key="key-2")
    raw = api(
        "POST",
        f"/v1/customers/{created['id']}",
        data={"metadata[n]": "2"},
        headers={"Idempotency-Key": "key-2"},
    )
    assert raw.status_code == 400
    assert raw.json()["error"]["type"] == "idempotency_error"


# --- webhook endpoints and signatures --------------------------------------------------------


def test_the_endpoint_we_register_speaks_our_pinned_api_version(gateway, live_server):
    created = gateway.create_webhook_endpoint(url=f"{live_server.url}/hook/", events=["customer.created"])
    assert created["api_version"] == client.API_VERSION
    assert WebhookEndpoint.objects.get(stripe_id=created["id"]).api_version == client.API_VERSION


def test_webhook_endpoint_secret_is_returned_only_at_creation(gateway, live_server, api):
    created = gateway.create_webhook_endpoint(url=f"{live_server.url}/hook/", events=["customer.created"])
    assert created["secret"].startswith("whsec_")
    listed = gateway.list_webhook_endpoints()
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api("GET", f"/v1/webhook_endpoints/{created['id']}").json()
    deleted = api("DELETE", f"/v1/webhook_endpoints/{created['id']}").json()
    assert deleted == {"id": created["id"], "object": "webhook_endpoint", "deleted": True}
    assert gateway.list_webhook_endpoints() == []


def _event_payload() -> bytes:
    return json.dumps({"id": "evt_test", "object": "event", "type": "customer.created", "data": {}}).encode()


def test_valid_signature_passes_and_returns_the_event():
    payload = _event_payload()
    event = construct_event(payload, sign(payload, "whsec_current"), ["whsec_current"])
    assert event["id"] == "evt_test" and isinstance(event, dict)


def test_signature_with_any_matching_v1_passes():
    payload = _event_payload()
    timestamp = int(time.time())
    good = sign(payload, "whsec_current", timestamp).split("v1=")[1]
    header = f"t={timestamp},v1={'0' * 64},v1={good},v0={'1' * 64}"
    assert construct_event(payload, header, ["whsec_current"])["id"] == "evt_test"


def test_any_of_several_secrets_verifies_while_one_is_rolled():
    payload = _event_payload()
    header = sign(payload, "whsec_previous")
    assert construct_event(payload, header, ["whsec_current", "whsec_previous"])["id"] == "evt_test"


def test_stale_signature_is_rejected():
    payload = _event_payload()
    header = sign(payload, "whsec_current", int(time.time()) - 301)
    with pytest.raises(StripeInvalidSignature):
        construct_event(payload, header, ["whsec_current"], tolerance=300)


def test_a_timestamp_further_in_the_future_than_the_tolerance_is_rejected():
    # Issue 20: the SDK refuses only old timestamps; we refuse future ones past the same tolerance.
    payload = _event_payload()
    header = sign(payload, "whsec_current", int(time.time()) + 3600)
    with pytest.raises(StripeInvalidSignature, match="in the future"):
        construct_event(payload, header, ["whsec_current"])
    slightly_ahead = sign(payload, "whsec_current", int(time.time()) + 60)
    assert construct_event(payload, slightly_ahead, ["whsec_current"])["id"] == "evt_test"


@pytest.mark.parametrize("header", ["", "garbage", "t=123", "v1=abc"])
def test_missing_or_malformed_signature_header_is_rejected(header):
    with pytest.raises(StripeInvalidSignature):
        construct_event(_event_payload(), header, ["whsec_current"])


def test_signature_over_a_reserialised_body_is_rejected():
    payload = _event_payload()
    header = sign(payload, "whsec_current")
    with pytest.raises(StripeInvalidSignature):
        construct_event(json.dumps(json.loads(payload), indent=2).encode(), header, ["whsec_current"])


def test_bad_json_with_a_valid_signature_is_a_value_error():
    payload = b"{not json"
    with pytest.raises(ValueError):
        construct_event(payload, sign(payload, "whsec_current"), ["whsec_current"])


# --- events and delivery ---------------------------------------------------------------------


def test_delivered_event_verifies_with_the_endpoint_secret(stripe_account, sink):
    name, secret = sink
    created = stripe_account.create_customer(email="hello@example.dk")
    wait_for_sink(name, 1)
    received = SinkRequest.objects.get(name=name)
    event = construct_event(received.body.encode(), received.headers["Stripe-Signature"], [secret])
    assert event["type"] == "customer.created"
    assert event["data"]["object"]["id"] == created["id"]
    assert Delivery.objects.get(event__stripe_id=event["id"]).status_code == 200


def test_event_carries_the_idempotency_key_of_the_causing_request(stripe_account, gateway, sink):
    name, _ = sink
    created = stripe_account.create_customer(email="echo@example.dk")
    response_key = "econ-number-acme-cus-1042"
    gateway.update_metadata(created["id"], {"economic_customer_number": "1042"}, idempotency_key=response_key)
    events = wait_for_sink(name, 2)
    updated = next(e for e in events if e["type"] == "customer.updated")
    assert updated["request"]["idempotency_key"] == response_key
    assert updated["request"]["id"].startswith("req_")


def test_update_emits_customer_updated_with_previous_attributes(stripe_account, gateway, sink):
    name, _ = sink
    created = stripe_account.create_customer(email="old@example.dk", metadata={"cvr": "12345678"})
    stripe_account.update_customer(
        created["id"], email="new@example.dk", metadata={"economic_customer_number": "7"}
    )
    events = wait_for_sink(name, 2)
    updated = next(e for e in events if e["type"] == "customer.updated")
    assert updated["data"]["object"]["email"] == "new@example.dk"
    assert updated["data"]["previous_attributes"] == {
        "email": "old@example.dk",
        "metadata": {"economic_customer_number": None},
    }
    created_event = next(e for e in events if e["type"] == "customer.created")
    assert "previous_attributes" not in created_event["data"]


def test_update_that_changes_nothing_emits_no_event(stripe_account):
    created = stripe_account.create_customer(email="same@example.dk")
    stripe_account.update_customer(created["id"], email="same@example.dk")
    assert [e["type"] for e in stripe_account.events()] == ["customer.created"]


def test_delete_emits_customer_deleted_with_the_customer_id(stripe_account, sink):
    name, _ = sink
    created = stripe_account.create_customer(email="bye@example.dk")
    stripe_account.delete_customer(created["id"])
    events = wait_for_sink(name, 2)
    # Deliveries run in their own threads, so they may arrive in either order (as Stripe's may).
    (deleted,) = [event for event in events if event["type"] == "customer.deleted"]
    assert deleted["data"]["object"]["id"] == created["id"]


def test_endpoint_gets_only_the_event_types_it_enabled(stripe_account, live_server):
    stripe_account.add_webhook_endpoint(
        f"{live_server.url}/sandbox/stripe/_sink/only-deleted/", ["customer.deleted"]
    )
    created = stripe_account.create_customer(email="x@example.dk")
    stripe_account.delete_customer(created["id"])
    stripe_account.wait_for_deliveries()
    assert [e["type"] for e in sink_bodies("only-deleted")] == ["customer.deleted"]


def test_duplicates_switch_delivers_each_event_n_times(stripe_account, sink):
    name, _ = sink
    stripe_account.set_delivery(duplicates=3)
    stripe_account.create_customer(email="dup@example.dk")
    events = wait_for_sink(name, 3)
    stripe_account.wait_for_deliveries()
    assert len({e["id"] for e in sink_bodies(name)}) == 1 and len(events) == 3


def test_reorder_switch_sends_a_batch_newest_first(stripe_account, sink):
    name, _ = sink
    stripe_account.set_delivery(reorder_batch=3)
    created = stripe_account.create_customer(email="r@example.dk")
    stripe_account.update_customer(created["id"], name="First")
    stripe_account.wait_for_deliveries()
    assert sink_bodies(name) == []  # held until the batch is full
    stripe_account.update_customer(created["id"], name="Second")
    events = wait_for_sink(name, 3)
    assert [e["type"] for e in events] == ["customer.updated", "customer.updated", "customer.created"]
    assert events[0]["data"]["object"]["name"] == "Second"


def test_release_held_sends_a_partial_batch(stripe_account, sink):
    name, _ = sink
    stripe_account.set_delivery(reorder_batch=5)
    stripe_account.create_customer(email="held@example.dk")
    stripe_account.wait_for_deliveries()
    assert stripe_account.release_held() == 1
    assert [e["type"] for e in sink_bodies(name)] == ["customer.created"]


def test_failed_delivery_is_recorded_with_its_status(stripe_account, live_server):
    stripe_account.add_webhook_endpoint(f"{live_server.url}/sandbox/stripe/_sink/failing/?status=500")
    stripe_account.create_customer(email="fail@example.dk")
    stripe_account.wait_for_deliveries()
    assert stripe_account.delivery_statuses() == [500]


def test_send_event_resends_an_event_synchronously(stripe_account, live_server):
    stripe_account.create_customer(email="again@example.dk")
    event = Event.objects.get(account=stripe_account.account)
    status = delivery.send_event(event, f"{live_server.url}/sandbox/stripe/_sink/resend/", "whsec_manual")
    assert status == 200
    assert sink_bodies("resend")[0]["id"] == event.stripe_id


def test_events_list_filters_by_type(stripe_account, api):
    created = stripe_account.create_customer(email="ev@example.dk")
    stripe_account.update_customer(created["id"], name="Renamed")
    listed = api("GET", "/v1/events", params={"types[]": "customer.updated"}).json()
    assert [e["type"] for e in listed["data"]] == ["customer.updated"]
    assert len(api("GET", "/v1/events").json()["data"]) == 2


def test_request_log_counts_calls_per_account(stripe_account, gateway, make_gateway):
    other = make_gateway(seed_account())
    gateway.verify()
    gateway.verify()
    other.verify()
    assert stripe_account.request_count(path="/v1/customers") == 2


def test_concurrent_requests_with_one_idempotency_key_apply_once(stripe_account, base_url):
    created = stripe_account.create_customer(email="race@example.dk")
    url = f"{base_url}/v1/customers/{created['id']}"
    headers = {"Authorization": f"Bearer {stripe_account.api_key}", "Idempotency-Key": "race-1"}

    def post(_):
        with requests.Session() as session:
            return session.post(url, data={"metadata[n]": "1"}, headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(post, range(4)))
    # As Stripe: a request arriving while the first still runs is refused with 409
    # `idempotency_key_in_use` (the SDK retries 409); one arriving after it gets the replay.
    answered = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert answered and len({r.text for r in answered}) == 1
    assert all(r.status_code == 409 for r in refused)
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in refused)
    assert len(stripe_account.events("customer.updated")) == 1
    retried = post(None)
    assert (retried.status_code, retried.text) == (200, answered[0].text)
    assert retried.headers["Idempotent-Replayed"] == "true"


def test_delay_switch_delivers_late(stripe_account, sink):
    name, _ = sink
    stripe_account.set_delivery(delay_seconds=1.0)
    stripe_account.create_customer(email="late@example.dk")
    assert sink_bodies(name) == []
    assert [e["type"] for e in wait_for_sink(name, 1)] == ["customer.created"]


def test_delivery_switches_can_be_set_over_http(stripe_account, api):
    response = api("POST", "/_control/delivery", data={"duplicates": "2", "reorder_batch": "4"})
    assert response.json() == {"duplicates": 2, "reorder_batch": 4, "delay_seconds": 0.0}
    stripe_account.account.refresh_from_db()
    assert stripe_account.account.delivery_duplicates == 2


def test_seed_account_creates_realistic_customers(make_gateway):
    key = seed_account(customers=12, emails=["first@example.dk"], seed=7)
    customers = list(make_gateway(key).iter_customers())
    assert len(customers) == 12
    assert customers[-1]["email"] == "first@example.dk"  # oldest, listed last
    assert all(len(c["address"]["country"]) == 2 and c["name"] for c in customers)
    assert any(c["metadata"] for c in customers)


def test_webhooks_to_tenant_fixture_registers_the_tenants_url(stripe_webhooks_to_tenant, stripe_account):
    tenant = stripe_webhooks_to_tenant
    connection = StripeConnection.objects.for_tenant(tenant).get()
    endpoint = WebhookEndpoint.objects.get(stripe_id=connection.webhook_endpoint_stripe_id)
    assert endpoint.url.endswith(first_account(tenant).webhook_path)
    assert endpoint.secret == connection.webhook_secret
    assert connection.api_key == stripe_account.api_key and connection.status == "connected"


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


# --- Stripe's retryable answers, as the client reports them ------------------------------------


@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("rate_limit", StripeThrottled, 429),
        ("api_error", StripeUnavailable, 500),
        ("lock_timeout", StripeUnavailable, 409),
    ],
)
def test_retryable_stripe_answers_are_transient_errors_with_their_request_id(
    stripe_account, gateway, kind, error, status
):
    customer = stripe_account.create_customer(email="busy@example.dk")
    stripe_account.add_fault(kind, count=1, path="/v1/customers")
    with pytest.raises(error) as caught:
        gateway.retrieve_customer(customer["id"])
    assert caught.value.status == status
    assert caught.value.request_id.startswith("req_")
    assert gateway.retrieve_customer(customer["id"])["email"] == "busy@example.dk"


def test_a_restricted_key_without_the_permission_is_refused_as_auth(stripe_account, make_gateway):
    reader = make_gateway(stripe_account.restricted_key(customers="read"))
    customer = stripe_account.create_customer(email="keep@example.dk")
    assert reader.retrieve_customer(customer["id"])["id"] == customer["id"]
    with pytest.raises(StripeAuthFailed, match="lacks a permission"):
        reader.update_metadata(customer["id"], {"n": "1"}, idempotency_key="perm-test-1")
