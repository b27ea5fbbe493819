"""A row inserted without the ORM's insert machinery, on the two paths that write one row per call:
the webhook's stored event, and the emulators' request logs.

`Model.objects.create` costs about four times the plain INSERT in CPU (building the instance,
compiling the statement, preparing each value through layers of the compiler): on the webhook's
path that was a third of the request, and the emulators share the bench's machine with the
product. The row is the same: each value is prepared by its model field, as Django's own insert
does, and a field left out gets its default (`auto_now_add` ones: now). tests/test_rows.py holds
the rows to the ones `create()` writes.
"""

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.utils import timezone

M = TypeVar("M", bound=Model)


def insert(model: type[M], *, unless_taken: tuple[str, ...] = (), **values: Any) -> M | None:
    """One row of `model` (`values` by field name or attname: `account` or `account_id`), returned
    as the instance `create()` would return. With `unless_taken` (the fields of one of its unique
    constraints), a row whose values there are taken is not written, and None is returned: no
    error, so a caller inside a transaction can go on in it."""
    fields = {field.attname: field for field in model._meta.concrete_fields if not field.primary_key}
    given: dict[str, Any] = {}
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
        given[name] = value
    if values:
        raise TypeError(f"{model.__name__} has no field {', '.join(values)}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in given)
    placeholders = ", ".join(["%s"] * len(given))
    conflict = ""
    if unless_taken:
        taken = ", ".join(quote(model._meta.get_field(name).column) for name in unless_taken)
        conflict = f" ON CONFLICT ({taken}) DO NOTHING"
    primary_key = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}){conflict}"
            f" RETURNING {quote(primary_key.column)}",
            [fields[name].get_db_prep_save(value, connection) for name, value in given.items()],
        )
        written = cursor.fetchone()
    if written is None:
        return None
    row = model(**given, **{primary_key.attname: written[0]})
    row._state.adding, row._state.db = False, connection.alias  # a saved row, as create() leaves it
    return row
