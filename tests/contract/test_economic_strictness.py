"""The e-conomic emulator holds to e-conomic's real rules (issue 10), over real HTTP.

Plain `requests` against the emulator, no product client: these tests pin what the emulator
answers, so the product can be proved against it. The sets and lengths below are copied from the
reference (../shared/reference/economic-api.md), not imported from the emulator, so a rule dropped
from the emulator fails here.
"""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.economic_api.seed import DEFAULT_APP_SECRET

pytestmark = pytest.mark.django_db(transaction=True)

# The reference, "Filtering": the customers collection's filterable properties.
FILTERABLE = (
    "address", "balance", "barred", "city", "corporateIdentificationNumber", "country",
    "creditLimit", "currency", "customerNumber", "ean", "email", "lastUpdated", "name",
    "publicEntryNumber", "telephoneAndFaxNumber", "vatNumber", "website", "zip",
)  # fmt: skip
SORTABLE = tuple(name for name in FILTERABLE if name != "barred")
# Named "not filterable" by the reference, or plainly not properties of a customer record.
NOT_FILTERABLE = ("mobilePhone", "pNumber", "dueAmount", "customerGroup", "vatZone", "templates")
# The reference, "Customers": maximum text lengths.
MAX_LENGTHS = {
    "name": 255, "email": 255, "address": 510, "city": 50, "zip": 30, "country": 50,
    "corporateIdentificationNumber": 40, "telephoneAndFaxNumber": 255, "mobilePhone": 50,
    "website": 255, "publicEntryNumber": 50, "ean": 40, "vatNumber": 50,
}  # fmt: skip
ERROR_ENTRY_KEYS = {"propertyName", "errorMessage", "errorCode", "inputValue", "developerHint"}
REFERENCE_OBJECTS = [
    ("customerGroup", "customerGroupNumber"),
    ("paymentTerms", "paymentTermsNumber"),
    ("vatZone", "vatZoneNumber"),
    ("layout", "layoutNumber"),
]
NEW_CUSTOMER = {
    "name": "Nordlys Design ApS",
    "currency": "DKK",
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}


@pytest.fixture
def api_url(sandbox_urls):
    return sandbox_urls["ECONOMIC_API_URL"]


