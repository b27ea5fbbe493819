"""Import of existing Stripe customers: preloaded match index, one e-conomic call per creation."""

import pytest
from django.urls import reverse

from customers.models import ImportRun
from customers.services.imports import import_run, import_start
from tests.fixtures_stripe import first_account


def _run(merchant) -> ImportRun:
    run = ImportRun.objects.for_tenant(merchant.tenant).create(
        stripe_account=first_account(merchant.tenant), started_by="test"
    )
    import_run(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_import_matches_from_the_preloaded_index_and_creates_the_rest(merchant):
    for n in range(10):
        merchant.economic.add_customer(name=f"Known {n}", email=f"known{n}@firma.dk")
    for n in range(20):
        merchant.economic.add_customer(name=f"Only in e-conomic {n}", email=f"other{n}@firma.dk")
    for n in range(10):
        merchant.stripe.create_customer(email=f"KNOWN{n}@firma.dk", name=f"Known {n}")
    for n in range(5):
        merchant.stripe.create_customer(email=f"new{n}@firma.dk", name=f"New {n}")
    mark = merchant.economic.mark()
    stripe_reads = merchant.stripe.request_count(method="GET")

    run = _run(merchant)

    assert run.status == "finished", run.message
    # Stripe: one page of the customer list; each listed customer is not fetched again.
    assert merchant.stripe.request_count(method="GET") - stripe_reads == 1
    assert run.counts == {"matched": 10, "created": 5}
    assert run.customers_seen == 15 and run.economic_customers_preloaded == 30
    # One page of 1000 to preload, then one call per created customer; none per match.
    assert merchant.economic_calls(mark, method="GET") == 1
    assert merchant.economic_calls(mark, method="POST") == 5
    assert len(merchant.economic.customers()) == 35


def test_two_stripe_customers_with_one_email_give_one_economic_customer(merchant):
    merchant.stripe.create_customer(email="twice@firma.dk", name="Twice")
    merchant.stripe.create_customer(email="twice@firma.dk", name="Twice again")
    run = _run(merchant)
    assert sorted(run.counts.items()) == [("created", 1), ("matched", 1)]
    assert len(merchant.economic.customers()) == 1


def test_importing_again_changes_nothing(merchant):
    for n in range(4):
        merchant.stripe.create_customer(email=f"c{n}@firma.dk", name=f"C{n}")
    _run(merchant)
    mark = merchant.economic.mark()
    run = _run(merchant)
    assert run.counts == {"unchanged": 4}
    assert merchant.economic_calls(mark) == 1  # the preload only


def test_import_without_economic_connection_fails_clearly(tenant, stripe_connected_tenant):
    run = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
    )
    import_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "e-conomic is not connected" in run.message


@pytest.mark.django_db
def test_only_one_import_runs_at_a_time(tenant, django_capture_on_commit_callbacks):
    import_start(tenant=tenant, started_by="a@firma.dk")
    from customers.services.imports import ImportAlreadyRunning

    with pytest.raises(ImportAlreadyRunning):
        import_start(tenant=tenant, started_by="b@firma.dk")


@pytest.mark.django_db
def test_viewer_cannot_start_an_import(viewer_client, tenant):
    assert viewer_client.post(reverse("import_start", args=[tenant.slug])).status_code == 403
    assert not ImportRun.objects.for_tenant(tenant).exists()
