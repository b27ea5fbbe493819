"""A row inserted without the ORM's insert machinery, for the emulators' request logs.

Every emulated call writes one log row, and `Model.objects.create` costs about 2.5 times the plain
INSERT in CPU; the bench's emulators share their machine with the product, so that CPU is the
product's loss. The row is the same: each value is prepared by its model field, as Django's own
insert does, and a field left out gets its default (`auto_now_add` ones: now).
"""

from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def insert(model: type[Model], **values: Any) -> None:
    """One row of `model`; `values` by field name or attname (`account_id`)."""
    fields = {field.attname: field for field in model._meta.concrete_fields if not field.primary_key}
    row: dict[str, Any] = {}
    for name, field in fields.items():
        if name in values:
            value = values.pop(name)
        elif field.name in values:
            related = values.pop(field.name)
            value = related.pk if isinstance(related, Model) else related
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            value = timezone.now()
        else:
            value = field.get_default()
        row[field.column] = field.get_db_prep_save(value, connection)
    if values:
        raise TypeError(f"{model.__name__} has no field {', '.join(values)}")
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in row)
    placeholders = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(row.values()))
