"""Our e-conomic client against the e-conomic emulator over real HTTP: one test per reference fact.

The facts are in ../shared/reference/economic-api.md; these tests keep the emulator and the
client honest about them.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings

from sandbox.economic_api.seed import DEFAULT_APP_PUBLIC, DEFAULT_APP_SECRET, seed_agreement
from syncapp.clients.economic import (
    PAUSE_WITHOUT_RETRY_AFTER,
    EconomicAuthFailed,
    EconomicClient,
    EconomicNotFound,
    EconomicRejected,
    EconomicThrottled,
    EconomicUnavailable,
    EconomicWriteUnconfirmed,
    escape_filter_value,
    filter_equals,
)
from syncapp.connections.clients import economic_client_for
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

NEW_CUSTOMER = {
    "name": "Nordlys Design ApS",
    "email": "bogholderi@nordlys-design.dk",
    "currency": "DKK",
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}


class RecordingLimiter:
    """Admits everything and remembers what the client asked of it."""

    def __init__(self) -> None:
        self.acquired: list[str] = []
        self.paused: list[tuple[str, float]] = []

    def acquire(self, key: str) -> None:
        self.acquired.append(key)

    def pause(self, key: str, seconds: float) -> None:
        self.paused.append((key, seconds))


@pytest.fixture
def api_url(sandbox_urls):
    return sandbox_urls["ECONOMIC_API_URL"]


@pytest.fixture
def make_client(api_url, economic_agreement):
    made: list[EconomicClient] = []

    def make(
        grant_token: str | None = None,
        *,
        app_secret: str = DEFAULT_APP_SECRET,
        timeout: float = 10.0,
        limiter: RecordingLimiter | None = None,
        base_url: str | None = None,
    ) -> EconomicClient:
        client = EconomicClient(
            economic_agreement.grant_token if grant_token is None else grant_token,
            base_url=base_url or api_url,
            app_secret_token=app_secret,
            rate_key="contract-test",
            timeout=timeout,
            limiter=limiter or RecordingLimiter(),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def raw(api_url, economic_agreement):
    """Plain HTTP against the emulator, for what the client does not expose."""
    session = requests.Session()
    session.headers.update(
        {"X-AppSecretToken": DEFAULT_APP_SECRET, "X-AgreementGrantToken": economic_agreement.grant_token}
    )

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, f"{api_url}{path}", timeout=10, **kwargs)

    yield call
    session.close()


def numbers(customers: list[dict]) -> list[int]:
    return [c["customerNumber"] for c in customers]


# --- Authentication ---------------------------------------------------------------------------


def test_self_names_the_agreement_and_company(client, economic_agreement):
    info = client.self_info()
    assert info["agreementNumber"] == economic_agreement.agreement_number
    assert info["company"]["name"] == "Testfirma ApS"
    assert info["application"]["appPublicToken"] == DEFAULT_APP_PUBLIC
    assert {"name", "email"} <= set(info["user"])


def test_unknown_grant_token_is_auth_failed_and_never_echoed(make_client):
    secret_grant = "not-a-grant-but-a-secret-1234567890"
    with pytest.raises(EconomicAuthFailed) as caught:
        make_client(secret_grant).self_info()
    assert caught.value.status == 401
    assert caught.value.log_id
    for text in (caught.value.message, str(caught.value), repr(make_client(secret_grant))):
        assert secret_grant not in text


def test_unknown_app_secret_token_is_auth_failed(make_client):
    with pytest.raises(EconomicAuthFailed) as caught:
        make_client(app_secret="some-other-app").self_info()
    assert caught.value.status == 401


def test_revoked_grant_answers_401(client, economic_agreement):
    client.self_info()
    economic_agreement.revoke()
    with pytest.raises(EconomicAuthFailed) as caught:
        client.self_info()
    assert caught.value.status == 401


def test_demo_tokens_are_read_only(make_client):
    demo = make_client("demo", app_secret="demo")
    assert demo.self_info()["company"]["name"]
    assert len(demo.search_customers("customerNumber$gt:0")) > 0
    with pytest.raises(EconomicAuthFailed) as caught:
        demo.create_customer(NEW_CUSTOMER)
    assert caught.value.status == 403


def test_write_without_json_content_type_is_415(raw):
    response = raw("POST", "/customers", data="name=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["httpStatusCode"] == 415


# --- Customers --------------------------------------------------------------------------------


def test_customer_number_is_assigned_when_left_out(client, economic_agreement):
    economic_agreement.add_customer(number=41)
    created = client.create_customer(NEW_CUSTOMER)
    assert created["customerNumber"] == 42
    assert client.get_customer(42)["name"] == "Nordlys Design ApS"


def test_created_customer_has_the_reference_shape_with_self_urls(client, api_url):
    created = client.create_customer({**NEW_CUSTOMER, "layout": {"layoutNumber": 19}})
    number = created["customerNumber"]
    assert created["self"] == f"{api_url}/customers/{number}"
    assert created["vatZone"] == {"vatZoneNumber": 1, "self": f"{api_url}/vat-zones/1"}
    assert created["layout"]["self"] == f"{api_url}/layouts/19"
    assert {"balance", "dueAmount", "lastUpdated", "contacts", "templates", "totals"} <= set(created)


def test_customer_number_given_on_create_is_kept(client):
    assert client.create_customer({**NEW_CUSTOMER, "customerNumber": 777})["customerNumber"] == 777


def test_duplicate_customer_number_is_rejected(client, economic_agreement):
    economic_agreement.add_customer(number=1042)
    with pytest.raises(EconomicRejected) as caught:
        client.create_customer({**NEW_CUSTOMER, "customerNumber": 1042})
    assert caught.value.status == 400
    assert list(caught.value.field_errors) == ["customerNumber"]
    assert "1042" in caught.value.message
    assert len(economic_agreement.customers()) == 1


@pytest.mark.parametrize("number", [0, 1_000_000_000])
def test_customer_number_outside_1_to_999999999_is_rejected(client, number):
    with pytest.raises(EconomicRejected) as caught:
        client.create_customer({**NEW_CUSTOMER, "customerNumber": number})
    assert "customerNumber" in caught.value.field_errors


@pytest.mark.parametrize("field", ["name", "currency", "customerGroup", "paymentTerms", "vatZone"])
def test_missing_required_field_is_validation_error_with_log_id(client, economic_agreement, field):
    payload = {k: v for k, v in NEW_CUSTOMER.items() if k != field}
    with pytest.raises(EconomicRejected) as caught:
        client.create_customer(payload)
    assert field in caught.value.field_errors
    assert caught.value.log_id
    assert field in caught.value.message
    assert economic_agreement.customers() == []


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 255), ("email", 255), ("address", 510), ("city", 50), ("zip", 30), ("country", 50),
     ("corporateIdentificationNumber", 40), ("mobilePhone", 50)],
)  # fmt: skip
def test_text_longer_than_its_limit_is_rejected(client, field, limit):
    client.create_customer({**NEW_CUSTOMER, field: "x" * limit})
    with pytest.raises(EconomicRejected) as caught:
        client.create_customer({**NEW_CUSTOMER, field: "x" * (limit + 1)})
    assert field in caught.value.field_errors


def test_error_log_id_is_fresh_every_time(client):
    log_ids = set()
    for _ in range(3):
        with pytest.raises(EconomicRejected) as caught:
            client.create_customer({"name": "No currency"})
        log_ids.add(caught.value.log_id)
    assert len(log_ids) == 3


def test_put_replaces_the_whole_customer(client):
    number = client.create_customer({**NEW_CUSTOMER, "city": "Aarhus C", "zip": "8000"})["customerNumber"]
    replaced = client.update_customer(number, {**NEW_CUSTOMER, "name": "Nordlys Studio ApS"})
    assert replaced["name"] == "Nordlys Studio ApS"
    assert "city" not in replaced and "zip" not in replaced
    assert "city" not in client.get_customer(number)


def test_put_with_a_missing_required_field_is_rejected(client):
    number = client.create_customer(NEW_CUSTOMER)["customerNumber"]
    with pytest.raises(EconomicRejected) as caught:
        client.update_customer(number, {"name": "Only a name"})
    assert {"currency", "vatZone"} <= set(caught.value.field_errors)


def test_unknown_customer_is_not_found(client):
    with pytest.raises(EconomicNotFound) as caught:
        client.get_customer(424242)
    assert caught.value.status == 404


def test_delete_removes_the_customer(raw, economic_agreement):
    economic_agreement.add_customer(number=5)
    assert raw("DELETE", "/customers/5").status_code == 204
    assert raw("GET", "/customers/5").status_code == 404


# --- Filtering --------------------------------------------------------------------------------


def test_filter_is_case_insensitive(client, economic_agreement):
    economic_agreement.add_customer(number=1, email="anna@firma.dk")
    assert numbers(client.search_customers(filter_equals("email", "Anna@Firma.DK"))) == [1]


def test_filter_equals_trims_the_value(client, economic_agreement):
    economic_agreement.add_customer(number=1, email="anna@firma.dk")
    assert filter_equals("email", " anna@firma.dk ") == "email$eq:anna@firma.dk"
    assert numbers(client.search_customers(filter_equals("email", " anna@firma.dk "))) == [1]


def test_email_with_several_addresses_matches_each_with_like(client, economic_agreement):
    economic_agreement.add_customer(number=1, email="anna@firma.dk bogholderi@firma.dk")
    economic_agreement.add_customer(number=2, email="ole@andet.dk")
    for address in ("anna@firma.dk", "bogholderi@firma.dk"):
        found = client.search_customers(f"email$like:{escape_filter_value(address)}")
        assert numbers(found) == [1]
    assert client.search_customers(filter_equals("email", "bogholderi@firma.dk")) == []


def test_like_without_wildcard_means_contains(client, economic_agreement):
    economic_agreement.add_customer(number=1, name="Nordlys Design ApS")
    economic_agreement.add_customer(number=2, name="Havblik ApS")
    assert numbers(client.search_customers("name$like:design")) == [1]


def test_like_wildcards_anchor_the_rest(client, economic_agreement):
    economic_agreement.add_customer(number=1, city="Newport")
    economic_agreement.add_customer(number=2, city="Portland")
    assert numbers(client.search_customers("city$like:*port")) == [1]
    assert numbers(client.search_customers("city$like:port*")) == [2]
    assert numbers(client.search_customers("city$like:*o*t*")) == [1, 2]


def test_escaped_special_characters_match_literally(client, economic_agreement):
    tricky = "Hansen & Søn (ApS), [DK] 50% *$ $and: x"
    economic_agreement.add_customer(number=1, name=tricky)
    economic_agreement.add_customer(number=2, name="Hansen & Søn")
    assert numbers(client.search_customers(filter_equals("name", tricky))) == [1]
    assert numbers(client.search_customers(f"name$like:{escape_filter_value('(ApS), [DK]')}")) == [1]


def test_and_or_with_parentheses_set_affinity(client, economic_agreement):
    economic_agreement.add_customer(number=1, name="Joe", city="Newport")
    economic_agreement.add_customer(number=2, name="Joe", city="Aarhus C")
    economic_agreement.add_customer(number=3, name="Ann", city="Newport")
    found = client.search_customers("name$eq:Joe$and:(city$like:*port$or:customerNumber$lt:2)")
    assert numbers(found) == [1]
    assert numbers(client.search_customers("name$eq:Ann$or:city$eq:aarhus c")) == [2, 3]


def test_in_and_nin_take_bracketed_lists(client, economic_agreement):
    for number in (2, 5, 7, 22):
        economic_agreement.add_customer(number=number)
    assert numbers(client.search_customers("customerNumber$in:[2,7,45]")) == [2, 7]
    assert numbers(client.search_customers("customerNumber$nin:[2,7]")) == [5, 22]


def test_in_list_over_200_values_is_rejected(client):
    values = ",".join(str(n) for n in range(1, 202))
    with pytest.raises(EconomicRejected):
        client.search_customers(f"customerNumber$in:[{values}]")


def test_null_matches_a_missing_value(client, economic_agreement):
    economic_agreement.add_customer(number=1, email=None)
    economic_agreement.add_customer(number=2, email="ole@andet.dk")
    assert numbers(client.search_customers("email$eq:$null:")) == [1]
    assert numbers(client.search_customers("email$ne:$null:")) == [2]
    assert numbers(client.search_customers("email$in:[$null:,ole@andet.dk]")) == [1, 2]


def test_number_comparisons(client, economic_agreement):
    for number in (1, 2, 3, 4):
        economic_agreement.add_customer(number=number)
    assert numbers(client.search_customers("customerNumber$gt:2")) == [3, 4]
    assert numbers(client.search_customers("customerNumber$gte:2$and:customerNumber$lte:3")) == [2, 3]


def test_filter_on_non_filterable_property_is_rejected(client):
    with pytest.raises(EconomicRejected) as caught:
        client.search_customers("templates$eq:x")
    assert caught.value.status == 400
    assert caught.value.log_id


@pytest.mark.parametrize("bad", ["name$eq:a(b", "name$zz:x", "name$eq:x$and:", "(name$eq:x", "name$eq:a$b"])
def test_malformed_filter_is_rejected(client, bad):
    with pytest.raises(EconomicRejected):
        client.search_customers(bad)


def test_sort_is_case_insensitive_and_minus_descends(raw, economic_agreement):
    for number, name in ((1, "bravo"), (2, "Alfa"), (3, "charlie")):
        economic_agreement.add_customer(number=number, name=name)
    ascending = raw("GET", "/customers", params={"sort": "name"}).json()["collection"]
    assert [c["name"] for c in ascending] == ["Alfa", "bravo", "charlie"]
    descending = raw("GET", "/customers", params={"sort": "-name"}).json()["collection"]
    assert [c["name"] for c in descending] == ["charlie", "bravo", "Alfa"]


# --- Paging -----------------------------------------------------------------------------------


def test_all_pages_are_followed(make_client, economic_agreement):
    for number in range(1, 26):
        economic_agreement.add_customer(number=number)
    limiter = RecordingLimiter()
    mark = economic_agreement.mark()
    found = list(make_client(limiter=limiter).iter_customers(page_size=10))
    assert numbers(found) == list(range(1, 26))
    assert len(economic_agreement.requests_since(mark, path="/customers")) == 3
    assert len(limiter.acquired) == 3


def test_pagination_block_and_default_page_size(raw, economic_agreement):
    for number in range(1, 46):
        economic_agreement.add_customer(number=number, city="Aarhus C" if number <= 30 else "Odense C")
    first = raw("GET", "/customers").json()
    assert len(first["collection"]) == 20
    pagination = first["pagination"]
    assert pagination["pageSize"] == 20 and pagination["maxPageSizeAllowed"] == 1000
    assert pagination["results"] == 45 and pagination["resultsWithoutFilter"] == 45
    assert parse_qs(urlsplit(pagination["nextPage"]).query)["skippages"] == ["1"]
    assert parse_qs(urlsplit(pagination["lastPage"]).query)["skippages"] == ["2"]
    last = raw("GET", "/customers", params={"skippages": 2}).json()
    assert len(last["collection"]) == 5
    assert "nextPage" not in last["pagination"]
    filtered = raw("GET", "/customers", params={"filter": "city$eq:Odense C"}).json()["pagination"]
    assert filtered["results"] == 15 and filtered["resultsWithoutFilter"] == 45
    assert "nextPage" not in filtered


def test_next_page_keeps_the_filter(make_client, economic_agreement):
    for number in range(1, 13):
        economic_agreement.add_customer(number=number, city="Aarhus C" if number % 2 else "Odense C")
    found = list(make_client().iter_customers(filter="city$eq:Aarhus C", page_size=2))
    assert numbers(found) == [1, 3, 5, 7, 9, 11]


def test_customers_are_paged_by_customer_number_not_by_skipping_pages(make_client, economic_agreement):
    for number in (3, 5, 8, 13, 21, 34, 55):
        economic_agreement.add_customer(number=number, city="Odense C" if number % 2 else "Aarhus C")
    mark = economic_agreement.mark()
    assert numbers(make_client().iter_customers(page_size=3)) == [3, 5, 8, 13, 21, 34, 55]
    queries = [parse_qs(entry.query) for entry in economic_agreement.requests_since(mark)]
    assert [q.get("filter") for q in queries] == [None, ["customerNumber$gt:8"], ["customerNumber$gt:34"]]
    assert all("skippages" not in q and q["sort"] == ["customerNumber"] for q in queries)

    mark = economic_agreement.mark()
    found = make_client().iter_customers(filter="city$eq:Odense C$or:city$eq:Aarhus C", page_size=4)
    assert numbers(found) == [3, 5, 8, 13, 21, 34, 55]
    second = parse_qs(economic_agreement.requests_since(mark)[1].query)["filter"]
    assert second == ["customerNumber$gt:13$and:(city$eq:Odense C$or:city$eq:Aarhus C)"]


def test_a_list_shaped_error_body_is_read_whole_not_a_crash(client):
    too_long = {**NEW_CUSTOMER, "name": "N" * 256, "customerGroup": {"customerGroupNumber": 999}}
    with pytest.raises(EconomicRejected) as caught:
        client.create_customer([NEW_CUSTOMER, too_long])  # an array: e-conomic answers `errors` as a list
    assert set(caught.value.field_errors) == {"name", "customerGroup.customerGroupNumber"}
    assert caught.value.log_id
    assert all(caught.value.field_errors.values())


def test_pagesize_over_1000_is_rejected(client, raw):
    assert raw("GET", "/customers", params={"pagesize": 1000}).status_code == 200
    with pytest.raises(EconomicRejected) as caught:
        list(client.iter_customers(page_size=1001))
    assert caught.value.status == 400


# --- Lists behind the defaults tab ------------------------------------------------------------


def test_lists_carry_the_reference_fields(client):
    terms = client.payment_terms()
    assert {"Netto 8 dage", "Løbende måned + 30"} <= {t["name"] for t in terms}
    assert {"paymentTermsNumber", "name", "daysOfCredit", "paymentTermsType"} <= set(terms[0])
    groups = client.customer_groups()
    assert {g["name"] for g in groups} == {"Domestic customers", "Foreign customers"}
    assert {"customerGroupNumber", "account"} <= set(groups[0])
    zones = client.vat_zones()
    assert [z["name"] for z in zones] == ["Domestic", "EU", "Abroad", "Exempt"]
    assert {"vatZoneNumber", "enabledForCustomer", "enabledForSupplier"} <= set(zones[0])
    currencies = client.currencies()
    assert {"DKK", "EUR", "USD", "SEK", "NOK"} == {c["code"] for c in currencies}
    assert {"code", "name", "isoNumber"} <= set(currencies[0])
    assert {"layoutNumber", "name"} <= set(client.layouts()[0])


def test_lists_page_like_collections(raw):
    page = raw("GET", "/payment-terms", params={"pagesize": 2}).json()
    assert len(page["collection"]) == 2
    assert page["pagination"]["results"] == 6 and "nextPage" in page["pagination"]


# --- Throttling, server trouble, lost answers -------------------------------------------------


def test_client_acquires_a_token_before_every_request(make_client):
    limiter = RecordingLimiter()
    client = make_client(limiter=limiter)
    client.self_info()
    client.create_customer(NEW_CUSTOMER)
    client.vat_zones()
    assert limiter.acquired == ["contract-test"] * 3


def test_429_raises_throttled_with_retry_after(make_client, economic_agreement):
    economic_agreement.set_faults(throttle=1, retry_after=7)
    limiter = RecordingLimiter()
    client = make_client(limiter=limiter)
    with pytest.raises(EconomicThrottled) as caught:
        client.self_info()
    assert caught.value.retry_after == 7
    assert caught.value.status == 429
    assert limiter.paused == [("contract-test", 7)]
    assert client.self_info()["agreementNumber"] == economic_agreement.agreement_number


def test_429_without_retry_after_leaves_the_wait_to_the_backoff(make_client, economic_agreement):
    economic_agreement.set_faults(throttle_without_retry_after=1)
    limiter = RecordingLimiter()
    client = make_client(limiter=limiter)
    with pytest.raises(EconomicThrottled) as caught:
        client.self_info()
    assert caught.value.retry_after is None
    assert caught.value.message == "e-conomic asked us to slow down; trying again shortly."
    # Every worker still holds this agreement's calls for a moment.
    assert limiter.paused == [("contract-test", PAUSE_WITHOUT_RETRY_AFTER)]
    assert client.self_info()["agreementNumber"] == economic_agreement.agreement_number


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_raises_unavailable(client, economic_agreement, status):
    economic_agreement.set_faults(errors=1, error_status=status)
    with pytest.raises(EconomicUnavailable) as caught:
        client.get_customer(1)
    assert caught.value.status == status
    assert caught.value.log_id


def test_dropped_connection_after_commit_on_post_is_ambiguous(client, economic_agreement):
    economic_agreement.set_faults(drop_after_commit=1)
    with pytest.raises(EconomicWriteUnconfirmed) as caught:
        client.create_customer(NEW_CUSTOMER)
    assert "check" in caught.value.message
    # The write happened although the answer was lost: searching again finds it.
    assert numbers(client.search_customers(filter_equals("email", NEW_CUSTOMER["email"]))) == [1]
    assert economic_agreement.requests_since(0, method="POST")[-1].fault == "dropped after commit"


def test_dropped_connection_after_commit_on_put_is_ambiguous(client, economic_agreement):
    number = client.create_customer(NEW_CUSTOMER)["customerNumber"]
    economic_agreement.set_faults(drop_after_commit=1)
    with pytest.raises(EconomicWriteUnconfirmed):
        client.update_customer(number, {**NEW_CUSTOMER, "name": "Renamed ApS"})
    assert client.get_customer(number)["name"] == "Renamed ApS"


def test_answer_stalled_past_the_timeout_after_commit_is_ambiguous(make_client, economic_agreement):
    economic_agreement.set_faults(stall_after_commit=1, stall_seconds=2)
    with pytest.raises(EconomicWriteUnconfirmed):
        make_client(timeout=0.5).create_customer(NEW_CUSTOMER)
    # The server goes on with the call after we gave up (on a busy machine it may not have
    # committed yet): it commits, once.
    wait_for(economic_agreement.customers, message="the stalled call's commit")
    assert len(economic_agreement.customers()) == 1


def test_read_timeout_is_unavailable(make_client, economic_agreement):
    economic_agreement.set_faults(latency=1.5)
    with pytest.raises(EconomicUnavailable):
        make_client(timeout=0.5).self_info()
    # The server goes on with the call after we gave up; let it finish inside this test.
    wait_for(lambda: economic_agreement.requests_since(0, path="/self"), message="the slow call to finish")


def test_unreachable_server_is_unavailable_even_for_a_write(make_client):
    closed = make_client(base_url="http://127.0.0.1:9/sandbox/economic", timeout=2)
    with pytest.raises(EconomicUnavailable):
        closed.create_customer(NEW_CUSTOMER)


# --- Granting access --------------------------------------------------------------------------


def _accept_grant(
    api_url: str, redirect_url: str, public_token: str = DEFAULT_APP_PUBLIC
) -> requests.Response:
    session = requests.Session()
    params = {"appPublicToken": public_token, "redirectUrl": redirect_url}
    page = session.get(f"{api_url}/requestaccess.aspx", params=params, timeout=10)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    number = re.search(r'name="agreementNumber" value="(\d+)"', page.text).group(1)
    answer = session.post(
        f"{api_url}/requestaccess.aspx",
        data={**params, "agreementNumber": number, "csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    session.close()
    return page, answer


def _callback(query: str = "") -> str:
    """The product's own e-conomic callback: the only redirect the grant page accepts (issue 20)."""
    return f"{settings.SITE_URL}/t/nordlys/connections/economic/callback/abc/{query}"


