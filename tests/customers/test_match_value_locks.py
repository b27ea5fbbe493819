"""The match value locks and the create claims (customers/locks.py, customers/services/claims.py).

The race itself, with real workers, is in test_one_customer_per_value.py; here each rule on its
own: the lock keys, their order, the wait for an unanswered create of another Stripe customer,
its end, and an import's index learning what a live sync created after the index was read.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from customers.errors import TransientSyncError, Trouble
from customers.locks import match_value_key, match_value_locks
from customers.models import CreateClaim, CustomerLink, SyncRecord
from customers.services import customer_sync
from customers.services.claims import claims_purge, plan_value_keys
from mappings.engine import plan_customer
from mappings.match_index import MatchIndex
from mappings.selectors import sync_settings_for
from tests.factories import EconomicConnectionFactory, TenantFactory
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import connect_stripe, first_account

Action = SyncRecord.Action


def _plan(tenant, **customer):
    settings = sync_settings_for(tenant=tenant)
    return plan_customer(settings=settings, stripe_customer={"id": "cus_x", **customer})


@pytest.mark.django_db
def test_keys_are_per_agreement_and_field_and_as_economic_compares_the_value(tenant):
    configure(tenant)
    plan = _plan(tenant, email="  Anna@Firma.DK ", name="Anna")
    keys = plan_value_keys(agreement="agreement-1", plan=plan, fields={"email"})
    assert keys == [match_value_key(agreement="agreement-1", field="email", value="anna@firma.dk")]
    assert keys != plan_value_keys(agreement="agreement-2", plan=plan, fields={"email"})
    # A tenant on the agreement matching on the name too locks the created customer's name.
    with_name = plan_value_keys(agreement="agreement-1", plan=plan, fields={"email", "name"})
    assert len(with_name) == 2 and keys[0] in with_name


@pytest.mark.django_db
def test_the_key_does_not_give_the_value_away(settings):
    key = match_value_key(agreement="agreement-1", field="email", value="anna@firma.dk")
    settings.SECRET_KEY = "another-secret-key-of-enough-length-0123456789"
    assert match_value_key(agreement="agreement-1", field="email", value="anna@firma.dk") != key


@pytest.mark.django_db(transaction=True)
def test_overlapping_sets_taken_from_two_threads_in_either_order_never_deadlock():
    keys = [match_value_key(agreement="a", field="email", value=f"{n}@x.dk") for n in range(6)]
    order = []

    def hold(my_keys):
        try:
            with match_value_locks(my_keys):
                order.append(len(my_keys))
                time.sleep(0.05)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hold, args=(k,)) for k in (keys, list(reversed(keys[2:])), keys[3:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(order) == [3, 4, 6]


@pytest.mark.django_db
def test_the_locks_are_taken_all_at_once_never_nested():
    with match_value_locks([1]):
        with pytest.raises(RuntimeError, match="never nested"):
            with match_value_locks([2]):
                pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0


def _claim_in_flight(merchant, email: str, *, age: timedelta = timedelta(0)) -> CreateClaim:
    """Another Stripe customer's create of `email`, its answer not come yet (lost, or on its way)."""
    tenant = merchant.tenant
    link = CustomerLink.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_customer_id=f"cus_other_{email}",
        create_started=timezone.now(),
    )
    key = match_value_key(
        agreement=f"agreement-{merchant.economic.agreement_number}", field="email", value=email
    )
    return CreateClaim.objects.for_tenant(tenant).create(
        link=link,
        agreement=f"agreement-{merchant.economic.agreement_number}",
        value_key=key,
        started=timezone.now() - age,
    )


def test_a_create_in_flight_for_another_customer_with_the_value_makes_this_one_wait(merchant):
    _claim_in_flight(merchant, "anna@firma.dk")
    customer = merchant.stripe.create_customer(email="Anna@Firma.dk", name="Anna again")
    with pytest.raises(TransientSyncError) as waiting:
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert waiting.value.trouble == Trouble.WAITING
    assert "is being created in e-conomic at this moment" in waiting.value.message
    assert merchant.economic.customers() == []


