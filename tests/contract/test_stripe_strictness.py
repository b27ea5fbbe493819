"""The Stripe emulator held to Stripe's rules (issue 10), over real HTTP with the official SDK.

Faults on demand, restricted-key permissions, idempotency keys kept 24 hours, events stamped
with their endpoint's API version and listed as `GET /v1/events` documents. Time-dependent rules
are tested by moving stored timestamps back, never by sleeping.
"""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import stripe
from django.utils import timezone

from sandbox.stripe_api import control
from sandbox.stripe_api.models import (
    ApiKey,
    Customer,
    Event,
    IdempotentRequest,
    RequestLog,
    SinkRequest,
    now_ts,
    stripe_id,
)
from sandbox.stripe_api.seed import seed_account
from tests.fixtures_stripe import sink_bodies, wait_for_sink

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_ID = re.compile(r"^req_[0-9A-Za-z]+$")
PINNED = "2026-08-26.dahlia"


@pytest.fixture
def base_url(sandbox_urls):
    return sandbox_urls["STRIPE_API_BASE"]


@pytest.fixture
def sdk(base_url) -> Iterator:
    """`sdk(key, retries=0)`: the official client pointed at the emulator."""
    made = []

    def make(api_key: str, retries: int = 0) -> stripe.StripeClient:
        http = stripe.RequestsClient(timeout=10)
        made.append(http)
        return stripe.StripeClient(
            api_key, base_addresses={"api": base_url}, max_network_retries=retries, http_client=http
        )

    yield make
    for http in made:
        http.close()


@pytest.fixture
def http(base_url) -> Iterator:
    """`http(key, method, path, **kwargs)`: a plain request to the emulator."""
    session = requests.Session()

    def call(api_key: str, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {api_key}", **kwargs.pop("headers", {})}
        return session.request(method, f"{base_url}{path}", headers=headers, timeout=10, **kwargs)

    yield call
    session.close()


def sink_url(live_server, name: str, status: int = 200) -> str:
    query = f"?status={status}" if status != 200 else ""
    return f"{live_server.url}/sandbox/stripe/_sink/{name}/{query}"


def error_of(response: requests.Response) -> dict:
    return response.json()["error"]


# --- faults: 429, 500, 409 on demand -----------------------------------------------------------


def test_rate_limit_fault_answers_429_in_stripes_shape_then_passes(stripe_account, http, sdk):
    assert http(stripe_account.api_key, "POST", "/_control/faults", data={"kind": "rate_limit"}).ok
    limited = http(stripe_account.api_key, "GET", "/v1/customers")
    assert limited.status_code == 429
    assert REQUEST_ID.match(limited.headers["Request-Id"])
    error = error_of(limited)
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert error["message"].startswith("Request rate limit exceeded")
    assert "Stripe-Should-Retry" not in limited.headers  # so the SDK does not retry it
    assert http(stripe_account.api_key, "GET", "/v1/customers").status_code == 200  # count 1: used up

    stripe_account.add_fault("rate_limit")
    with pytest.raises(stripe.RateLimitError) as raised:
        sdk(stripe_account.api_key, retries=2).v1.customers.list()
    assert raised.value.http_status == 429 and raised.value.request_id.startswith("req_")
    assert stripe_account.request_count(path="/v1/customers") == 3  # not retried by the SDK


def test_api_error_fault_answers_500_and_the_sdk_retries_it(stripe_account, sdk):
    stripe_account.add_fault("api_error", count=1)
    with pytest.raises(stripe.APIError) as raised:
        sdk(stripe_account.api_key).v1.customers.list()
    assert raised.value.http_status == 500
    error = raised.value.json_body["error"]
    assert (error["type"], error["message"]) == ("api_error", "An unknown error occurred")
    assert "code" not in error
    assert error["request_log_url"].endswith(f"/test/logs/{raised.value.request_id}")

    stripe_account.add_fault("api_error", count=1)
    assert sdk(stripe_account.api_key, retries=1).v1.customers.list().data == []
    statuses = RequestLog.objects.filter(account=stripe_account.account).order_by("id")
    assert [(r.status, r.fault) for r in statuses] == [
        (500, "api_error 500"),
        (500, "api_error 500"),
        (200, ""),
    ]


def test_lock_timeout_fault_answers_409_with_stripes_body(stripe_account, http, sdk):
    customer = stripe_account.create_customer(email="locked@example.dk")
    stripe_account.add_fault("lock_timeout", count=1, method="POST")
    locked = http(stripe_account.api_key, "POST", f"/v1/customers/{customer['id']}", data={"name": "X"})
    assert locked.status_code == 409
    assert REQUEST_ID.match(locked.headers["Request-Id"])
    assert locked.headers["Stripe-Should-Retry"] == "true"
    error = error_of(locked)
    assert (error["type"], error["code"]) == ("invalid_request_error", "lock_timeout")
    assert error["message"].startswith("This object cannot be accessed right now")

    stripe_account.add_fault("lock_timeout", count=1, status=429)
    with pytest.raises(stripe.RateLimitError) as raised:
        sdk(stripe_account.api_key).v1.customers.update(customer["id"], params={"name": "Y"})
    assert raised.value.json_body["error"]["code"] == "lock_timeout" and raised.value.http_status == 429
    # Retried (409, or Stripe-Should-Retry: true), the write then goes through once.
    stripe_account.add_fault("lock_timeout", count=1)
    updated = sdk(stripe_account.api_key, retries=1).v1.customers.update(customer["id"], params={"name": "Z"})
    assert updated.name == "Z"
    assert [e["data"]["object"]["name"] for e in stripe_account.events("customer.updated")] == ["Z"]


def test_a_faulted_write_changes_nothing_and_keeps_no_idempotent_result(stripe_account, http):
    stripe_account.add_fault("api_error", count=1, path="/v1/customers")
    headers = {"Idempotency-Key": "create-once"}
    failed = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "a@example.dk"}, headers=headers
    )
    assert failed.status_code == 500
    assert not Customer.objects.filter(account=stripe_account.account).exists()
    assert stripe_account.events() == []
    retried = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "a@example.dk"}, headers=headers
    )
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert Customer.objects.filter(account=stripe_account.account).count() == 1