def test_grant_page_redirects_back_with_a_working_token(api_url, make_client, economic_agreement):
    page, answer = _accept_grant(api_url, _callback("?lang=da"))
    assert "Grant Stripe ↔ e-conomic sync (sandbox) access to agreement" in page.text
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/t/nordlys/connections/economic/callback/abc/" and query["lang"] == ["da"]
    info = make_client(query["token"][0]).self_info()
    assert info["agreementNumber"] == int(re.search(r"agreement (\d+)", page.text).group(1))


def test_grant_page_issues_a_new_grant_on_each_accept(api_url, make_client, economic_agreement):
    # Issue 20: a stored grant token is never handed out again; each accept is a grant of its own.
    tokens = []
    for _ in range(2):
        _, answer = _accept_grant(api_url, _callback())
        tokens.append(parse_qs(urlsplit(answer.headers["Location"]).query)["token"][0])
    assert tokens[0] != tokens[1] and economic_agreement.grant_token not in tokens
    assert all(make_client(token).self_info() for token in tokens)


def test_unknown_app_public_token_shows_an_error_page(api_url, economic_agreement):
    page = requests.get(
        f"{api_url}/requestaccess.aspx",
        params={"appPublicToken": "nobody", "redirectUrl": _callback()},
        timeout=10,
    )
    assert page.status_code == 400
    assert "not known" in page.text
    assert "Accept" not in page.text


