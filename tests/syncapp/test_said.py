"""The clients' errors as facts (`syncapp/said.py`): the English a page writes from the facts is the
client's own `message`, word for word, so support, logs and merchants read the same sentence; and
the Danish one keeps e-conomic's and Stripe's own words as they came."""

import json
from pathlib import Path

import pytest
import requests
import stripe
from django.utils import translation

from syncapp.clients.stripe import _mapped
from syncapp.connections.clients import economic_client, economic_client_for, stripe_client_for
from syncapp.connections.common import NotConnected
from syncapp.said import SERVICE_SENTENCES, error_facts, said_in_english, said_text

ROOT = Path(__file__).resolve().parents[2]


def _answer(status: int, body: dict, **headers) -> requests.Response:
    response = requests.Response()
    response.status_code, response.reason = status, "Reason"
    response._content = json.dumps(body).encode()
    response.headers.update(headers)
    return response


ECONOMIC_ANSWERS = [
    _answer(400, {"errors": {"email": {"errors": [{"errorMessage": "Email is not valid."}]}}}),
    _answer(400, {"message": "Filter not understood."}),
    _answer(401, {"message": "Grant revoked."}),
    _answer(404, {"message": "Customer not found."}),
    _answer(429, {}, **{"Retry-After": "4"}),
    _answer(429, {}),
    _answer(503, {}),
    _answer(418, {"message": "I'm a teapot."}),
]


@pytest.mark.parametrize("answer", ECONOMIC_ANSWERS, ids=lambda a: str(a.status_code))
def test_each_economic_error_reads_from_its_facts_as_the_client_wrote_it(answer):
    client = economic_client("grant", rate_key="said-test")
    try:
        error = client._error(answer)
    finally:
        client.close()
    assert error.said is not None
    assert said_in_english(error_facts(error)) == error.message


STRIPE_ERRORS = [
    stripe.AuthenticationError("Invalid API Key provided: sk_test_****", http_status=401),
    stripe.PermissionError("No permission", http_status=403),
    stripe.RateLimitError("Too many requests", http_status=429),
    stripe.APIConnectionError("Network"),
    stripe.InvalidRequestError("Busy", None, http_status=409),
    stripe.InvalidRequestError(None, "id", http_status=404),
    stripe.InvalidRequestError(None, "email", http_status=400),
    stripe.APIError(None, http_status=500),
]


@pytest.mark.parametrize("raised", STRIPE_ERRORS, ids=lambda e: type(e).__name__)
def test_each_stripe_error_reads_from_its_facts_as_the_client_wrote_it(raised):
    error = _mapped(raised)
    assert error.said is not None
    assert said_in_english(error_facts(error)) == error.message


def test_stripes_own_words_are_quoted_as_they_came_in_any_language():
    error = _mapped(
        stripe.InvalidRequestError(
            "No such customer: 'cus_9'",
            "id",
            http_status=404,
            json_body={"error": {"message": "No such customer: 'cus_9'"}},
        )
    )
    with translation.override("da"):
        assert said_text(error_facts(error)) == "No such customer: 'cus_9'"


def test_economics_own_words_stay_inside_the_danish_sentence():
    client = economic_client("grant", rate_key="said-test")
    try:
        error = client._error(_answer(401, {"message": "Grant revoked."}))
    finally:
        client.close()
    with translation.override("da"):
        assert said_text(error_facts(error)) == (
            "e-conomic afviste adgangen (Grant revoked.): forbind e-conomic igen på siden Forbindelser."
        )


@pytest.mark.django_db
def test_not_connected_reads_from_its_facts_as_it_was_raised(tenant):
    for connect in (lambda: economic_client_for(tenant), lambda: stripe_client_for(None)):
        with pytest.raises(NotConnected) as raised:
            connect()
        assert said_in_english(error_facts(raised.value)) == raised.value.message


def test_every_sentence_is_one_the_product_says():
    source = "\n".join(
        path.read_text()
        for folder in ("syncapp", "customers")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "said.py" and "migrations" not in path.parts
    )
    assert [code for code in SERVICE_SENTENCES if f'"{code}"' not in source] == []
