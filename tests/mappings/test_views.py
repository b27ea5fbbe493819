"""The settings tabs through Django's test client: who may change what, and what gets saved."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappings.catalog import MAPPABLE_ECONOMIC_FIELDS
from mappings.document import default_document
from mappings.forms import MAX_IMPORT_BYTES, FieldMappingsForm
from mappings.models import SettingsChange
from mappings.selectors import settings_document_for
from mappings.services import settings_save

pytestmark = pytest.mark.django_db

# Any JSON value, nested a little: what a hand-edited or foreign file may hold where a value goes.
JSON_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def url(tenant, name: str) -> str:
    return reverse(f"mappings:{name}", args=[tenant.slug])


def rules_post(rules: list[tuple[str, str, str]], *, on_empty="fail", op="save") -> dict:
    data = {
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": str(len(rules)),
        "rules-MIN_NUM_FORMS": "1",
        "rules-MAX_NUM_FORMS": "1000",
        "on_empty_value": on_empty,
        "op": op,
    }
    for i, (stripe_field, key, economic_field) in enumerate(rules):
        data |= {
            f"rules-{i}-stripe_field": stripe_field,
            f"rules-{i}-metadata_key": key,
            f"rules-{i}-economic_field": economic_field,
        }
    return data


def mappings_post(document: dict, **changes: tuple[str, str, str]) -> dict:
    """The field mappings form as the page submits it, with some rows changed."""
    data = {k: v for k, v in FieldMappingsForm.initial_from(document["field_mappings"]).items()}
    for name in MAPPABLE_ECONOMIC_FIELDS:
        data.setdefault(f"{name}__stripe", "")
        data.setdefault(f"{name}__key", "")
    for name, (stripe, key, update) in changes.items():
        data |= {f"{name}__stripe": stripe, f"{name}__key": key, f"{name}__update": update}
    return data


TABS = ["matching", "number", "defaults", "field_mappings", "preview", "transfer", "history"]


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders_for_a_viewer(viewer_client, tenant, tab):
    response = viewer_client.get(url(tenant, tab))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Customer sync settings" in page
    assert 'aria-current="page">Customer sync settings</a>' in page  # the main nav tab


@pytest.mark.parametrize(
    ("tab", "data"),
    [
        ("matching", rules_post([("name", "", "name")])),
        ("number", {"mode": "stripe", "number_field": "metadata", "number_key": "no"}),
        ("defaults", {"payment_terms_number": "1"}),
        ("field_mappings", mappings_post(default_document(), name=("", "", "keep"))),
        ("transfer", {}),
    ],
)
def test_viewer_gets_403_on_every_save_and_nothing_changes(viewer_client, tenant, tab, data):
    response = viewer_client.post(url(tenant, tab), data)
    assert response.status_code == 403
    assert settings_document_for(tenant=tenant) == default_document()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_viewer_sees_the_settings_read_only(viewer_client, tenant):
    page = viewer_client.get(url(tenant, "matching")).content.decode()
    assert 'data-testid="read-only"' in page
    assert '<fieldset class="plain-fieldset" disabled>' in page


def test_owner_saves_match_rules_and_the_change_is_recorded(owner_client, owner, tenant):
    data = rules_post(
        [("metadata", "cvr", "corporateIdentificationNumber"), ("email", "", "email")], on_empty="next_rule"
    )
    response = owner_client.post(url(tenant, "matching"), data)
    assert response.status_code == 302
    matching = settings_document_for(tenant=tenant)["matching"]
    assert matching == {
        "rules": [
            {"stripe_field": "metadata.cvr", "economic_field": "corporateIdentificationNumber"},
            {"stripe_field": "email", "economic_field": "email"},
        ],
        "on_empty_value": "next_rule",
    }
    (change,) = SettingsChange.objects.for_tenant(tenant)
    assert (change.user, change.user_email, change.source) == (owner, owner.email, "matching")
    assert change.before == default_document() and change.after["matching"] == matching


def test_moving_a_rule_reorders_the_form_without_saving(owner_client, tenant):
    data = rules_post([("email", "", "email"), ("name", "", "name")], op="up-1")
    page = owner_client.post(url(tenant, "matching"), data).content.decode()
    assert "Changes not saved yet" in page
    assert page.index('<option value="name" selected>Name</option>') < page.index(
        '<option value="email" selected>Email</option>'
    )
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_adding_and_removing_rules_edits_the_form_only(owner_client, tenant):
    added = owner_client.post(url(tenant, "matching"), rules_post([("email", "", "email")], op="add"))
    assert added.context["formset"].total_form_count() == 2
    removed = owner_client.post(
        url(tenant, "matching"), rules_post([("email", "", "email"), ("name", "", "name")], op="remove-0")
    )
    assert [f.initial["stripe_field"] for f in removed.context["formset"].forms] == ["name"]
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_a_bad_metadata_key_is_shown_next_to_its_input(owner_client, tenant):
    response = owner_client.post(url(tenant, "matching"), rules_post([("metadata", "a[1]", "email")]))
    assert response.status_code == 200
    assert "contains [ or ], which Stripe does not allow" in response.content.decode()
    assert settings_document_for(tenant=tenant) == default_document()


def test_a_duplicate_rule_lists_the_problem_and_saves_nothing(owner_client, tenant):
    response = owner_client.post(url(tenant, "matching"), rules_post([("email", "", "email")] * 2))
    assert "matching.rules[1]: the same rule appears twice." in response.content.decode()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_number_handling_stores_the_generated_number_in_a_metadata_key(owner_client, tenant):
    data = {
        "mode": "economic",
        "store": "metadata",
        "store_key": "erp_no",
        "number_field": "",
        "number_key": "",
    }
    assert owner_client.post(url(tenant, "number"), data).status_code == 302
    assert settings_document_for(tenant=tenant)["customer_number"] == {
        "mode": "economic",
        "stripe_field": None,
        "store_in_stripe_field": "metadata.erp_no",
    }


def test_number_handling_can_store_nowhere_or_read_the_number_from_stripe(owner_client, tenant):
    owner_client.post(url(tenant, "number"), {"mode": "economic", "store": "nowhere", "store_key": "x"})
    assert settings_document_for(tenant=tenant)["customer_number"]["store_in_stripe_field"] is None
    data = {"mode": "stripe", "number_field": "metadata", "number_key": "customer_number"}
    owner_client.post(url(tenant, "number"), data)
    assert settings_document_for(tenant=tenant)["customer_number"] == {
        "mode": "stripe",
        "stripe_field": "metadata.customer_number",
        "store_in_stripe_field": None,
    }


def test_stripe_number_mode_without_a_field_is_an_inline_error(owner_client, tenant):
    response = owner_client.post(url(tenant, "number"), {"mode": "stripe", "number_field": ""})
    assert "Choose the Stripe field that holds the customer number." in response.content.decode()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_save_mappings_saves_every_row_at_once(owner_client, tenant):
    data = mappings_post(
        default_document(),
        mobilePhone=("phone", "", "create"),
        telephoneAndFaxNumber=("", "", "keep"),
        corporateIdentificationNumber=("metadata", "cvr", "keep"),
    )
    assert owner_client.post(url(tenant, "field_mappings"), data).status_code == 302
    mappings = {m["economic_field"]: m for m in settings_document_for(tenant=tenant)["field_mappings"]}
    assert mappings["mobilePhone"] == {
        "economic_field": "mobilePhone",
        "stripe_field": "phone",
        "keep_updated": False,
        "direction": "stripe_to_economic",
    }
    assert mappings["corporateIdentificationNumber"]["stripe_field"] == "metadata.cvr"
    assert "telephoneAndFaxNumber" not in mappings
    assert mappings["name"]["stripe_field"] == "name"  # untouched rows kept


def test_field_mappings_page_shows_each_row_with_its_hint(owner_client, tenant):
    page = owner_client.get(url(tenant, "field_mappings")).content.decode()
    assert 'data-testid="mapping-row-city"' in page
    assert "text, up to 50 characters" in page
    assert "Billing address, lines 1 and 2" in page
    website = page[page.index('data-testid="mapping-row-website"') :]
    assert '<span class="shown" data-shown="update">—</span>' in website[: website.index("</tr>")]


def test_defaults_tab_explains_when_economic_is_not_connected_and_keeps_saved_values(owner_client, tenant):
    document = default_document()
    document["defaults"].update(payment_terms_number=3, currency="EUR")
    settings_save(tenant=tenant, user=None, document=document, source="import")
    page = owner_client.get(url(tenant, "defaults")).content.decode()
    assert "e-conomic is not connected" in page
    assert "<dt>Payment terms</dt><dd>3</dd>" in page and "<dt>Currency</dt><dd>EUR</dd>" in page
    response = owner_client.post(url(tenant, "defaults"), {"payment_terms_number": "1"}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    assert settings_document_for(tenant=tenant)["defaults"]["payment_terms_number"] == 3


def test_export_downloads_the_document(viewer_client, tenant):
    response = viewer_client.get(url(tenant, "export"))
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"] == f'attachment; filename="{tenant.slug}-customer-sync-settings.json"'
    )
    assert json.loads(response.content) == default_document()


def test_import_replaces_the_settings_from_an_exported_file(owner_client, tenant):
    document = default_document()
    document["matching"]["on_empty_value"] = "next_rule"
    upload = SimpleUploadedFile("s.json", json.dumps(document).encode(), content_type="application/json")
    response = owner_client.post(url(tenant, "transfer"), {"file": upload}, follow=True)
    assert "Settings imported." in response.content.decode()
    assert settings_document_for(tenant=tenant) == document
    assert SettingsChange.objects.for_tenant(tenant).get().source == "import"


def test_an_invalid_import_lists_every_problem_and_changes_nothing(owner_client, tenant):
    document = default_document()
    document["matching"]["on_empty_value"] = "maybe"
    document["customer_number"]["mode"] = "guess"
    upload = SimpleUploadedFile("s.json", json.dumps(document).encode())
    page = owner_client.post(url(tenant, "transfer"), {"file": upload}).content.decode()
    assert "matching.on_empty_value: “maybe” is not one of fail, next_rule." in page
    assert "customer_number.mode: “guess” is not one of economic, stripe." in page
    assert settings_document_for(tenant=tenant) == default_document()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_a_file_that_is_not_json_is_an_inline_error(owner_client, tenant):
    upload = SimpleUploadedFile("s.json", b"{not json")
    page = owner_client.post(url(tenant, "transfer"), {"file": upload}).content.decode()
    assert "The file is not valid JSON" in page


def test_a_deeply_nested_file_is_an_inline_error_not_a_crash(owner_client, tenant):
    upload = SimpleUploadedFile("s.json", b"[" * 100_000 + b"]" * 100_000)
    response = owner_client.post(url(tenant, "transfer"), {"file": upload})
    assert response.status_code == 200
    assert "nested far too deeply" in response.content.decode()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(owner_client, tenant):
    upload = SimpleUploadedFile("s.json", b" " * (MAX_IMPORT_BYTES + 20_000))
    response = owner_client.post(url(tenant, "transfer"), {"file": upload})
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.content.decode()
    # Refused on its declared length: nothing read the body (not even the CSRF check).
    assert response.wsgi_request._read_started is False
    assert not SettingsChange.objects.for_tenant(tenant).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JSON_JUNK)
def test_any_json_in_an_import_is_a_list_of_problems_never_a_500(owner_client, tenant, junk):
    document = default_document()
    document["defaults"] = {**document["defaults"], "payment_terms_number": junk, "vat_zone_by_country": junk}
    document["matching"]["rules"].append({"stripe_field": junk, "economic_field": junk})
    document["field_mappings"].append(junk)
    upload = SimpleUploadedFile("s.json", json.dumps(document).encode())
    response = owner_client.post(url(tenant, "transfer"), {"file": upload})
    assert response.status_code == 200
    # Either the document's problems are listed, or (a number longer than any setting takes) the
    # file is refused as a whole before it is read.
    page = response.content.decode()
    assert "Nothing was saved" in page or "The file is not a settings export" in page
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_history_shows_who_changed_what(owner_client, owner, tenant):
    owner_client.post(url(tenant, "matching"), rules_post([("email", "", "email")], on_empty="next_rule"))
    page = owner_client.get(url(tenant, "history")).content.decode()
    assert owner.email in page and "Customer match settings" in page
    assert "When a match value is empty</td><td><del>fail</del></td><td><ins>try the next rule</ins>" in page


def test_dashboard_asks_for_defaults_until_they_are_complete(owner_client, tenant):
    dashboard = reverse("dashboard", args=[tenant.slug])
    assert "Set your customer defaults before the first sync can create customers" in (
        owner_client.get(dashboard).content.decode()
    )
    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK"
    )
    settings_save(tenant=tenant, user=None, document=document, source="defaults")
    page = owner_client.get(dashboard).content.decode()
    assert "Set your customer defaults" not in page
    assert "email ↔ email" in page


def test_settings_of_one_tenant_do_not_leak_to_another(owner_client, tenant):
    from tests.factories import TenantFactory

    other = TenantFactory()
    document = default_document()
    document["matching"]["on_empty_value"] = "next_rule"
    settings_save(tenant=other, user=None, document=document, source="import")
    assert settings_document_for(tenant=tenant) == default_document()
    assert json.loads(owner_client.get(url(tenant, "export")).content) == default_document()


@pytest.fixture
def economic_owner_client(client, transactional_db, sandbox_urls, economic_connected_tenant):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(tenant=economic_connected_tenant, role="admin").user)
    return client


def test_defaults_are_picked_from_the_merchants_economic_lists(
    economic_owner_client, economic_connected_tenant
):
    tenant = economic_connected_tenant
    page = economic_owner_client.get(url(tenant, "defaults")).content.decode()
    assert '<option value="3">3 · Netto 30 dage</option>' in page
    data = {
        "payment_terms_number": "3",
        "customer_group_number": "2",
        "vat_zone_number": "1",
        "currency": "EUR",
        "layout_number": "",
        "vat_by_country": "on",
        "home_country": "DK",
        "domestic": "1",
        "eu": "2",
        "abroad": "3",
    }
    assert economic_owner_client.post(url(tenant, "defaults"), data).status_code == 302
    assert settings_document_for(tenant=tenant)["defaults"] == {
        "payment_terms_number": 3,
        "customer_group_number": 2,
        "vat_zone_number": 1,
        "currency": "EUR",
        "layout_number": None,
        "vat_zone_by_country": {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3},
    }


def test_a_saved_default_gone_from_economic_is_shown_and_must_be_replaced(
    economic_owner_client, economic_connected_tenant
):
    tenant = economic_connected_tenant
    document = default_document()
    document["defaults"]["payment_terms_number"] = 42
    settings_save(tenant=tenant, user=None, document=document, source="import")
    page = economic_owner_client.get(url(tenant, "defaults")).content.decode()
    assert '<option value="42" selected>42 (no longer found in e-conomic)</option>' in page
    response = economic_owner_client.post(url(tenant, "defaults"), {"payment_terms_number": "42"})
    assert "42 is no longer in your e-conomic agreement: choose another one." in response.content.decode()
    assert settings_document_for(tenant=tenant)["defaults"]["payment_terms_number"] == 42
