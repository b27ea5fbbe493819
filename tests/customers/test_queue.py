"""Tasks are reached by name through `customers.queue`: services never import the task module."""

from tests.import_graph import import_graph


def test_services_and_the_queue_never_import_the_tasks():
    graph = import_graph()
    senders = [m for m in graph if m.startswith("customers.services") or m == "customers.queue"]
    assert len(senders) > 3
    assert [m for m in senders if "customers.tasks" in graph[m]] == []
