"""Choosing the language: the browser's Accept-Language at first, then the member's own choice
(the menu's switch, stored on the user), which also decides the language of their e-mails; sync
records written once read in each reader's language."""

import importlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from customers.explanations import explanation, fact, facts_redacted, in_english, match_rule_words
from customers.models import SyncRecord
from operations.services.alerts import alert_send
from syncapp.models import Profile
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
DANISH = {"HTTP_ACCEPT_LANGUAGE": "da-DK,da;q=0.9,en;q=0.5"}


def _login_page(client: Client, **headers) -> str:
    return client.get(reverse("login"), **headers).content.decode()


def test_the_browser_language_decides_before_anyone_chooses(client):
    danish = _login_page(client, **DANISH)
    assert '<html lang="da">' in danish and "Glemt din adgangskode?" in danish
    english = _login_page(Client())
    assert '<html lang="en">' in english and "Forgot your password?" in english


def test_a_members_choice_wins_over_the_browser_and_is_stored_on_the_user(client, tenant):
    member = MembershipFactory(tenant=tenant, role="owner").user
    client.force_login(member)
    dashboard = reverse("dashboard", args=[tenant.slug])

    assert "Overblik" in client.get(dashboard, **DANISH).content.decode()
    response = client.post(reverse("language_switch"), {"language": "en", "next": dashboard}, **DANISH)

    assert response.status_code == 302 and response["Location"] == dashboard
    assert Profile.objects.get(user=member).language == "en"
    page = client.get(dashboard, **DANISH).content.decode()
    assert '<html lang="en">' in page and ">Dashboard<" in page
    # Another device of the same member (a new session, a Danish browser) follows the choice too.
    other = Client()
    other.force_login(member)
    assert '<html lang="en">' in other.get(dashboard, **DANISH).content.decode()
    # And back.
    client.post(reverse("language_switch"), {"language": "da", "next": dashboard})
    assert '<html lang="da">' in client.get(dashboard).content.decode()


def test_the_switch_needs_its_csrf_token_and_never_leaves_the_site(tenant):
    member = MembershipFactory(tenant=tenant).user
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(member)
    assert careful.post(reverse("language_switch"), {"language": "da"}).status_code == 403
    assert not Profile.objects.filter(user=member, language="da").exists()

    client = Client()
    client.force_login(member)
    response = client.post(reverse("language_switch"), {"language": "da", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    unknown = client.post(reverse("language_switch"), {"language": "xx", "next": "/"})
    assert unknown.status_code == 302 and Profile.objects.get(user=member).language == "da"


def test_a_visitor_who_has_not_logged_in_keeps_the_choice_in_a_cookie(client):
    client.post(reverse("language_switch"), {"language": "da", "next": reverse("login")})
    assert '<html lang="da">' in _login_page(client)


def test_sign_up_keeps_the_browsers_language_for_the_members_e_mails(client):
    response = client.post(
        reverse("signup"),
        {
            "company_name": "Bager Hansen ApS",
            "email": "ejer@bager.dk",
            "password": "en-lang-og-sikker-kode-42",
        },
        **DANISH,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user__email="ejer@bager.dk").language == "da"
    (verification,) = mail.outbox
    assert verification.subject == "Bekræft din e-mail til Stripe ↔ e-conomic-synkronisering"
    assert "Åbn dette link for at bekræfte ejer@bager.dk" in verification.body


def test_alert_e_mails_go_to_each_member_in_their_own_language(tenant):
    dane = MembershipFactory(tenant=tenant, role="owner").user
    Profile.objects.create(user=dane, language="da")
    english = MembershipFactory(tenant=tenant, role="admin").user
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_F1",
        action="failed",
        message=in_english([fact("defaults_missing")]),
        facts=[fact("defaults_missing")],
    )

    alert_send(tenant_id=tenant.pk)

    by_reader = {tuple(message.to): message for message in mail.outbox}
    assert set(by_reader) == {(dane.email,), (english.email,)}
    danish, plain = by_reader[(dane.email,)], by_reader[(english.email,)]
    assert danish.subject == f"{tenant.name}: 1 fejlet synkronisering"
    assert "Ingen kunde i e-conomic matchede" in danish.body and "Hej," in danish.body
    assert plain.subject == f"{tenant.name}: 1 failed sync"
    assert "No e-conomic customer matched" in plain.body and "Hello," in plain.body


def test_one_record_reads_in_danish_for_one_member_and_in_english_for_another(tenant):
    facts = [fact("matched", number=12, field="email", value="anna@firma.dk", rule=1)]
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_A1",
        action="matched",
        economic_customer_number=12,
        message=in_english(facts),
        facts=facts,
        match_rule="rule 1: email",
    )
    dane = MembershipFactory(tenant=tenant).user
    Profile.objects.create(user=dane, language="da")
    reader = MembershipFactory(tenant=tenant).user
    Profile.objects.create(user=reader, language="en")
    log = reverse("sync_log", args=[tenant.slug])

    pages = {}
    for user in (dane, reader):
        client = Client()
        client.force_login(user)
        pages[user.pk] = client.get(log).content.decode()

    assert (
        "Fandt kunde 12 i e-conomic på e-mail “anna@firma.dk” (matchregel 1) og koblede den til."
        in pages[dane.pk]
    )
    assert (
        "Found e-conomic customer 12 by email “anna@firma.dk” (match rule 1) and linked it."
        in pages[reader.pk]
    )
    with translation.override("da"):
        assert match_rule_words("rule 1: email") == "regel 1: e-mail"
        assert match_rule_words("rule 2: CVR number") == "regel 2: CVR-nr."


