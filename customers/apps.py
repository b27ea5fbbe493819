from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer sync"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel
        from syncapp.metrics import register_gauges

        # Registers the tasks that `queue.py` sends by name, in web processes too.
        from . import alert_tasks, tasks  # noqa: F401
        from .golive import golive_panel
        from .panels import review_panel, sync_panel
        from .telemetry import event_gauges

        register_panel(sync_panel, order=30)
        register_panel(review_panel, order=35)
        register_panel(golive_panel, order=10)
        register_gauges(event_gauges)
