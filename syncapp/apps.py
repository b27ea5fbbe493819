from django.apps import AppConfig


class SyncappConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from .connections.views import connections_panel
        from .dashboard import register_panel

        # First on the dashboard: nothing syncs until both services are connected.
        register_panel(connections_panel, order=10)
