"""What a sync stores about what went wrong reads in each member's language: a record's warnings
and blocking error, a paused connection's reason and the connection's error, an event's error.

Each is made through the product's own path against the emulators (the sync, event processing,
e-conomic refusing a revoked grant or asking us to slow down) and read by a Danish and an
English member of the same merchant. What e-conomic said in its own words is shown as it came,
inside the translated sentence. Rows from before the facts show what they stored.
"""

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from customers.models import ConnectionPause, StripeEvent, SyncRecord
from customers.services import event_process
from customers.services.sync import customer_sync
from syncapp.models import EconomicConnection, Profile
from tests.factories import MembershipFactory
from tests.fixtures_merchant import Merchant
from tests.fixtures_stripe import first_account

Action = SyncRecord.Action


def _readers(tenant) -> dict[str, Client]:
    """A Danish and an English member of the merchant, each logged in on their own device."""
    readers = {}
    for language in ("da", "en"):
        member = MembershipFactory(tenant=tenant, role="owner").user
        Profile.objects.update_or_create(user=member, defaults={"language": language})
        readers[language] = Client()
        readers[language].force_login(member)
    return readers


def _page(client: Client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def _event(merchant: Merchant, customer_id: str, event_id: str) -> StripeEvent:
    # As the webhook stores it (the worker is not running: the test processes it itself).
    return StripeEvent.objects.for_tenant(merchant.tenant).create(
        stripe_account=first_account(merchant.tenant),
        stripe_event_id=event_id,
        type="customer.created",
        stripe_created=timezone.now(),
        stripe_customer_id=customer_id,
        payload={"id": event_id},
    )


def test_a_records_warnings_and_blocking_error_read_in_each_members_language(merchant):
    readers = _readers(merchant.tenant)
    long_name = merchant.stripe.create_customer(email="lang@firma.dk", name="N" * 300)
    no_email = merchant.stripe.create_customer(name="Uden E-mail")

    created = customer_sync(tenant=merchant.tenant, stripe_customer_id=long_name["id"])
    failed = customer_sync(tenant=merchant.tenant, stripe_customer_id=no_email["id"])

    assert created.action == Action.CREATED and failed.action == Action.FAILED
    # Stored as facts (the fields' API names, no sentence), the English kept for support.
    assert created.warnings == [
        {
            "code": "value_cut",
            "values": {"economic_name": "name", "stripe_path": "name", "length": 300, "most": 255},
        }
    ]
    assert failed.facts[0]["code"] == "match_value_missing"
    assert "has no email, and email is your match field (rule 1)" in failed.message

    danish = _page(readers["da"], "sync_record", merchant.tenant.slug, created.pk)
    english = _page(readers["en"], "sync_record", merchant.tenant.slug, created.pk)
    assert (
        "Navn fra Stripe (name) er på 300 tegn, og e-conomic tillader 255: det er afkortet til 255." in danish
    )
    assert "Name from Stripe (name) is 300 characters and e-conomic allows 255: it was cut to 255." in english
    assert "is 300 characters" not in danish

    danish = _page(readers["da"], "sync_record", merchant.tenant.slug, failed.pk)
    english = _page(readers["en"], "sync_record", merchant.tenant.slug, failed.pk)
    assert f"Stripe-kunden {no_email['id']} har ingen email, og email er dit matchfelt (regel 1)" in danish
    assert f"Stripe customer {no_email['id']} has no email, and email is your match field (rule 1)" in english
    # The sync log's list says the same.
    assert "det er afkortet til 255" in _page(readers["da"], "sync_log", merchant.tenant.slug)


def test_a_refused_grant_pauses_and_fails_the_connection_in_each_members_language(merchant):
    readers = _readers(merchant.tenant)
    merchant.economic.revoke()
    customer = merchant.stripe.create_customer(email="pause@firma.dk", name="Pause")
    event = _event(merchant, customer["id"], "evt_refused")

    assert event_process(event_id=event.pk) is None

    pause = ConnectionPause.objects.for_tenant(merchant.tenant).get(service="economic")
    connection = EconomicConnection.objects.for_tenant(merchant.tenant).get()
    event.refresh_from_db()
    assert pause.reason == "refused" and connection.status == "failing" and event.status == "pending"
    said = pause.facts[0]
    assert said["code"] == "economic_refused_access"
    # e-conomic's own words, kept as they came, inside our sentence; English beside it for support.
    detail = said["values"]["detail"]
    assert detail and connection.error_facts == [said] and event.error_facts == pause.facts
    assert (
        connection.last_error
        == pause.message
        == (f"e-conomic refused access ({detail}): reconnect e-conomic on the Connections page.")
    )

    danish_sentence = escape(
        f"e-conomic afviste adgangen ({detail}): forbind e-conomic igen på siden Forbindelser."
    )
    english_sentence = escape(
        f"e-conomic refused access ({detail}): reconnect e-conomic on the Connections page."
    )
    for name in ("dashboard", "connections"):
        danish = _page(readers["da"], name, merchant.tenant.slug)
        english = _page(readers["en"], name, merchant.tenant.slug)
        assert danish_sentence in danish and english_sentence not in danish, name
        assert english_sentence in english, name
    # The dashboard's pause notice: the translated frame around the translated reason.
    assert "Synkronisering til e-conomic er sat på pause" in _page(
        readers["da"], "dashboard", merchant.tenant.slug
    )
    assert danish_sentence in _page(readers["da"], "events", merchant.tenant.slug)
    assert english_sentence in _page(readers["en"], "events", merchant.tenant.slug)


def test_an_events_error_reads_in_each_members_language(merchant):
    readers = _readers(merchant.tenant)
    waits = merchant.stripe.create_customer(email="vent@firma.dk", name="Vent")
    fails = merchant.stripe.create_customer(name="Ingen E-mail")
    throttled, failed = (
        _event(merchant, waits["id"], "evt_throttled"),
        _event(merchant, fails["id"], "evt_failed"),
    )

    event_process(event_id=failed.pk)  # blocked before any call to e-conomic
    merchant.economic.set_faults(throttle=3, retry_after=4)
    event_process(event_id=throttled.pk)

    throttled.refresh_from_db()
    failed.refresh_from_db()
    assert throttled.status == "pending" and failed.status == "failed"
    assert throttled.error_facts == [{"code": "economic_throttled_for", "values": {"seconds": "4"}}]
    assert throttled.last_error == "e-conomic asked us to slow down; trying again in 4 seconds."

    danish = _page(readers["da"], "events", merchant.tenant.slug)
    english = _page(readers["en"], "events", merchant.tenant.slug)
    assert "e-conomic bad os sætte tempoet ned; vi prøver igen om 4 sekunder." in danish
    assert "e-conomic asked us to slow down; trying again in 4 seconds." in english
    assert f"Stripe-kunden {fails['id']} har ingen email" in danish
    assert f"Stripe customer {fails['id']} has no email" in english
    assert "slow down" not in danish and "has no email" not in danish


def test_rows_from_before_the_facts_show_what_they_stored(merchant):
    readers = _readers(merchant.tenant)
    tenant = merchant.tenant
    record = SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_old",
        action=Action.CREATED,
        message="Created e-conomic customer 7.",
        warnings=["An old warning, stored as a sentence."],
    )
    _event(merchant, "cus_old", "evt_old")
    StripeEvent.objects.for_tenant(tenant).filter(stripe_event_id="evt_old").update(
        status="failed", last_error="An old error, stored as a sentence."
    )
    ConnectionPause.objects.for_tenant(tenant).create(
        service="stripe", reason="refused", message="An old pause, stored as a sentence."
    )
    EconomicConnection.objects.for_tenant(tenant).update(status="failing", last_error="An old refusal.")

    danish = _page(readers["da"], "sync_record", tenant.slug, record.pk)
    assert "An old warning, stored as a sentence." in danish
    assert "An old error, stored as a sentence." in _page(readers["da"], "events", tenant.slug)
    dashboard = _page(readers["da"], "dashboard", tenant.slug)
    assert "An old pause, stored as a sentence." in dashboard and "An old refusal." in dashboard
