import copy
from dataclasses import dataclass

import pytest

from mappings.document import default_document
from mappings.services import settings_save
from syncapp.models import Tenant

DEFAULTS = {
    "payment_terms_number": 1,
    "customer_group_number": 1,
    "vat_zone_number": 1,
    "currency": "DKK",
    "layout_number": 19,
}


def configure(tenant: Tenant, **sections) -> None:
    """Save the tenant's settings: complete defaults, plus the sections given (merged one level)."""
    document = copy.deepcopy(default_document())
    document["defaults"] = {**document["defaults"], **DEFAULTS}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    settings_save(tenant=tenant, user=None, document=document, source="test")


@dataclass
class Merchant:
    tenant: Tenant
    economic: object  # tests.fixtures_economic.EconomicAgreement
    stripe: object  # tests.fixtures_stripe.StripeAccount

    def economic_calls(self, mark: int, **filters) -> int:
        return len(self.economic.requests_since(mark, **filters))


@pytest.fixture
def merchant(economic_connected_tenant, economic_agreement, stripe_account, sandbox_urls) -> Merchant:
    """A tenant connected to both emulators (over HTTP) with complete default settings."""
    from tests.fixtures_stripe import connect_stripe

    connect_stripe(economic_connected_tenant, stripe_account.api_key)
    configure(economic_connected_tenant)
    return Merchant(economic_connected_tenant, economic_agreement, stripe_account)