def test_account_faults_hit_their_account_and_global_faults_every_account(stripe_account, http):
    other = seed_account()
    mine = http(stripe_account.api_key, "POST", "/_control/faults", data={"kind": "api_error", "count": "5"})
    assert [f["scope"] for f in mine.json()["faults"]] == ["account"]
    assert http(other, "GET", "/v1/customers").status_code == 200
    assert http(stripe_account.api_key, "GET", "/v1/customers").status_code == 500
    assert http(stripe_account.api_key, "DELETE", "/_control/faults").json() == {"faults": []}
    assert http(stripe_account.api_key, "GET", "/v1/customers").status_code == 200

    data = {"kind": "rate_limit", "rate": "1", "scope": "global"}
    assert http(other, "POST", "/_control/faults", data=data).ok
    assert http(other, "GET", "/v1/customers").status_code == 429
    assert http(stripe_account.api_key, "GET", "/v1/events").status_code == 429
    assert http(other, "DELETE", "/_control/faults", params={"scope": "global"}).ok
    assert http(stripe_account.api_key, "GET", "/v1/events").status_code == 200


def test_a_fault_count_is_used_up_exactly_under_concurrent_requests(stripe_account, base_url):
    stripe_account.add_fault("rate_limit", count=3)

    def get(_):
        with requests.Session() as session:
            headers = {"Authorization": f"Bearer {stripe_account.api_key}"}
            return session.get(f"{base_url}/v1/customers", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(get, range(10)))
    assert sorted(statuses) == [200] * 7 + [429] * 3


def test_a_rate_fault_hits_some_requests_reproducibly_with_a_seed(stripe_account, http):
    def pattern() -> list[int]:
        return [http(stripe_account.api_key, "GET", "/v1/customers").status_code for _ in range(30)]

    fault = stripe_account.add_fault("api_error", rate=0.5, seed="chaos-1")
    first = pattern()
    fault.delete()
    stripe_account.add_fault("api_error", rate=0.5, seed="chaos-1")
    assert pattern() == first
    assert 3 <= first.count(500) <= 27  # P(outside) < 1e-5 for a fair coin; the seed fixes it anyway
    assert set(first) == {200, 500}


def test_faults_can_target_a_method_and_a_path(stripe_account, http):
    stripe_account.add_fault("rate_limit", rate=1, method="POST", path="/v1/customers")
    assert http(stripe_account.api_key, "GET", "/v1/customers").status_code == 200
    assert http(stripe_account.api_key, "GET", "/v1/events").status_code == 200
    assert http(stripe_account.api_key, "POST", "/v1/customers", data={"name": "N"}).status_code == 429