def test_a_claim_unanswered_for_longer_than_the_wait_holds_nobody_back(merchant, settings):
    _claim_in_flight(merchant, "anna@firma.dk", age=timedelta(seconds=settings.CREATE_CLAIM_WAIT_SECONDS + 1))
    customer = merchant.stripe.create_customer(email="anna@firma.dk", name="Anna")
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert record.action == Action.CREATED


def test_a_create_claims_its_values_and_the_answer_confirms_them(merchant):
    customer = merchant.stripe.create_customer(email="bo@firma.dk", name="Bo")
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    claims = CreateClaim.objects.for_tenant(merchant.tenant).filter(link__stripe_customer_id=customer["id"])
    assert [(c.economic_customer_number, c.confirmed is not None) for c in claims] == [
        (record.economic_customer_number, True)
    ]
    # Its own claims never hold the customer itself back (a retry after a lost answer).
    again = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert again.action in (Action.UNCHANGED, Action.UPDATED)


def test_a_refused_create_drops_its_claims(merchant):
    configure(merchant.tenant, defaults={"currency": "XXX"})  # not in the agreement: 400
    customer = merchant.stripe.create_customer(email="refused@firma.dk", name="Refused")
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert record.action == Action.FAILED
    assert not CreateClaim.objects.for_tenant(merchant.tenant).exists()


def test_a_second_tenant_on_the_agreement_waits_for_the_first_ones_create(merchant):
    _claim_in_flight(merchant, "shared@firma.dk")
    other = TenantFactory()
    EconomicConnectionFactory(
        tenant=other,
        grant_token=merchant.economic.grant_token,
        agreement_number=merchant.economic.agreement_number,
    )
    configure(other)
    connect_stripe(other, merchant.stripe.api_key)
    customer = merchant.stripe.create_customer(email="shared@firma.dk", name="Shared")
    with pytest.raises(TransientSyncError):
        customer_sync(tenant=other, stripe_customer_id=customer["id"])


def test_an_import_index_learns_what_a_live_sync_created_after_it_was_read(merchant):
    index = MatchIndex(["email"])
    index.read_at = time.time() - 1  # read a second ago: e-conomic was empty then
    live = merchant.stripe.create_customer(email="cara@firma.dk", name="Cara")
    created = customer_sync(tenant=merchant.tenant, stripe_customer_id=live["id"])
    listed = merchant.stripe.create_customer(email="CARA@firma.dk", name="Cara as a guest")
    mark = merchant.economic.mark()

    record = customer_sync(
        tenant=merchant.tenant, stripe_customer_id=listed["id"], match_index=index, listed_customer=listed
    )

    assert record.action == Action.MATCHED
    assert record.economic_customer_number == created.economic_customer_number
    assert [r.method for r in merchant.economic.requests_since(mark)] == ["GET"]  # that one customer
    assert len(merchant.economic.customers()) == 1


def test_an_import_reads_nothing_for_creates_its_index_already_holds(merchant):
    index = MatchIndex(["email"])
    index.read_at = time.time() - 1
    first = merchant.stripe.create_customer(email="dan@firma.dk", name="Dan")
    customer_sync(
        tenant=merchant.tenant, stripe_customer_id=first["id"], match_index=index, listed_customer=first
    )
    second = merchant.stripe.create_customer(email="dan@firma.dk", name="Dan again")
    mark = merchant.economic.mark()
    record = customer_sync(
        tenant=merchant.tenant, stripe_customer_id=second["id"], match_index=index, listed_customer=second
    )
    assert record.action == Action.MATCHED
    assert merchant.economic_calls(mark) == 0


def test_claims_older_than_a_day_are_purged(merchant):
    old = _claim_in_flight(merchant, "old@firma.dk", age=timedelta(days=1, minutes=1))
    fresh = _claim_in_flight(merchant, "fresh@firma.dk", age=timedelta(hours=23))
    assert claims_purge() == 1
    assert list(CreateClaim.all_tenants.values_list("pk", flat=True)) == [fresh.pk]
    assert not CreateClaim.all_tenants.filter(pk=old.pk).exists()
