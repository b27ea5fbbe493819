from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    """Its own app (models stay in syncapp), so the tenancy core never imports it: the dashboard
    card and the `tenant_connect` command are registered from here."""

    name = "syncapp.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel

        from .views import connections_panel

        # First on the dashboard: nothing syncs until both services are connected.
        register_panel(connections_panel, order=10)
