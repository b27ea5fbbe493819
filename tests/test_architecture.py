"""DESIGN.md's dependency rules, checked on the source: customers → mappings → syncapp.clients,
and the sandbox is reached over HTTP only, never imported by product code."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path} imports {name}"
        for path, names in _imports(package).items()
        for name in names
        if name.split(".")[0] in forbidden or name.startswith(forbidden)
    )


@pytest.mark.parametrize("package", ["syncapp", "customers", "mappings"])
def test_product_code_never_imports_the_sandbox(package):
    assert _offenders(package, ("sandbox",)) == []


def test_mappings_does_not_depend_on_the_sync_engine():
    assert _offenders("mappings", ("customers",)) == []


def test_clients_know_no_models_and_no_features():
    assert _offenders("syncapp/clients", ("django.db", "customers", "mappings", "syncapp.models")) == []


def test_the_tenancy_core_imports_no_feature_app():
    assert _offenders("syncapp", ("mappings", "customers")) == []


CREDENTIAL_FIELDS = {"api_key", "grant_token", "webhook_secret", "previous_webhook_secret"}
# The connections package stores and reads them; the admin shows them masked.
MAY_READ_CREDENTIALS = ("syncapp/connections/", "syncapp/admin.py")


@pytest.mark.parametrize("package", ["syncapp", "customers", "mappings", "bench"])
def test_only_the_connections_package_reads_credentials(package):
    readers = sorted(
        f"{path.relative_to(ROOT)}:{node.lineno} reads .{node.attr}"
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and not str(path.relative_to(ROOT)).startswith(MAY_READ_CREDENTIALS)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in CREDENTIAL_FIELDS
    )
    assert readers == []
