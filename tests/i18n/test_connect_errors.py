"""A credential refused on the Connections page, or by Stripe during the hourly reconciliation,
says why in the member's language: our own sentences translated, Stripe's and e-conomic's answers
inside them as they came."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from customers.models import Reconciliation
from customers.services.reconcile import tenant_reconcile
from syncapp.connections.common import CredentialRefused
from syncapp.connections.economic import economic_verify
from syncapp.models import Profile
from tests.connections.helpers import stripe_connection
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account


def _owner(tenant, language: str) -> Client:
    """An owner of the merchant whose own choice of language is `language`, logged in."""
    member = MembershipFactory(tenant=tenant, role="owner").user
    Profile.objects.update_or_create(user=member, defaults={"language": language})
    client = Client()
    client.force_login(member)
    return client


def test_a_publishable_key_is_refused_in_each_members_language(tenant, sandbox_urls):
    url = reverse("connections", args=[tenant.slug])
    publishable = "pk_test_" + "1" * 24

    danish = _owner(tenant, "da").post(url, {"api_key": publishable}).content.decode()
    english = _owner(tenant, "en").post(url, {"api_key": publishable}).content.decode()

    assert escape("Det er en offentlig nøgle (pk_…)") in danish
    assert "publishable key" not in danish
    assert escape("That is a publishable key (pk_…)") in english
    assert stripe_connection(tenant) is None


def test_a_key_stripe_refuses_reads_in_danish_with_nothing_saved(tenant, sandbox_urls):
    bad = "sk_test_" + "9" * 24
    page = (
        _owner(tenant, "da")
        .post(reverse("connections", args=[tenant.slug]), {"api_key": bad})
        .content.decode()
    )
    assert "Intet blev gemt." in page
    assert "Nothing was saved" not in page
    assert bad not in page


def test_the_refusal_keeps_its_english_for_the_command_line_and_the_log(tenant, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        economic_verify(tenant=tenant, grant_token="  ")
    assert refused.value.message == "e-conomic sent no access grant: connect again."
    assert refused.value.facts == [{"code": "economic_no_grant", "values": {}}]


def test_a_failed_reconciliation_reads_in_each_members_language(merchant):
    account = first_account(merchant.tenant)
    account.api_key = "sk_test_" + "0" * 24  # a key Stripe does not know: the check is refused
    account.save(update_fields=["api_key"])

    assert tenant_reconcile(tenant=merchant.tenant) == 0
    state = Reconciliation.objects.for_tenant(merchant.tenant).get()
    assert state.message.startswith("Stripe did not accept the API key")

    pages = {
        language: _owner(merchant.tenant, language)
        .get(reverse("dashboard", args=[merchant.tenant.slug]))
        .content.decode()
        for language in ("da", "en")
    }
    assert escape("Stripe accepterede ikke API-nøglen") in pages["da"]
    assert "did not accept the API key" not in pages["da"]
    assert "Stripe did not accept the API key" in pages["en"]