# --- Control API for tests and benchmarks ----------------------------------------------------


def test_control_api_sets_faults_and_lists_requests(api_url, client, economic_agreement):
    other_token = seed_agreement(company_name="Andet Firma ApS")
    session = requests.Session()
    reply = session.post(
        f"{api_url}/_control/faults",
        json={"agreementNumber": economic_agreement.agreement_number, "errors": 1, "error_status": 503},
        timeout=10,
    )
    assert reply.status_code == 200
    with pytest.raises(EconomicUnavailable):
        client.self_info()
    client.self_info()
    EconomicClient(
        other_token,
        base_url=api_url,
        app_secret_token=DEFAULT_APP_SECRET,
        rate_key="other",
        timeout=10,
        limiter=RecordingLimiter(),
    ).self_info()
    log = session.get(
        f"{api_url}/_control/requests",
        params={"agreementNumber": economic_agreement.agreement_number},
        timeout=10,
    ).json()["requests"]
    session.close()
    assert [(r["path"], r["status"], r["fault"]) for r in log] == [
        ("/sandbox/economic/self", 503, "injected 503"),
        ("/sandbox/economic/self", 200, ""),
    ]


def test_connected_tenant_reaches_its_agreement_through_connections(
    sandbox_urls, economic_connected_tenant, economic_agreement
):
    client = economic_client_for(economic_connected_tenant)
    try:
        assert client.self_info()["agreementNumber"] == economic_agreement.agreement_number
    finally:
        client.close()


