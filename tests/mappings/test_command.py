"""`manage.py tenant_settings export|import`: the operators' way in, with clear exit codes."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mappings.document import default_document
from mappings.models import SettingsChange
from mappings.selectors import settings_document_for
from mappings.services import settings_save

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("tenant_settings", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_prints_the_document_and_import_restores_it(tenant, tmp_path):
    document = default_document()
    document["customer_number"] = {
        "mode": "stripe",
        "stripe_field": "metadata.no",
        "store_in_stripe_field": None,
    }
    settings_save(tenant=tenant, user=None, document=document, source="number")
    exported, _ = run("export", tenant.slug)
    assert json.loads(exported) == document

    settings_save(tenant=tenant, user=None, document=default_document(), source="number")
    path = tmp_path / "settings.json"
    path.write_text(exported)
    out, err = run("import", tenant.slug, str(path))
    assert out.strip() == f"Imported the customer sync settings of {tenant.slug}."
    # Not connected to e-conomic here: said plainly, not hidden.
    assert "default numbers were not checked" in err
    assert settings_document_for(tenant=tenant) == document
    change = SettingsChange.objects.for_tenant(tenant).first()
    assert (change.source, change.user, change.user_email) == ("import", None, "")


def test_an_invalid_file_exits_2_with_every_problem_and_changes_nothing(tenant, tmp_path):
    document = default_document()
    document["matching"]["rules"] = []
    document["sync"]["on_stripe_delete"] = "delete"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("tenant_settings", "import", tenant.slug, str(path), stderr=err)
    assert raised.value.returncode == 2
    assert err.getvalue().splitlines() == [
        "matching.rules: needs at least one rule, or every customer would be created anew.",
        "sync.on_stripe_delete: “delete” is not one of ignore, bar.",
    ]
    assert settings_document_for(tenant=tenant) == default_document()
    assert not SettingsChange.objects.for_tenant(tenant).exists()


def test_a_file_that_is_not_json_exits_2(tenant, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{")
    with pytest.raises(CommandError, match="is not valid JSON") as raised:
        run("import", tenant.slug, str(path))
    assert raised.value.returncode == 2


def test_an_unknown_tenant_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No tenant with slug “nope”"):
        run("export", "nope")
