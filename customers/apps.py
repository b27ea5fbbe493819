from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer sync"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel
        from syncapp.metrics import register_gauges

        # Registers the tasks that `queue.py` sends by name, in web processes too.
        from . import tasks  # noqa: F401
        from .panels import sync_panel
        from .telemetry import event_gauges

        register_panel(sync_panel, order=30)
        register_gauges(event_gauges)