@pytest.mark.parametrize(
    "data",
    [{"kind": "teapot"}, {"kind": "api_error", "status": "418"}, {"kind": "api_error", "rate": "2"}],
)
def test_control_api_refuses_a_malformed_fault(stripe_account, http, data):
    response = http(stripe_account.api_key, "POST", "/_control/faults", data=data)
    assert response.status_code == 400
    assert http(stripe_account.api_key, "GET", "/_control/faults").json() == {"faults": []}


def test_every_answer_carries_a_request_id(stripe_account, http, monkeypatch):
    key = stripe_account.api_key
    customer = stripe_account.create_customer(email="ids@example.dk")
    reader = stripe_account.restricted_key(customers="read")
    answers = {
        "200": http(key, "GET", f"/v1/customers/{customer['id']}"),
        "400": http(key, "POST", "/v1/customers", data={"nonsense": "1"}),
        "401": http("sk_test_unknownKey0000", "GET", "/v1/customers"),
        "403": http(reader, "POST", "/v1/customers", data={"name": "N"}),
        "404 object": http(key, "GET", "/v1/customers/cus_missing"),
        "404 url": http(key, "GET", "/v1/charges"),
        "control": http(key, "GET", "/_control/faults"),
    }
    http(key, "POST", "/v1/customers", data={"name": "R"}, headers={"Idempotency-Key": "ids-1"})
    answers["replay"] = http(
        key, "POST", "/v1/customers", data={"name": "R"}, headers={"Idempotency-Key": "ids-1"}
    )
    for kind in ("rate_limit", "api_error", "lock_timeout"):
        stripe_account.add_fault(kind)
        answers[kind] = http(key, "GET", "/v1/customers")

    def broken(*args, **kwargs):
        raise RuntimeError("emulator bug")

    monkeypatch.setattr("sandbox.stripe_api.services.customer_list", broken)
    answers["unexpected"] = http(key, "GET", "/v1/customers")

    assert {name: r.status_code for name, r in answers.items()} == {
        "200": 200,
        "400": 400,
        "401": 401,
        "403": 403,
        "404 object": 404,
        "404 url": 404,
        "control": 200,
        "replay": 200,
        "rate_limit": 429,
        "api_error": 500,
        "lock_timeout": 409,
        "unexpected": 500,
    }
    ids = {name: r.headers.get("Request-Id", "") for name, r in answers.items()}
    assert all(REQUEST_ID.match(i) for i in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    unexpected = error_of(answers["unexpected"])
    assert (unexpected["type"], unexpected["message"]) == ("api_error", "An unknown error occurred")
    # Errors to a known key link to the request's log, as the reference's example body does.
    not_found = error_of(answers["404 object"])
    assert not_found["request_log_url"] == f"https://dashboard.stripe.com/test/logs/{ids['404 object']}"


# --- restricted keys ---------------------------------------------------------------------------

# (resource, method, path template, the permission Stripe's message names)
ENDPOINTS = [
    ("customers", "GET", "/v1/customers", "customer_read"),
    ("customers", "POST", "/v1/customers", "customer_write"),
    ("customers", "GET", "/v1/customers/{customer}", "customer_read"),
    ("customers", "POST", "/v1/customers/{customer}", "customer_write"),
    ("customers", "DELETE", "/v1/customers/{customer}", "customer_write"),
    ("webhook_endpoints", "GET", "/v1/webhook_endpoints", "webhook_read"),
    ("webhook_endpoints", "POST", "/v1/webhook_endpoints", "webhook_write"),
    ("webhook_endpoints", "GET", "/v1/webhook_endpoints/{endpoint}", "webhook_read"),
    ("webhook_endpoints", "DELETE", "/v1/webhook_endpoints/{endpoint}", "webhook_write"),
    ("events", "GET", "/v1/events", "event_read"),
    ("events", "GET", "/v1/events/{event}", "event_read"),
]


@pytest.fixture
def objects(stripe_account, live_server) -> dict[str, str]:
    customer = stripe_account.create_customer(email="perm@example.dk")
    endpoint = stripe_account.add_webhook_endpoint(sink_url(live_server, "perm"))
    return {"customer": customer["id"], "endpoint": endpoint["id"], "event": stripe_account.events()[0]["id"]}


def _call(http, key: str, method: str, path: str, objects: dict, live_server) -> requests.Response:
    data = None
    if method == "POST":
        data = {"name": "Perm"} if "customers" in path else {"url": sink_url(live_server, "perm2")}
        if path == "/v1/webhook_endpoints":
            data["enabled_events[]"] = "customer.created"
    return http(key, method, path.format(**objects), data=data)


@pytest.mark.parametrize(("resource", "method", "path", "permission"), ENDPOINTS)
def test_restricted_key_lacking_the_permission_gets_stripes_403(
    stripe_account, http, objects, live_server, resource, method, path, permission
):
    level = "write" if method != "GET" else "read"
    weaker = {"write": "read", "read": "none"}[level]
    # Every other resource at its highest level: only the one under test is missing.
    permissions = {"customers": "write", "webhook_endpoints": "write", "events": "read", resource: weaker}
    key = stripe_account.restricted_key(**permissions)
    denied = _call(http, key, method, path, objects, live_server)
    assert denied.status_code == 403
    error = error_of(denied)
    assert error["type"] == "invalid_request_error" and "code" not in error
    assert error["message"].startswith("The provided key 'rk_test_*")
    assert "does not have the required permissions for this endpoint on account" in error["message"]
    assert (
        f"Having the 'rak_{permission}' permission would allow this request to continue." in error["message"]
    )
    assert key not in error["message"] and key[8:-6] not in error["message"]

    allowed = stripe_account.restricted_key(**{**permissions, resource: level})
    assert _call(http, allowed, method, path, objects, live_server).status_code == 200


def test_secret_key_may_call_every_endpoint(stripe_account, http, objects, live_server):
    for _, method, path, _ in sorted(ENDPOINTS, key=lambda e: e[1] == "DELETE"):  # deletes last
        response = _call(http, stripe_account.api_key, method, path, objects, live_server)
        assert response.status_code == 200, (method, path, response.text)


def test_a_refused_write_is_not_executed_and_the_sdk_raises_permission_error(stripe_account, sdk):
    reader = stripe_account.restricted_key(customers="read", events="read")
    client = sdk(reader)
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError) as raised:
        client.v1.customers.create(params={"email": "nope@example.dk"})
    assert raised.value.http_status == 403
    assert not Customer.objects.filter(account=stripe_account.account).exists()
    assert client.v1.events.list().data == []


