"""Export: everything we hold for a tenant, as a zip of JSON and CSV (one pair per table).

Tables are found in the app registry, as offboarding finds them (every model with a `tenant`
foreign key), so what the pages show (settings and their history, links, sync log, events,
imports, members) is in it and a new table joins by itself. Credentials are never exported: an
encrypted field is left out by its type, unread.
"""

import csv
import io
import json
import zipfile
from typing import IO

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .crypto import EncryptedTextField
from .models import Tenant
from .offboarding import tenant_owned_models

CHUNK = 2000


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
        for model in tenant_owned_models():
            base = f"{model._meta.app_label}_{model._meta.model_name}"
            _write_table(archive, base, model, tenant)
            names += [f"{base}.json", f"{base}.csv"]
    return names


def _write_table(archive: zipfile.ZipFile, base: str, model, tenant: Tenant) -> None:
    # One pass per file: a zip takes one open entry at a time.
    columns = _columns(model)
    rows = model._base_manager.filter(tenant=tenant).order_by("pk").values(*columns)
    with archive.open(f"{base}.json", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write("[")
        for n, row in enumerate(rows.iterator(chunk_size=CHUNK)):
            out.write(("," if n else "") + "\n" + json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
        out.write("\n]\n")
    with archive.open(f"{base}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        table = csv.DictWriter(out, fieldnames=columns)
        table.writeheader()
        for row in rows.iterator(chunk_size=CHUNK):
            table.writerow({key: _cell(value) for key, value in row.items()})


def _cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return value
