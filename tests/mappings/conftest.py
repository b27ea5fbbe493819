import pytest

from tests.factories import settings_document


@pytest.fixture
def document():
    """The default document with complete defaults, ready to plan creates."""
    return settings_document()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """e-conomic's lists are cached per tenant; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