def test_control_api_creates_restricted_keys_with_chosen_permissions(stripe_account, http):
    made = http(
        stripe_account.api_key,
        "POST",
        "/_control/keys",
        data={"permissions[customers]": "read", "permissions[events]": "read"},
    ).json()
    assert made["key"].startswith("rk_test_") and made["livemode"] is False
    assert made["permissions"] == {"customers": "read", "events": "read"}
    assert http(made["key"], "GET", "/v1/customers").status_code == 200
    assert http(made["key"], "GET", "/v1/webhook_endpoints").status_code == 403  # left out: none

    live = http(stripe_account.api_key, "POST", "/_control/keys", data={"livemode": "true"}).json()
    assert live["key"].startswith("rk_live_") and live["permissions"] == {}
    for bad in (
        {"permissions[events]": "write"},
        {"permissions[charges]": "read"},
        {"permissions[customers]": "x"},
    ):
        assert http(stripe_account.api_key, "POST", "/_control/keys", data=bad).status_code == 400


def test_a_seeded_restricted_key_has_what_the_reference_asks_merchants_for(db):
    key = seed_account(api_key="rk_test_seededRestricted0001")
    assert ApiKey.objects.get(key=key).permissions == {
        "customers": "write",
        "events": "read",
        "webhook_endpoints": "write",
    }
    narrow = seed_account(api_key="rk_test_seededRestricted0002", permissions={"customers": "read"})
    assert ApiKey.objects.get(key=narrow).permissions == {"customers": "read"}


# --- idempotency keys, kept 24 hours -----------------------------------------------------------


def _age_idempotency_keys(stripe_account, age: timedelta) -> None:
    IdempotentRequest.objects.filter(account=stripe_account.account).update(created=timezone.now() - age)


