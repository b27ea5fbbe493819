"""Export: everything we hold for a tenant, as a zip of JSON and CSV (one pair per table).

Tables are found in the app registry, as offboarding finds them (every model with a `tenant`
foreign key), so what the pages show (settings and their history, links, sync log, events,
imports, members) is in it and a new table joins by itself. Credentials are never exported: an
encrypted field is left out by its type, unread. Support staff are named by their role, never by
their e-mail (a view-as session's line, a change they made). CSV cells go through the one CSV
writer (`csv_text`), so none is run as a spreadsheet formula.
"""

import io
import json
import zipfile
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from .crypto import EncryptedTextField
from .csv_text import TextCsvWriter
from .models import Tenant
from .offboarding import tenant_owned_models

CHUNK = 2000
SUPPORT_STAFF = "support staff"


def _columns(model) -> list[str]:
    columns = []
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedTextField) or field.name == "tenant":
            continue
        columns.append(field.attname)
        # Who a row names is more use to the merchant as an e-mail than as a user id.
        if (
            field.is_relation
            and field.related_model is not None
            and (field.related_model._meta.label == settings.AUTH_USER_MODEL)
        ):
            columns.append(f"{field.name}__email")
    return columns


def tenant_export(*, tenant: Tenant, out: IO[bytes]) -> list[str]:
    """Write the zip to `out` (memory stays bounded: rows are streamed); returns the file names."""
    names = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        about = {
            "tenant": {"slug": tenant.slug, "name": tenant.name, "created": tenant.created},
            "exported": timezone.now(),
            "note": "One JSON and one CSV file per table; credentials (API keys, secrets, grant "
            "tokens) are never exported.",
        }
        archive.writestr("tenant.json", json.dumps(about, cls=DjangoJSONEncoder, indent=2))
        names.append("tenant.json")
        staff = _staff_emails()
        for model in tenant_owned_models():
            base = f"{model._meta.app_label}_{model._meta.model_name}"
            _write_table(archive, base, model, tenant, staff)
            names += [f"{base}.json", f"{base}.csv"]
    return names


def _staff_emails() -> frozenset[str]:
    """Every address a staff account goes by, lower-cased."""
    staff = get_user_model()._base_manager.filter(Q(is_staff=True) | Q(is_superuser=True))
    addresses = {value for pair in staff.values_list("email", "username") for value in pair}
    return frozenset(address.strip().lower() for address in addresses if address and "@" in address)


def _write_table(archive: zipfile.ZipFile, base: str, model, tenant: Tenant, staff: frozenset[str]) -> None:
    # One pass per file: a zip takes one open entry at a time.
    columns = _columns(model)
    rows = model._base_manager.filter(tenant=tenant).order_by("pk").values(*columns)

    def exported(row: dict) -> dict:
        return {key: _unnamed(value, staff) for key, value in row.items()}

    with archive.open(f"{base}.json", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write("[")
        for n, row in enumerate(rows.iterator(chunk_size=CHUNK)):
            line = json.dumps(exported(row), cls=DjangoJSONEncoder, ensure_ascii=False)
            out.write(("," if n else "") + "\n" + line)
        out.write("\n]\n")
    with archive.open(f"{base}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        table = TextCsvWriter(out)
        table.writerow(columns)
        for row in rows.iterator(chunk_size=CHUNK):
            table.writerow(_cell(value) for value in exported(row).values())


def _unnamed(value: object, staff: frozenset[str]) -> object:
    """A support staff member's e-mail becomes their role; anything else is kept."""
    if isinstance(value, str) and value.strip().lower() in staff:
        return SUPPORT_STAFF
    return value


def _cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return value
