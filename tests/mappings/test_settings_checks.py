"""Settings that cannot work are caught when saved, against the merchant's own data: a match field or
number field most of their Stripe customers lack is a warning with the counts (nothing saved until
confirmed), missing defaults are named, and Danish agreements are offered Danish defaults."""

import pytest
from django.test import Client
from django.urls import reverse

from mappings.checks import SAMPLE_SIZE
from mappings.engine.stripe_paths import danish_cvr, stripe_value
from mappings.selectors import settings_document_for, sync_settings_for
from operations.golive import golive_steps
from tests.factories import MembershipFactory
from tests.fixtures_merchant import configure
from tests.mappings.test_views import mappings_post, rules_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(merchant) -> Client:
    client = Client()
    client.force_login(MembershipFactory(tenant=merchant.tenant, role="owner").user)
    return client


def url(merchant, name: str) -> str:
    return reverse(f"mappings:{name}", args=[merchant.tenant.slug])


def _customers(merchant, count: int, **fields) -> None:
    for n in range(count):
        merchant.stripe.create_customer(email=f"kunde{n}@firma.dk", name=f"Kunde {n} ApS", **fields)


def test_a_match_rule_on_a_key_most_customers_lack_is_a_warning_with_the_counts(merchant, owner):
    _customers(merchant, 3, metadata={"kunde nummer": "1"})
    _customers(merchant, 17)
    before = settings_document_for(tenant=merchant.tenant)

    response = owner.post(url(merchant, "matching"), rules_post([("metadata", "kunde nummer", "email")]))

    assert response.status_code == 200
    warnings = response.context["outcome"].warnings
    assert warnings == [
        "17 of 20 recent Stripe customers have no metadata key ‘kunde nummer’, which match rule 1 looks up "
        "in e-conomic: they would fail to sync."
    ]
    assert settings_document_for(tenant=merchant.tenant) == before  # nothing saved yet
    assert "Save anyway" in response.content.decode()

    confirmed = rules_post([("metadata", "kunde nummer", "email")])
    confirmed["confirm_warnings"] = response.context["outcome"].confirmation
    assert owner.post(url(merchant, "matching"), confirmed).status_code == 302
    rules = settings_document_for(tenant=merchant.tenant)["matching"]["rules"]
    assert rules == [{"stripe_field": "metadata.kunde nummer", "economic_field": "email"}]


def test_a_confirmation_covers_only_the_settings_it_was_given_for(merchant, owner):
    _customers(merchant, 4)
    first = owner.post(url(merchant, "matching"), rules_post([("metadata", "a", "email")]))
    other = rules_post([("metadata", "b", "email")])
    other["confirm_warnings"] = first.context["outcome"].confirmation
    again = owner.post(url(merchant, "matching"), other)
    assert again.status_code == 200 and again.context["outcome"].warnings  # checked afresh, not saved


def test_a_field_most_customers_have_saves_without_a_warning(merchant, owner):
    _customers(merchant, 5)
    merchant.stripe.create_customer(name="Uden E-mail")
    assert owner.post(url(merchant, "matching"), rules_post([("email", "", "email")])).status_code == 302


def test_the_number_from_a_field_that_holds_no_numbers_is_a_warning(merchant, owner):
    _customers(merchant, 3)
    data = {"mode": "stripe", "number_field": "name", "store": "nowhere"}
    response = owner.post(url(merchant, "number"), data)
    assert response.context["outcome"].warnings == [
        "3 of 3 recent Stripe customers have no whole number (1 to 999,999,999) in name, which your settings "
        "use as the e-conomic customer number: they would fail to sync."
    ]
    assert settings_document_for(tenant=merchant.tenant)["customer_number"]["mode"] == "economic"


def test_trying_the_next_rule_warns_only_when_most_customers_have_no_rule_at_all(merchant, owner):
    _customers(merchant, 4)
    with_fallback = rules_post(
        [("metadata", "kundenr", "email"), ("email", "", "email")], on_empty="next_rule"
    )
    assert owner.post(url(merchant, "matching"), with_fallback).status_code == 302
    nothing = rules_post(
        [("metadata", "kundenr", "email"), ("phone", "", "telephoneAndFaxNumber")], on_empty="next_rule"
    )
    response = owner.post(url(merchant, "matching"), nothing)
    assert response.context["outcome"].warnings == [
        "4 of 4 recent Stripe customers have none of your match fields (metadata key ‘kundenr’, phone): they "
        "would fail to sync."
    ]


