"""Helpers of the privacy tests: rows at a given age, and a search of every column we own."""

from datetime import datetime

from django.apps import apps
from django.db import connection, models

from customers.models import StripeEvent, SyncRecord

# The emulators stand for Stripe's and e-conomic's own systems (the e-conomic customer is the
# merchant's bookkeeping record, left alone on purpose): they are not copies we hold.
NOT_OURS = ("sandbox", "sandbox_economic", "sandbox_stripe")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def aged(row: models.Model, when: datetime) -> models.Model:
    """Backdate an auto_now_add timestamp (received / created), as if the row were that old."""
    field = "received" if isinstance(row, StripeEvent) else "created"
    type(row).all_tenants.filter(pk=row.pk).update(**{field: when})
    row.refresh_from_db()
    return row


def tables_containing(text: str) -> dict[str, int]:
    """Every text and JSON column of every model in the app registry, searched for `text`."""
    found = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label in NOT_OURS or not model._meta.managed:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            for field in model._meta.concrete_fields:
                if not isinstance(field, TEXT_FIELDS):
                    continue
                column = connection.ops.quote_name(field.column)
                cursor.execute(f"SELECT count(*) FROM {table} WHERE {column}::text ILIKE %s", [f"%{text}%"])
                if count := cursor.fetchone()[0]:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


def record(tenant, **fields) -> SyncRecord:
    defaults = {
        "stripe_customer_id": "cus_A",
        "stripe_email": "anna@firma.dk",
        "action": SyncRecord.Action.MATCHED,
        "economic_customer_number": 1042,
        "message": "Found e-conomic customer 1042 by email “anna@firma.dk” (match rule 1) and linked it.",
        "warnings": ["Stripe customer cus_A has “Anna Berg” in name, which is long."],
        "payload": {"name": "Anna Berg", "email": "anna@firma.dk"},
        "economic_log_id": "log-1",
        "duration_ms": 120,
    }
    return SyncRecord.objects.for_tenant(tenant).create(**{**defaults, **fields})