def test_the_emulator_limits_an_agreement_to_its_rate_when_asked(make_client, economic_agreement, settings):
    """The bench's known rate limit (sandbox/latency.py): past the burst, 429 with Retry-After."""
    settings.SANDBOX_ECONOMIC_RATE_PER_SECOND = 2
    client = make_client(limiter=RecordingLimiter())
    started, admitted = time.monotonic(), 0
    with pytest.raises(EconomicThrottled) as caught:
        for _ in range(100):
            client.self_info()
            admitted += 1
    # The burst of 2, and no more than the rate refilled while the calls took their time (none
    # on a quiet machine; a busy one can take half a second a call).
    assert 2 <= admitted <= 2 + 2 * (time.monotonic() - started)
    assert caught.value.retry_after >= 1


def test_the_emulator_restricts_an_agreement_past_its_daily_budget_when_asked(
    make_client, economic_agreement, settings, api_url
):
    """The knob (sandbox/latency.py), off by default: past the budget in 24 hours, e-conomic's
    restriction as the emulator answers it (undocumented: 429, the error body, no Retry-After)."""
    import requests

    client = make_client(limiter=RecordingLimiter())
    for _ in range(3):
        client.self_info()  # the knob is off: nothing counted, nothing refused
    settings.SANDBOX_ECONOMIC_DAILY_BUDGET = 2
    client.self_info()
    client.self_info()

    answer = requests.get(
        f"{api_url}/self",
        headers={
            "X-AppSecretToken": DEFAULT_APP_SECRET,
            "X-AgreementGrantToken": economic_agreement.grant_token,
        },
        timeout=10,
    )
    assert answer.status_code == 429
    assert "Retry-After" not in answer.headers
    assert answer.json()["errorCode"] == "E04291"
    assert "fair-use budget" in answer.json()["message"]
    with pytest.raises(EconomicThrottled) as caught:
        client.self_info()
    assert caught.value.retry_after is None
    assert [e.fault for e in economic_agreement.requests_since(0)][-2:] == ["daily budget"] * 2