def test_the_sample_is_the_newest_customers_only(merchant, owner):
    _customers(merchant, SAMPLE_SIZE + 5)
    response = owner.post(url(merchant, "matching"), rules_post([("metadata", "x", "email")]))
    assert response.context["outcome"].warnings[0].startswith(f"{SAMPLE_SIZE} of {SAMPLE_SIZE} recent")


def test_stripe_not_answering_is_no_reason_to_refuse_a_save(merchant, owner):
    _customers(merchant, 2)
    merchant.stripe.add_fault("api_error", count=20, path="/v1/customers")
    assert owner.post(url(merchant, "matching"), rules_post([("metadata", "x", "email")])).status_code == 302


def test_defaults_saved_incomplete_are_not_green_and_name_what_is_missing(merchant, owner):
    data = {"payment_terms_number": "1", "customer_group_number": "", "currency": "", "vat_zone_number": ""}
    response = owner.post(url(merchant, "defaults"), data, follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert str(message) == (
        "Customer default mappings saved, but no customer can be created in e-conomic until you also set: "
        "Customer group, Currency, VAT zone."
    )
    assert sync_settings_for(tenant=merchant.tenant).missing_defaults == [
        "Customer group",
        "Currency",
        "VAT zone",
    ]
    step = next(s for s in golive_steps(merchant.tenant) if s.key == "defaults")
    assert step.state == "next" and step.hint == "Still missing: Customer group, Currency, VAT zone."
    dashboard = owner.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
    assert "Customer group, Currency, VAT zone are still missing" in dashboard


def test_a_danish_agreement_gets_dkk_preselected_and_the_cvr_number_offered(merchant, owner):
    configure(merchant.tenant, defaults={"currency": None})  # no currency chosen yet
    defaults = owner.get(url(merchant, "defaults"))
    assert defaults.context["form"].initial["currency"] == "DKK"  # the agreement's base currency
    assert "DKK is preselected" in defaults.content.decode()

    fields = owner.get(url(merchant, "field_mappings"))
    assert fields.context["suggested"] == ["corporateIdentificationNumber"]
    assert fields.context["form"].initial["corporateIdentificationNumber__stripe"] == "tax_ids.dk_cvr"
    document = settings_document_for(tenant=merchant.tenant)
    saved = owner.post(
        url(merchant, "field_mappings"),
        mappings_post(document, corporateIdentificationNumber=("tax_ids.dk_cvr", "", "keep")),
    )
    assert saved.status_code == 302
    assert "danish-suggestion" not in owner.get(url(merchant, "field_mappings")).content.decode()


def test_a_saved_currency_is_never_replaced_by_the_suggestion(merchant, owner):
    owner.post(url(merchant, "defaults"), {"currency": "EUR"})
    defaults = owner.get(url(merchant, "defaults"))
    assert defaults.context["form"].initial["currency"] == "EUR"
    assert "is preselected" not in defaults.content.decode()


@pytest.mark.parametrize(
    ("tax_ids", "cvr"),
    [
        ([{"type": "eu_vat", "value": "DK12345678"}], "12345678"),
        ({"object": "list", "data": [{"type": "eu_vat", "value": "dk 12 34 56 78"}]}, "12345678"),
        (
            [{"type": "eu_vat", "value": "SE556677889901"}, {"type": "eu_vat", "value": "DK87654321"}],
            "87654321",
        ),
        ([{"type": "eu_vat", "value": "SE556677889901"}], None),
        ([{"type": "no_vat", "value": "DK123"}], None),
        ([], None),
        (None, None),
    ],
)
def test_the_cvr_number_is_a_danish_vat_id_without_its_dk(tax_ids, cvr):
    customer = {"id": "cus_1", "tax_ids": tax_ids}
    assert danish_cvr(customer) == cvr
    assert stripe_value(customer, "tax_ids.dk_cvr") == cvr