def test_replay_within_24_hours_returns_the_first_answer(stripe_account, http):
    headers = {"Idempotency-Key": "create-42"}
    first = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "i@example.dk"}, headers=headers
    )
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    _age_idempotency_keys(stripe_account, timedelta(hours=23, minutes=59))
    again = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "i@example.dk"}, headers=headers
    )
    assert (again.status_code, again.text) == (200, first.text)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Original-Request"] == first.headers["Request-Id"]
    assert again.headers["Request-Id"] != first.headers["Request-Id"]
    assert Customer.objects.filter(account=stripe_account.account).count() == 1
    assert len(stripe_account.events("customer.created")) == 1


def test_same_key_with_other_params_is_a_400_idempotency_error(stripe_account, http, sdk):
    headers = {"Idempotency-Key": "create-43"}
    http(stripe_account.api_key, "POST", "/v1/customers", data={"email": "a@example.dk"}, headers=headers)
    other = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "b@example.dk"}, headers=headers
    )
    assert other.status_code == 400
    assert error_of(other)["type"] == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        sdk(stripe_account.api_key).v1.customers.create(
            params={"email": "c@example.dk"}, options={"idempotency_key": "create-43"}
        )
    assert Customer.objects.filter(account=stripe_account.account).count() == 1


def test_a_key_older_than_24_hours_is_forgotten(stripe_account, http):
    headers = {"Idempotency-Key": "create-44"}
    first = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "a@example.dk"}, headers=headers
    )
    _age_idempotency_keys(stripe_account, timedelta(hours=24, seconds=1))
    other = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "b@example.dk"}, headers=headers
    )
    assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    _age_idempotency_keys(stripe_account, timedelta(hours=25))
    same = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "b@example.dk"}, headers=headers
    )
    assert same.status_code == 200 and "Idempotent-Replayed" not in same.headers
    assert Customer.objects.filter(account=stripe_account.account).count() == 3


def test_a_request_refused_by_validation_keeps_no_result_for_its_key(stripe_account, http):
    headers = {"Idempotency-Key": "create-45"}
    refused = http(stripe_account.api_key, "POST", "/v1/customers", data={"bogus": "1"}, headers=headers)
    assert refused.status_code == 400
    created = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "v@example.dk"}, headers=headers
    )
    assert created.status_code == 200 and "Idempotent-Replayed" not in created.headers


def test_keys_are_per_account(stripe_account, http):
    other = seed_account()
    headers = {"Idempotency-Key": "shared-key"}
    mine = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "a@example.dk"}, headers=headers
    )
    theirs = http(other, "POST", "/v1/customers", data={"email": "b@example.dk"}, headers=headers)
    assert theirs.status_code == 200 and theirs.json()["id"] != mine.json()["id"]


def test_an_idempotency_key_over_255_characters_is_refused(stripe_account, http):
    headers = {"Idempotency-Key": "k" * 256}
    response = http(
        stripe_account.api_key, "POST", "/v1/customers", data={"email": "l@example.dk"}, headers=headers
    )
    assert response.status_code == 400
    assert error_of(response)["type"] == "invalid_request_error"
    assert not Customer.objects.filter(account=stripe_account.account).exists()


# --- events: API versions, livemode, the list ----------------------------------------------------


def test_events_are_stamped_with_their_endpoints_api_version(stripe_account, sdk, live_server):
    stripe_account.set_api_version("2024-06-20")
    pinned = sdk(stripe_account.api_key).v1.webhook_endpoints.create(
        params={
            "url": sink_url(live_server, "pinned"),
            "enabled_events": ["customer.created"],
            "api_version": PINNED,
        }
    )
    unpinned = stripe_account.add_webhook_endpoint(sink_url(live_server, "unpinned"), ["customer.created"])
    assert (pinned.api_version, unpinned["api_version"]) == (PINNED, None)
    created = stripe_account.create_customer(email="v@example.dk")

    pinned_event = wait_for_sink("pinned", 1)[0]
    unpinned_event = wait_for_sink("unpinned", 1)[0]
    assert pinned_event["id"] == unpinned_event["id"]
    assert pinned_event["data"]["object"]["id"] == created["id"]
    assert pinned_event["api_version"] == PINNED
    assert unpinned_event["api_version"] == "2024-06-20"
    # Each body is signed as sent.
    for name, secret in (("pinned", pinned.secret), ("unpinned", unpinned["secret"])):
        received = SinkRequest.objects.get(name=name)
        stripe.Webhook.construct_event(received.body, received.headers["Stripe-Signature"], secret)
    # The API shows the event in the version it was created in: the account's default.
    listed = sdk(stripe_account.api_key).v1.events.list()
    assert [e.api_version for e in listed.data] == ["2024-06-20"]


