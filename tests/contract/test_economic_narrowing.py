"""The e-conomic emulator reads fewer customers for a filtered search (narrowing.py) and answers
the same: for each filter, the customers the filter admits among those read are the customers it
admits among all, and a filter that raises on a customer raises all the same."""

import pytest
from django.utils import timezone

from sandbox.economic_api.filters import FilterError, parse_filter
from sandbox.economic_api.models import Customer
from sandbox.economic_api.narrowing import customers_to_read
from sandbox.economic_api.resources import CUSTOMER_FILTERS, customer_record
from sandbox.economic_api.seed import create_agreement, customer_data

# Values that casefold unlike SQL's lower(): ß → ss, the Kelvin sign → k, the long s → s; a
# value stored as a JSON number; no value; an address among several.
STORED = [
    {"email": "anna@example.dk"},
    {"email": "ANNA@Example.DK"},
    {"email": "x@example.dk anna@example.dk"},
    {"email": "STRAßE@example.dk", "name": "Kaj \u212a"},
    {"email": "strasse@example.dk", "name": "kaj k"},
    {"email": "\u017fofie@example.dk"},
    {"email": None, "corporateIdentificationNumber": 12345678},
    {"corporateIdentificationNumber": "12345678"},
    {"email": ""},
]
FILTERS = [
    "email$eq:anna@example.dk",
    "email$like:anna@example.dk",
    "email$like:ANNA",
    "email$eq:strasse@example.dk",
    "email$like:ss",
    "email$eq:sofie@example.dk",
    "name$eq:kaj k",
    "name$like:KAJ",
    "corporateIdentificationNumber$eq:12345678",
    "corporateIdentificationNumber$like:1234",
    "email$eq:anna@example.dk$and:customerNumber$gt:1",
    "customerNumber$gt:3",
    "customerNumber$ne:2$and:email$like:example",
    "customerNumber$lte:4$or:email$eq:anna@example.dk",
    "(email$like:a$and:name$like:k)$and:customerNumber$gte:2",
    "email$like:*anna*",
    "email$eq:$null:",
    "customerNumber$eq:1$and:balance$gt:abc",
    "email$eq:nobody@example.dk$and:balance$gt:abc",
]


@pytest.fixture
def customers(db):
    agreement = create_agreement()
    for number, fields in enumerate(STORED, start=1):
        data = {key: value for key, value in {**customer_data(number), **fields}.items() if value is not None}
        Customer.objects.create(agreement=agreement, number=number, data=data, last_updated=timezone.now())
    return Customer.objects.filter(agreement=agreement).order_by("number")


def admitted(rows, text: str):
    node = parse_filter(text)
    try:
        return [row.number for row in rows if node.matches(customer_record(row))]
    except FilterError as error:
        return f"refused: {error}"


@pytest.mark.parametrize("text", FILTERS)
def test_the_customers_read_give_the_same_answer(customers, text):
    read = customers_to_read(customers, text, frozenset(CUSTOMER_FILTERS))
    assert admitted(list(read), text) == admitted(list(customers), text)


def test_a_search_by_email_reads_only_the_customers_it_may_find(customers):
    read = customers_to_read(customers, "email$like:anna@example.dk", frozenset(CUSTOMER_FILTERS))
    # The three ASCII addresses holding it, and the two non-ASCII ones Python must judge.
    assert [row.number for row in read] == [1, 2, 3, 4, 6]
    number = customers_to_read(customers, "customerNumber$gt:7", frozenset(CUSTOMER_FILTERS))
    assert [row.number for row in number] == [8, 9]