@pytest.fixture
def call(api_url, economic_agreement):
    """`call(method, path, **requests_kwargs)` with the agreement's tokens."""
    session = requests.Session()
    session.headers.update(
        {"X-AppSecretToken": DEFAULT_APP_SECRET, "X-AgreementGrantToken": economic_agreement.grant_token}
    )

    def _call(method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{api_url}{path_or_url}"
        return session.request(method, url, timeout=30, **kwargs)

    yield _call
    session.close()


@pytest.fixture
def set_faults(api_url, economic_agreement):
    """Switch faults through the emulator's control API, as the bench and chaos runs do."""

    def _set(**faults: Any) -> None:
        reply = requests.post(
            f"{api_url}/_control/faults",
            json={"agreementNumber": economic_agreement.agreement_number, **faults},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text

    return _set


def error_messages(errors: Any) -> list[str]:
    """Every errorMessage anywhere in an `errors` value (dicts and lists, any depth)."""
    if isinstance(errors, list):
        return [m for item in errors for m in error_messages(item)]
    if isinstance(errors, dict):
        own = [errors["errorMessage"]] if "errorMessage" in errors else []
        return own + [m for key, v in errors.items() if key != "errorMessage" for m in error_messages(v)]
    return []


def assert_error_body(body: dict, status: int) -> None:
    assert {"message", "errorCode", "developerHint", "logId", "httpStatusCode", "logTime"} <= set(body)
    assert body["httpStatusCode"] == status
    assert body["logId"]


def assert_names_property(response: requests.Response, name: str) -> dict:
    """A 400 in e-conomic's shape whose `errors` names `name`; returns its error entry."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert_error_body(body, 400)
    entry = body["errors"][name]["errors"][0]
    assert set(entry) == ERROR_ENTRY_KEYS
    assert entry["propertyName"] == name
    return entry


def results_count(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    return response.json()["pagination"]["results"]


# --- 1. Filterable and sortable properties ----------------------------------------------------


@pytest.mark.parametrize("name", FILTERABLE)
def test_every_filterable_property_can_be_filtered(call, economic_agreement, name):
    economic_agreement.add_customer(number=1)
    response = call("GET", "/customers", params={"filter": f"{name}$ne:$null:"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", NOT_FILTERABLE)
def test_filter_on_a_property_outside_the_set_is_400_naming_it(call, name):
    entry = assert_names_property(call("GET", "/customers", params={"filter": f"{name}$eq:x"}), name)
    assert name in entry["errorMessage"]


def test_filter_names_the_bad_property_even_inside_or_and_parentheses(call):
    response = call("GET", "/customers", params={"filter": "name$eq:a$or:(city$eq:b$and:pNumber$eq:1)"})
    assert_names_property(response, "pNumber")


# Property-like names that are not in the set; case variants of filterable names are left out
# (whether e-conomic reads property names case-insensitively is not in the reference).
_filterable_folded = {name.casefold() for name in FILTERABLE}
property_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,30}", fullmatch=True).filter(
    lambda name: name.casefold() not in _filterable_folded
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=property_names)
def test_any_property_outside_the_filterable_set_is_refused(call, name):
    # `call` only reads, so sharing it between examples is safe.
    assert_names_property(call("GET", "/customers", params={"filter": f"{name}$eq:1"}), name)
    assert_names_property(call("GET", "/customers", params={"sort": f"-{name}"}), name)


@pytest.mark.parametrize("name", SORTABLE)
def test_every_sortable_property_sorts_both_ways(call, economic_agreement, name):
    economic_agreement.add_customer(number=1)
    for sort in (name, f"-{name}", f"{name},-customerNumber"):
        response = call("GET", "/customers", params={"sort": sort})
        assert response.status_code == 200, f"{sort}: {response.text}"


@pytest.mark.parametrize("name", ["barred", "mobilePhone", "pNumber", "dueAmount"])
def test_sort_outside_the_sortable_set_is_400_naming_it(call, name):
    assert_names_property(call("GET", "/customers", params={"sort": f"name,-{name}"}), name)


# --- 2. Field lengths -------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), MAX_LENGTHS.items())
def test_text_up_to_its_limit_is_kept_and_one_more_is_refused_on_that_field(call, field, limit):
    at_limit = "x" * limit
    created = call("POST", "/customers", json={**NEW_CUSTOMER, field: at_limit})
    assert created.status_code == 201, created.text
    assert created.json()[field] == at_limit

    too_long = "y" * (limit + 1)
    entry = assert_names_property(call("POST", "/customers", json={**NEW_CUSTOMER, field: too_long}), field)
    assert entry["inputValue"] == too_long
    assert str(limit) in entry["errorMessage"]


def test_ean_has_no_pattern(call):
    for ean in ("12345", "EAN 5790000012345", "5790000012345"):
        created = call("POST", "/customers", json={**NEW_CUSTOMER, "ean": ean})
        assert created.status_code == 201, created.text
        assert created.json()["ean"] == ean


@pytest.mark.parametrize("p_number", ["", "123456789", "12345678901", "1" * 50])
def test_p_number_must_be_exactly_10(call, p_number):
    entry = assert_names_property(
        call("POST", "/customers", json={**NEW_CUSTOMER, "pNumber": p_number}), "pNumber"
    )
    assert "10" in entry["errorMessage"]


def test_p_number_of_10_is_kept(call):
    created = call("POST", "/customers", json={**NEW_CUSTOMER, "pNumber": "1234567890"})
    assert created.status_code == 201, created.text
    assert created.json()["pNumber"] == "1234567890"


@pytest.mark.parametrize("currency", ["DK", "DKKK", "DANSKE KRONER"])
def test_currency_must_be_exactly_3(call, currency):
    entry = assert_names_property(
        call("POST", "/customers", json={**NEW_CUSTOMER, "currency": currency}), "currency"
    )
    # A length error, not only "unknown currency".
    assert "exactly 3" in entry["errorMessage"]


def test_length_rules_hold_on_put_too(call):
    number = call("POST", "/customers", json=NEW_CUSTOMER).json()["customerNumber"]
    replaced = call("PUT", f"/customers/{number}", json={**NEW_CUSTOMER, "vatNumber": "v" * 51})
    assert_names_property(replaced, "vatNumber")
    assert "vatNumber" not in call("GET", f"/customers/{number}").json()


# --- 3. Nested and list-shaped validation errors ----------------------------------------------


@pytest.mark.parametrize(("field", "key"), REFERENCE_OBJECTS)
@pytest.mark.parametrize(
    ("make", "input_value"),
    [
        (lambda key: {}, None),
        (lambda key: {"number": 1}, None),
        (lambda key: {key: 9999}, 9999),
        (lambda key: {key: "1"}, "1"),
    ],
    ids=["missing", "misnamed", "unknown", "text"],
)
def test_bad_number_inside_a_reference_object_is_nested_like_the_request(call, field, key, make, input_value):
    response = call("POST", "/customers", json={**NEW_CUSTOMER, field: make(key)})
    assert response.status_code == 400, response.text
    body = response.json()
    assert_error_body(body, 400)
    nested = body["errors"][field]
    assert "errors" not in nested  # not flat on the object: one level down, under the key
    entry = nested[key]["errors"][0]
    assert set(entry) == ERROR_ENTRY_KEYS
    assert entry["propertyName"] == key
    assert entry["inputValue"] == input_value


def test_a_missing_reference_object_stays_flat_as_in_the_reference_example(call):
    payload = {k: v for k, v in NEW_CUSTOMER.items() if k != "vatZone"}
    entry = assert_names_property(call("POST", "/customers", json=payload), "vatZone")
    assert entry["inputValue"] is None


def test_several_problems_in_one_customer_are_a_dict_keyed_by_field(call):
    payload = {**NEW_CUSTOMER, "name": "", "zip": "9" * 31, "vatZone": {"vatZoneNumber": 9999}}
    response = call("POST", "/customers", json=payload)
    body = response.json()
    assert response.status_code == 400 and body["message"] == "Validation failed. 3 errors found."
    assert set(body["errors"]) == {"name", "zip", "vatZone"}
    assert body["errors"]["vatZone"]["vatZoneNumber"]["errors"][0]["inputValue"] == 9999


def test_a_list_body_gets_errors_as_a_list_one_entry_per_item(call, economic_agreement):
    valid = NEW_CUSTOMER
    invalid = {**NEW_CUSTOMER, "name": " ", "paymentTerms": {"paymentTermsNumber": 77}}
    response = call("POST", "/customers", json=[valid, invalid, "not a customer"])
    assert response.status_code == 400, response.text
    body = response.json()
    assert_error_body(body, 400)
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) == 3
    assert errors[0] == {}
    assert errors[1]["name"]["errors"][0]["propertyName"] == "name"
    assert errors[1]["paymentTerms"]["paymentTermsNumber"]["errors"][0]["inputValue"] == 77
    assert errors[2]["errors"][0]["inputValue"] == "not a customer"
    assert len(error_messages(errors)) == 3
    assert economic_agreement.customers() == []


# --- 4. 429 without Retry-After ---------------------------------------------------------------


def test_429_without_retry_after_for_a_count_of_calls(call, set_faults, economic_agreement):
    set_faults(throttle_without_retry_after=2)
    mark = economic_agreement.mark()
    for _ in range(2):
        throttled = call("GET", "/self")
        assert throttled.status_code == 429
        assert "Retry-After" not in throttled.headers
        assert_error_body(throttled.json(), 429)
    assert call("GET", "/self").status_code == 200
    log = economic_agreement.requests_since(mark)
    assert [(r.status, r.fault) for r in log] == [
        (429, "injected 429 without Retry-After"),
        (429, "injected 429 without Retry-After"),
        (200, ""),
    ]


def test_429_without_retry_after_at_a_rate(call, set_faults):
    set_faults(throttle_without_retry_after_rate=1)
    answers = [call("GET", "/customers") for _ in range(5)]
    assert [(a.status_code, "Retry-After" in a.headers) for a in answers] == [(429, False)] * 5
    set_faults(throttle_without_retry_after_rate=0)
    assert call("GET", "/customers").status_code == 200


def test_429_with_retry_after_is_kept_beside_the_bare_one(call, set_faults):
    set_faults(throttle=1, retry_after=3, throttle_without_retry_after=1)
    first, second, third = (call("GET", "/self") for _ in range(3))
    assert (first.status_code, first.headers.get("Retry-After")) == (429, "3")
    assert (second.status_code, "Retry-After" in second.headers) == (429, False)
    assert third.status_code == 200


@pytest.mark.parametrize("rate", [1.5, -0.1, "often"])
def test_bare_429_rate_outside_0_to_1_is_refused_by_the_control_api(api_url, economic_agreement, rate):
    reply = requests.post(
        f"{api_url}/_control/faults",
        json={
            "agreementNumber": economic_agreement.agreement_number,
            "throttle_without_retry_after_rate": rate,
        },
        timeout=10,
    )
    assert reply.status_code == 400


# --- 5. Paging at any size --------------------------------------------------------------------


def walk_by_customer_number(call, page_size: int = 1000) -> tuple[list[int], int]:
    """Page as the reference advises for large agreements: `customerNumber$gt:<last seen>`,
    sorted by customerNumber, always the first page. Returns (numbers, calls)."""
    seen: list[int] = []
    calls = 0
    while True:
        params = {"pagesize": page_size, "sort": "customerNumber"}
        if seen:
            params["filter"] = f"customerNumber$gt:{seen[-1]}"
        response = call("GET", "/customers", params=params)
        calls += 1
        assert response.status_code == 200, response.text
        page = [c["customerNumber"] for c in response.json()["collection"]]
        assert page == sorted(page)
        seen.extend(page)
        if len(page) < page_size:
            return seen, calls


def walk_by_next_page(call, page_size: int = 1000) -> list[int]:
    seen: list[int] = []
    url = "/customers"
    params: dict | None = {"pagesize": page_size, "sort": "customerNumber"}
    while url:
        response = call("GET", url, params=params)
        assert response.status_code == 200, response.text
        seen.extend(c["customerNumber"] for c in response.json()["collection"])
        url, params = response.json()["pagination"].get("nextPage"), None
    return seen


def test_customer_number_gt_pages_of_1000_reach_every_customer(call, economic_agreement):
    economic_agreement.add_customers(2345)
    seen, calls = walk_by_customer_number(call)
    assert seen == list(range(1, 2346))
    assert calls == 3


def test_skippages_cap_is_off_by_default_and_classic_paging_goes_past_10000(call, economic_agreement):
    economic_agreement.add_customers(10_050)
    page = call("GET", "/customers", params={"skippages": 10, "pagesize": 1000}).json()
    assert [c["customerNumber"] for c in page["collection"]] == list(range(10_001, 10_051))


@pytest.mark.long
def test_paging_cap_stops_skippages_at_10000_while_customer_number_gt_reaches_all(
    call, set_faults, economic_agreement
):
    economic_agreement.add_customers(10_050)
    set_faults(paging_cap=True)

    # Following nextPage ends quietly after the first 10 000 …
    assert walk_by_next_page(call) == list(range(1, 10_001))
    # … a page starting past them is refused, naming skippages …
    past = call("GET", "/customers", params={"skippages": 10, "pagesize": 1000})
    assert_names_property(past, "skippages")
    # … the page that crosses the cap is cut there, and `results` still tells the whole count.
    crossing = call("GET", "/customers", params={"skippages": 3333, "pagesize": 3}).json()
    assert [c["customerNumber"] for c in crossing["collection"]] == [10_000]
    assert crossing["pagination"]["results"] == 10_050 and "nextPage" not in crossing["pagination"]
    assert parse_qs(urlsplit(crossing["pagination"]["lastPage"]).query)["skippages"] == ["3333"]

    seen, _ = walk_by_customer_number(call)
    assert seen == list(range(1, 10_051))


def test_paging_cap_takes_any_number_of_items(call, set_faults, economic_agreement):
    economic_agreement.add_customers(30)
    set_faults(paging_cap=25)
    assert walk_by_next_page(call, page_size=10) == list(range(1, 26))
    assert results_count(call("GET", "/customers", params={"pagesize": 5})) == 30