def test_a_webhook_endpoint_with_a_malformed_api_version_is_refused(stripe_account, http, live_server):
    data = {
        "url": sink_url(live_server, "x"),
        "enabled_events[]": "customer.created",
        "api_version": "latest",
    }
    response = http(stripe_account.api_key, "POST", "/v1/webhook_endpoints", data=data)
    assert response.status_code == 400
    assert error_of(response)["param"] == "api_version"


def test_events_carry_the_keys_livemode_and_no_account(stripe_account, http):
    live_key = "sk_live_" + "emulator0002"  # built at run time: nothing in the repo looks like a live key
    ApiKey.objects.create(account=stripe_account.account, key=live_key)
    stripe_account.create_customer(email="test@example.dk")
    control.customer_create(live_key, email="live@example.dk")
    test_events = http(stripe_account.api_key, "GET", "/v1/events").json()["data"]
    live_events = http(live_key, "GET", "/v1/events").json()["data"]
    assert [(e["livemode"], e["data"]["object"]["email"]) for e in test_events] == [
        (False, "test@example.dk")
    ]
    assert [(e["livemode"], e["data"]["object"]["email"]) for e in live_events] == [(True, "live@example.dk")]
    assert "account" not in test_events[0] and "account" not in live_events[0]


def _stored_event(stripe_account, event_type: str, created: int) -> str:
    event = Event.objects.create(
        account=stripe_account.account,
        livemode=False,
        stripe_id=stripe_id("evt_"),
        type=event_type,
        created=created,
        payload={"object": "event", "type": event_type, "created": created, "livemode": False},
    )
    event.payload["id"] = event.stripe_id
    event.save(update_fields=["payload"])
    return event.stripe_id


@pytest.fixture
def many_events(stripe_account) -> list[str]:
    """Seven events a minute apart, oldest first, of customer and other types."""
    start = now_ts() - 3600
    types = [
        "customer.created",
        "invoice.paid",
        "customer.updated",
        "customer.subscription.created",
        "customer.deleted",
        "charge.succeeded",
        "customer.updated",
    ]
    return [_stored_event(stripe_account, t, start + 60 * i) for i, t in enumerate(types)]


def _types(page: dict) -> list[str]:
    return [e["type"] for e in page["data"]]


def test_events_list_filters_by_type_wildcard_and_types(stripe_account, http, many_events):
    key = stripe_account.api_key
    wildcard = http(key, "GET", "/v1/events", params={"type": "customer.*"}).json()
    assert _types(wildcard) == [
        "customer.updated",
        "customer.deleted",
        "customer.subscription.created",
        "customer.updated",
        "customer.created",
    ]
    exact = http(key, "GET", "/v1/events", params={"type": "customer.updated"}).json()
    assert [e["id"] for e in exact["data"]] == [many_events[6], many_events[2]]
    several = http(
        key, "GET", "/v1/events", params={"types[]": ["customer.created", "customer.deleted"]}
    ).json()
    assert _types(several) == ["customer.deleted", "customer.created"]
    both = http(
        key, "GET", "/v1/events", params={"type": "customer.created", "types[]": ["customer.deleted"]}
    )
    assert both.status_code == 400
    too_many = http(key, "GET", "/v1/events", params={"types[]": [f"x.y{i}" for i in range(21)]})
    assert too_many.status_code == 400


def test_events_list_filters_by_created(stripe_account, http, many_events):
    key = stripe_account.api_key
    third = Event.objects.get(stripe_id=many_events[2]).created
    gt = http(key, "GET", "/v1/events", params={"created[gt]": third}).json()
    gte = http(key, "GET", "/v1/events", params={"created[gte]": third}).json()
    lt = http(key, "GET", "/v1/events", params={"created[lt]": third}).json()
    assert [e["id"] for e in gt["data"]] == many_events[:2:-1]
    assert [e["id"] for e in gte["data"]] == many_events[:1:-1]
    assert [e["id"] for e in lt["data"]] == many_events[1::-1]
    assert http(key, "GET", "/v1/events", params={"created[after]": third}).status_code == 400


