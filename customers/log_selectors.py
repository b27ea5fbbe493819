"""Reads for the sync log's detail page, its failures grouped by kind, and the events view."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from syncapp.models import Tenant

from .models import StripeEvent, SyncRecord
from .selectors import failing_customers

FAILURE_WINDOW = timedelta(days=7)


def in_dates(
    records: QuerySet[SyncRecord], *, since: date | None, until: date | None
) -> QuerySet[SyncRecord]:
    if since:
        records = records.filter(created__date__gte=since)
    if until:
        records = records.filter(created__date__lte=until)
    return records


def failure_kind(message: str) -> str:
    """A failure's message with its particulars (numbers, quoted values, ids) taken out, so the
    failures with the same cause group together."""
    first = re.split(r"(?<=\.)\s", message.strip(), maxsplit=1)[0]
    first = re.sub(r"“[^”]*”|\"[^\"]*\"", "“…”", first)
    first = re.sub(r"\b(cus|evt|req)_\w+", r"\1_…", first)
    return re.sub(r"\d+", "#", first)[:200]


def kind_key(kind: str) -> str:
    return hashlib.sha256(kind.encode()).hexdigest()[:16]


@dataclass
class FailureKind:
    kind: str
    key: str
    customers: list[str] = field(default_factory=list)
    # Each customer as the page names it: its name while we hold it, else its Stripe id.
    names: list[str] = field(default_factory=list)


def failures_by_kind(*, tenant: Tenant) -> list[FailureKind]:
    """Customers whose latest sync in the past week failed, grouped by the kind of failure."""
    recent = (
        failing_customers(tenant=tenant)
        .filter(created__gte=timezone.now() - FAILURE_WINDOW)
        .order_by("-created", "-id")
        .values_list("stripe_customer_id", "stripe_name", "message")
    )
    kinds: dict[str, FailureKind] = {}
    for customer_id, name, message in recent[:5000]:
        kind = failure_kind(message)
        group = kinds.setdefault(kind, FailureKind(kind, kind_key(kind)))
        group.customers.append(customer_id)
        group.names.append(name or customer_id)
    return sorted(kinds.values(), key=lambda k: -len(k.customers))


def events_for(*, tenant: Tenant, status: str | None = None) -> QuerySet[StripeEvent]:
    events = StripeEvent.objects.for_tenant(tenant).defer("payload")
    return events.filter(status=status) if status else events
