import pytest

from mappings.document import default_document


@pytest.fixture
def document():
    """The default document with complete defaults, ready to plan creates."""
    doc = default_document()
    doc["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK", layout_number=19
    )
    return doc


@pytest.fixture(autouse=True)
def _fresh_cache():
    """e-conomic's lists are cached per tenant; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