def test_counted_sentences_follow_the_count_in_both_languages():
    one, three = [fact("import_resumed", count=1)], [fact("import_resumed", count=3)]
    assert in_english(one) == "Resumed after 1 Stripe customer."
    assert in_english(three) == "Resumed after 3 Stripe customers."
    with translation.override("da"):
        assert explanation(one) == "Genoptaget efter 1 Stripe-kunde."
        assert explanation(three) == "Genoptaget efter 3 Stripe-kunder."
        # Large figures are grouped as a Dane groups them.
        plan = [fact("import_plan_over_days", calls=62000, left=4000, per_window=8000, days=9)]
        assert "ca. 62.000 kald" in explanation(plan)
    assert "about 62,000 e-conomic calls" in in_english(plan)


def test_retention_removes_the_customers_values_from_the_facts_and_keeps_the_rest():
    facts = [fact("matched", number=12, field="email", value="anna@firma.dk", rule=1)]
    (kept,) = facts_redacted(facts, lambda text: text)
    assert kept["values"] == {"number": 12, "field": "email", "value": "[removed]", "rule": 1}
    assert "“[removed]”" in in_english([kept])


def test_english_sentences_stored_before_facts_are_read_back_into_facts():
    migration = importlib.import_module("customers.migrations.0016_sync_facts_from_messages")
    stored = (
        "Found e-conomic customer 12 by CVR number “12345678” (match rule 2) and linked it. "
        "Its mapped fields were updated from Stripe, as your settings say. "
        "Stored the number in Stripe metadata “kundenr”."
    )
    facts = migration.facts_of(stored)
    assert in_english(facts) == stored
    with translation.override("da"):
        assert explanation(facts) == (
            "Fandt kunde 12 i e-conomic på CVR-nr. “12345678” (matchregel 2) og koblede den til. "
            "Dens tilknyttede felter er opdateret fra Stripe, som dine indstillinger siger. "
            "Nummeret er gemt i Stripe-metadata “kundenr”."
        )
    # A sentence that is not one of the sync's own keeps its English (no facts).
    assert migration.facts_of("e-conomic refused the customer: name is required.") == []


def test_the_privacy_notes_read_in_danish_with_this_deployments_periods(client, settings):
    settings.SYNC_RECORD_RETENTION_MONTHS = 6
    page = client.get(reverse("privacy"), **DANISH).content.decode()
    assert "Dine kunders data hos os" in page and "Hvad vi gemmer" in page
    assert "fjernes som standard efter <strong>6 måneder</strong>" in page
