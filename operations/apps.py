from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What the merchant and support do around the sync: go-live, alerts, review, privacy requests,
    the support console. Above `customers` in the layers: it calls the sync, never the other way."""

    name = "operations"
    verbose_name = "Sync operations"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel

        # The beat task "send-alerts" sends by name: registered in web processes too.
        from . import alert_tasks  # noqa: F401
        from .golive import golive_panel
        from .panels import review_panel, sync_panel

        register_panel(sync_panel, order=30)
        register_panel(review_panel, order=35)
        register_panel(golive_panel, order=10)
