"""Fixtures for the e-conomic emulator: a seeded agreement to act on, and a tenant connected to it.

`economic_agreement` works with `db` and `transactional_db`; to reach the emulator over HTTP add
`sandbox_urls` (it starts the live server and points ECONOMIC_API_URL at it).
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from django.utils import timezone

from sandbox.economic_api import faults
from sandbox.economic_api.models import Agreement, Customer, Grant, RequestLogEntry
from sandbox.economic_api.resources import customer_body
from sandbox.economic_api.seed import (
    DEFAULT_APP_PUBLIC,
    DEFAULT_APP_SECRET,
    add_customer,
    customer_data,
    seed_agreement,
)
from tests.factories import EconomicConnectionFactory


@dataclass
class EconomicAgreement:
    """An emulator agreement and its grant token, with setup, fault and call-counting levers."""

    grant_token: str = field(repr=False)
    agreement: Agreement

    @property
    def agreement_number(self) -> int:
        return self.agreement.agreement_number

    def add_customer(self, *, number: int | None = None, **fields: Any) -> dict:
        """Put a customer in directly (no API call, not logged); returns its API body."""
        return customer_body(add_customer(self.agreement, number=number, **fields), "")

    def add_customers(self, count: int) -> None:
        """Put customers numbered 1..count in at once (for paging through thousands)."""
        now = timezone.now()
        Customer.objects.bulk_create(
            (
                Customer(agreement=self.agreement, number=n, data=customer_data(n), last_updated=now)
                for n in range(1, count + 1)
            ),
            batch_size=1000,
        )

    def customers(self) -> list[dict]:
        """Every customer as the API would show it (without `self` links), by number."""
        return [customer_body(c, "") for c in Customer.objects.filter(agreement=self.agreement)]

    def customer(self, number: int) -> dict | None:
        found = Customer.objects.filter(agreement=self.agreement, number=number).first()
        return customer_body(found, "") if found else None

    def edit_customer(self, number: int, *, at: str | None = None, **fields: Any) -> dict:
        """A bookkeeper's edit in e-conomic, through the emulator's control API (over HTTP), at
        the time `at` ("2026-12-04T12:00:00Z"; now when None). Not in the request log."""
        from django.conf import settings as django_settings

        response = requests.post(
            f"{django_settings.ECONOMIC_API_URL}/_control/customers/{number}",
            json={"agreementNumber": self.agreement_number, "fields": fields, "lastUpdated": at},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def set_faults(self, **settings: Any) -> None:
        """latency, throttle (+retry_after), throttle_without_retry_after (a count),
        throttle_without_retry_after_rate (0..1), errors (+error_status), drop_after_commit,
        stall_after_commit (+stall_seconds), paging_cap (items, or True for 10 000); unset ones
        reset. See sandbox faults.FAULT_FIELDS."""
        faults.set_faults(self.agreement, **settings)

    def clear_faults(self) -> None:
        faults.clear_faults(self.agreement)

    def mark(self) -> int:
        """A point in the request log; pass it to `requests_since`."""
        last = RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first()
        return last or 0

    def requests_since(
        self, mark: int = 0, *, method: str | None = None, path: str | None = None
    ) -> list[RequestLogEntry]:
        """The API calls this agreement answered after `mark`, oldest first. `path` is relative
        to the API root, e.g. "/customers"."""
        rows = RequestLogEntry.objects.filter(agreement=self.agreement, id__gt=mark).order_by("id")
        if method:
            rows = rows.filter(method=method)
        if path:
            rows = rows.filter(path=f"/sandbox/economic{path}")
        return list(rows)

    def revoke(self) -> None:
        """The merchant revokes the app's access in e-conomic: calls answer 401 from now on."""
        Grant.objects.filter(token=self.grant_token).delete()


@pytest.fixture
def economic_app_settings(settings):
    """The sandbox's default app tokens, as `make run` and the workers must also set them."""
    settings.ECONOMIC_APP_SECRET_TOKEN = DEFAULT_APP_SECRET
    settings.ECONOMIC_APP_PUBLIC_TOKEN = DEFAULT_APP_PUBLIC
    return settings


@pytest.fixture
def economic_agreement(db, economic_app_settings) -> EconomicAgreement:
    """A seeded agreement with the five lists and no customers, granted to the default app."""
    token = seed_agreement(company_name="Testfirma ApS")
    agreement = Grant.objects.select_related("agreement").get(token=token).agreement
    return EconomicAgreement(grant_token=token, agreement=agreement)


@pytest.fixture
def economic_connected_tenant(tenant, economic_agreement):
    """`tenant`, with its e-conomic connection holding the agreement's grant token."""
    EconomicConnectionFactory(
        tenant=tenant,
        grant_token=economic_agreement.grant_token,
        agreement_number=economic_agreement.agreement_number,
        company_name=economic_agreement.agreement.company_name,
    )
    return tenant
