"""The architecture of docs/architecture.md, checked on the source.

Dependencies point one way: operations → customers → mappings → syncapp.connections →
syncapp.clients, with the tenancy core (the rest of syncapp) at the bottom. The sandbox (emulators
and the `make run` demo) is outside: product code reaches it over HTTP and never imports it. No two
modules import each other, directly or round a longer circle.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.import_graph import import_graph, imported_names, source_modules

ROOT = Path(__file__).resolve().parent.parent


def _layer(module: str) -> str:
    for prefix, layer in (
        ("syncapp.clients", "clients"),
        ("syncapp.connections", "connections"),
        ("syncapp", "core"),
        ("mappings", "mappings"),
        ("customers", "customers"),
        ("operations", "operations"),
        ("sandbox", "sandbox"),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer")


# What each layer may import besides itself. The project package's urls.py wires every app in by
# name (strings), which the import graph does not see.
ALLOWED = {
    "clients": set(),
    "core": {"clients"},
    "connections": {"core", "clients"},
    "mappings": {"connections", "core", "clients"},
    "customers": {"mappings", "connections", "core", "clients"},
    # Go-live, alerts, review, privacy requests, the support console: around the sync, above it.
    "operations": {"customers", "mappings", "connections", "core", "clients"},
    "sandbox": {"customers", "mappings", "connections", "core", "clients"},
}


def test_no_module_imports_round_a_circle():
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as exc:
        pytest.fail(f"import circle: {' → '.join(exc.args[1])}")


def test_dependencies_point_one_way():
    offenders = sorted(
        f"{module} ({_layer(module)}) imports {target} ({_layer(target)})"
        for module, targets in import_graph().items()
        for target in targets
        if _layer(target) != _layer(module) and _layer(target) not in ALLOWED[_layer(module)]
    )
    assert offenders == []


@pytest.mark.parametrize("forbidden", ["mappings", "customers", "operations", "sandbox"])
def test_the_core_never_imports_the_features_the_sandbox_or_the_demo(forbidden):
    graph = import_graph()
    offenders = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith("syncapp")
        for target in targets
        if target.split(".")[0] == forbidden
    ]
    assert offenders == []


def test_clients_read_no_django_settings_and_know_no_models():
    clients = {m: p for m, p in source_modules().items() if _layer(m) == "clients"}
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in clients.items()
        for name in imported_names(module, path)
        if name.split(".")[0] == "django"
    )
    assert offenders == []


def test_the_layers_are_recognised():
    """A guard on the checks above: each layer has modules, so a rename cannot empty a rule."""
    assert {_layer(module) for module in source_modules()} == set(ALLOWED)


CREDENTIAL_FIELDS = {"api_key", "grant_token", "webhook_secret", "previous_webhook_secret"}
# The connections package stores and reads them; the admin shows them masked.
MAY_READ_CREDENTIALS = ("syncapp/connections/", "syncapp/admin.py")


@pytest.mark.parametrize("package", ["syncapp", "customers", "operations", "mappings", "bench"])
def test_only_the_connections_package_reads_credentials(package):
    readers = sorted(
        f"{path.relative_to(ROOT)}:{node.lineno} reads .{node.attr}"
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and not str(path.relative_to(ROOT)).startswith(MAY_READ_CREDENTIALS)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in CREDENTIAL_FIELDS
    )
    assert readers == []


# Issue 24: the Stripe → e-conomic update (fields set to both ways) and the e-conomic → Stripe read
# decide which way a field flows with the one pure function, so they can never disagree on a field.
@pytest.mark.parametrize("module", ["customers.services.both_ways", "customers.services.from_economic"])
def test_both_directions_decide_with_the_one_pure_function(module):
    assert "mappings.engine.two_way.fields_to_flow" in imported_names(module, source_modules()[module])


# The two webhook entries (Stripe's events, e-conomic's notifications) store or hint and return:
# neither reaches a client or opens one.
@pytest.mark.parametrize("module", ["customers.webhooks", "customers.economic_notifications"])
def test_webhook_entries_open_no_client(module):
    names = imported_names(module, source_modules()[module])
    reached = sorted(
        n for n in names if n.startswith(("syncapp.connections.pool", "syncapp.connections.clients"))
    )
    assert reached == []
    assert not any(n.startswith("syncapp.clients.economic") for n in names)