def test_events_list_pages_newest_first_with_both_cursors(stripe_account, http, sdk, many_events):
    key = stripe_account.api_key
    newest_first = many_events[::-1]
    first = http(key, "GET", "/v1/events", params={"limit": 3}).json()
    assert [e["id"] for e in first["data"]] == newest_first[:3] and first["has_more"] is True
    assert first["url"] == "/v1/events" and first["object"] == "list"
    second = http(key, "GET", "/v1/events", params={"limit": 3, "starting_after": newest_first[2]}).json()
    assert [e["id"] for e in second["data"]] == newest_first[3:6] and second["has_more"] is True
    last = http(key, "GET", "/v1/events", params={"limit": 3, "starting_after": newest_first[5]}).json()
    assert [e["id"] for e in last["data"]] == newest_first[6:] and last["has_more"] is False
    back = http(key, "GET", "/v1/events", params={"limit": 2, "ending_before": newest_first[3]}).json()
    assert [e["id"] for e in back["data"]] == newest_first[1:3] and back["has_more"] is True
    for limit in (0, 101):
        assert http(key, "GET", "/v1/events", params={"limit": limit}).status_code == 400
    assert http(key, "GET", "/v1/events", params={"limit": 100}).status_code == 200
    # Reconciliation: everything newer than the last event seen, oldest first, page by page.
    client = sdk(key)
    missed = client.v1.events.list(params={"ending_before": many_events[2], "limit": 2})
    assert [e.id for e in missed.auto_paging_iter()] == many_events[3:]
    every = client.v1.events.list(params={"limit": 2})
    assert [e.id for e in every.auto_paging_iter()] == newest_first


def test_events_older_than_30_days_are_gone(stripe_account, http, many_events):
    key = stripe_account.api_key
    Event.objects.filter(stripe_id=many_events[0]).update(created=now_ts() - 30 * 24 * 3600 - 60)
    Event.objects.filter(stripe_id=many_events[1]).update(created=now_ts() - 29 * 24 * 3600)
    listed = http(key, "GET", "/v1/events", params={"limit": 100}).json()
    assert [e["id"] for e in listed["data"]] == many_events[:0:-1]
    assert http(key, "GET", f"/v1/events/{many_events[0]}").status_code == 404
    assert http(key, "GET", f"/v1/events/{many_events[1]}").status_code == 200
    stale_cursor = http(key, "GET", "/v1/events", params={"starting_after": many_events[0]})
    assert stale_cursor.status_code == 404 and error_of(stale_cursor)["code"] == "resource_missing"


@pytest.mark.parametrize(
    "params", [{"customer": "cus_x"}, {"delivery_success": "maybe"}, {"expand[]": "data.request"}]
)
def test_events_list_refuses_what_stripe_refuses(stripe_account, http, params):
    response = http(stripe_account.api_key, "GET", "/v1/events", params=params)
    assert response.status_code == 400


def test_events_list_filters_by_delivery_success(stripe_account, http, live_server):
    stripe_account.add_webhook_endpoint(sink_url(live_server, "ok"), ["customer.created"])
    stripe_account.add_webhook_endpoint(sink_url(live_server, "down", 500), ["customer.updated"])
    customer = stripe_account.create_customer(email="d@example.dk")
    stripe_account.update_customer(customer["id"], name="Failing")
    stripe_account.delete_customer(customer["id"])  # no endpoint listens: nothing pending
    stripe_account.wait_for_deliveries()
    key = stripe_account.api_key
    failed = http(key, "GET", "/v1/events", params={"delivery_success": "false"}).json()
    delivered = http(key, "GET", "/v1/events", params={"delivery_success": "true"}).json()
    assert _types(failed) == ["customer.updated"]
    assert _types(delivered) == ["customer.deleted", "customer.created"]
    assert failed["data"][0]["pending_webhooks"] == 1
    assert [e["pending_webhooks"] for e in delivered["data"]] == [0, 0]
    retrieved = http(key, "GET", f"/v1/events/{failed['data'][0]['id']}").json()
    assert retrieved["pending_webhooks"] == 1


def test_an_endpoint_created_after_an_event_does_not_receive_it(stripe_account, live_server):
    stripe_account.add_webhook_endpoint(sink_url(live_server, "before"))
    stripe_account.set_delivery(reorder_batch=5)  # hold the event until released
    stripe_account.create_customer(email="early@example.dk")
    stripe_account.add_webhook_endpoint(sink_url(live_server, "after"))
    assert stripe_account.release_held() == 1
    assert [e["type"] for e in sink_bodies("before")] == ["customer.created"]
    assert sink_bodies("after") == []
