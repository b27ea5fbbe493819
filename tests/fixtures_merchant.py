from dataclasses import dataclass

import pytest

from mappings.services import settings_save
from syncapp.models import Tenant
from tests.factories import settings_document


def configure(tenant: Tenant, **sections) -> None:
    """Save the tenant's settings: complete defaults, plus the sections given (merged one level)."""
    settings_save(tenant=tenant, user=None, document=settings_document(**sections), source="test")


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
