"""Tasks are reached by name through `customers.queue`: services never import the task module."""

import ast
from pathlib import Path

import customers

CUSTOMERS = Path(customers.__file__).parent


def _imports(path: Path) -> set[str]:
    package = ".".join(path.relative_to(CUSTOMERS.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_services_and_the_queue_never_import_the_tasks():
    modules = [*sorted((CUSTOMERS / "services").glob("*.py")), CUSTOMERS / "queue.py"]
    for path in modules:
        assert "customers.tasks" not in _imports(path), f"{path.name} imports customers.tasks"
