"""The bench's emulators (bench/emulator_settings.py: their own urlconf, a few middleware) answer as
the sandbox does. The same calls go over HTTP to the test's live server (the product's settings and
urlconf, the sandbox as every other test meets it) and to a gunicorn serving the bench's settings on
the same database; status and body must be the same. Only what is new in every answer is masked:
request and log ids, log times, and each server's own address in links."""

import json
import os
import re
from collections.abc import Callable

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from bench.chaos.processes import free_port, kill_group
from bench.chaos.stack import gunicorn
from sandbox.economic_api.models import Customer
from sandbox.economic_api.seed import DEFAULT_APP_SECRET, seed_agreement

# Both servers limit e-conomic calls to this many a second per agreement (a burst of as many).
RATE = 1
FRESH = [
    (re.compile(r"req_[A-Za-z0-9]+"), "req_…"),
    (re.compile(r'"logId": "[^"]*"'), '"logId": "…"'),
    (re.compile(r'"logTime": "[^"]*"'), '"logTime": "…"'),
]


@pytest.fixture(scope="module")
def bench_emulators(django_db_setup, tmp_path_factory):
    """The bench's emulator process (as bench/stack.py starts it) on the test database."""
    database = settings.DATABASES["default"]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.emulator_settings",
        "DEBUG": "true",
        "SANDBOX_ENABLED": "true",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "SANDBOX_LATENCY_MS": "0",
        "SANDBOX_ECONOMIC_RATE_PER_SECOND": str(RATE),
    }
    process = gunicorn(port, env, tmp_path_factory.mktemp("emulators") / "gunicorn.log", threads=4)
    yield f"http://127.0.0.1:{port}/sandbox"
    kill_group(process)


@pytest.fixture
def servers(transactional_db, live_server, settings, bench_emulators) -> dict[str, str]:
    settings.SANDBOX_ECONOMIC_RATE_PER_SECOND = RATE
    return {"sandbox": f"{live_server.url}/sandbox", "bench": bench_emulators}


def answer(response: requests.Response, base: str) -> tuple[int, dict]:
    text = response.text.replace(base, "BASE")
    for pattern, mask in FRESH:
        text = pattern.sub(mask, text)
    return response.status_code, json.loads(text)


def both(servers: dict[str, str], call: Callable[[str], requests.Response]) -> dict[str, tuple[int, dict]]:
    return {name: answer(call(base), base) for name, base in servers.items()}


def test_stripe_customer_retrieve_and_update_answer_alike(servers, stripe_account):
    customer = stripe_account.create_customer(email="anna@example.dk", name="Anna ApS")
    good = {"Authorization": f"Bearer {stripe_account.api_key}"}
    bad = {"Authorization": "Bearer sk_test_not_a_key_of_anyone"}

    def url(base: str) -> str:
        return f"{base}/stripe/v1/customers/{customer['id']}"

    checks = {
        "retrieve, bad key": (lambda base: requests.get(url(base), headers=bad, timeout=10), 401),
        "retrieve": (
            lambda base: requests.get(url(base), params={"expand[]": "tax_ids"}, headers=good, timeout=10),
            200,
        ),
        "update, bad key": (
            lambda base: requests.post(url(base), data={"metadata[n]": "7"}, headers=bad, timeout=10),
            401,
        ),
        # The second server meets the change already made: the same customer, the same answer.
        "update": (
            lambda base: requests.post(url(base), data={"metadata[n]": "7"}, headers=good, timeout=10),
            200,
        ),
        "update, unknown parameter": (
            lambda base: requests.post(url(base), data={"colour": "red"}, headers=good, timeout=10),
            400,
        ),
    }
    for what, (call, status) in checks.items():
        answers = both(servers, call)
        assert answers["bench"] == answers["sandbox"], what
        assert answers["sandbox"][0] == status, (what, answers["sandbox"])
    assert answers["sandbox"][1]["error"]["param"] == "colour"


def _agreement(emails: list[str]) -> dict[str, str]:
    """A fresh agreement (each server gets one of its own, alike), its customers stamped alike."""
    token = seed_agreement(customers=4, emails=emails)
    Customer.objects.filter(agreement__grants__token=token).update(
        last_updated=timezone.now().replace(microsecond=0, second=0)
    )
    return {"X-AppSecretToken": DEFAULT_APP_SECRET, "X-AgreementGrantToken": token}


def test_economic_search_create_validation_and_rate_limit_answer_alike(servers):
    emails = ["anna@example.dk", "ANNA@example.dk bo@example.dk", "carl@example.dk"]
    # One agreement per server and per call: each call is the first of its agreement, within the
    # limit's burst; the last one's second call is over it.
    agreements = {
        call: {name: _agreement(emails) for name in servers} for call in ("search", "create", "invalid")
    }
    created = {
        "name": "Dora ApS",
        "email": "dora@example.dk",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }

    def call(kind: str, name: str, base: str) -> requests.Response:
        headers = agreements[kind][name]
        if kind == "search":
            params = {"filter": "email$like:anna@example.dk", "sort": "customerNumber", "pagesize": 1000}
            return requests.get(f"{base}/economic/customers", params=params, headers=headers, timeout=10)
        body = created if kind == "create" else {**created, "name": "", "currency": "XX"}
        return requests.post(f"{base}/economic/customers", json=body, headers=headers, timeout=10)

    seen = {}
    for kind, status in (("search", 200), ("create", 201), ("invalid", 400)):
        seen[kind] = {name: answer(call(kind, name, base), base) for name, base in servers.items()}
        if kind == "create":
            for _, body in seen[kind].values():
                body["lastUpdated"] = "…"  # the second it was created in
        assert seen[kind]["bench"] == seen[kind]["sandbox"], kind
        assert seen[kind]["sandbox"][0] == status, (kind, seen[kind]["sandbox"])
    # `$like:` finds the address among several, whatever its case (and the narrowed read kept them).
    assert [c["customerNumber"] for c in seen["search"]["sandbox"][1]["collection"]] == [1, 2]

    refused = {name: over_the_limit(call, name, base) for name, base in servers.items()}
    limited = {name: answer(response, servers[name]) for name, response in refused.items()}
    assert limited["bench"] == limited["sandbox"]
    assert limited["sandbox"][0] == 429
    assert refused["bench"].headers["Retry-After"] == refused["sandbox"].headers["Retry-After"] == "1"


def over_the_limit(call: Callable[..., requests.Response], name: str, base: str) -> requests.Response:
    """The first 429 of a few calls in a row on the agreement just called (the limit refills one
    call a second: a call delayed by a busy machine may still get in)."""
    for _ in range(5):
        response = call("invalid", name, base)
        if response.status_code == 429:
            return response
    pytest.fail(f"no 429 in 5 calls; the last answered {response.status_code}")
