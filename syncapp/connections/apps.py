from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    """Its own app (models stay in syncapp), so the tenancy core never imports it: the dashboard
    card and the `tenant_connect` command are registered from here."""

    name = "syncapp.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel
        from syncapp.metrics import register_gauges
        from syncapp.offboarding import register_closing_step

        from . import tasks  # noqa: F401  (the budget alerts' beat task)
        from .budget import budget_gauges, budget_panel
        from .economic import economic_disconnect
        from .stripe import stripe_disconnect_all
        from .views import connections_panel

        # First on the dashboard: nothing syncs until both services are connected.
        register_panel(connections_panel, order=10)
        register_panel(budget_panel, order=40)
        register_gauges(budget_gauges)
        # Closing an account: Stripe stops sending events, and we forget the e-conomic grant.
        register_closing_step("stripe", lambda tenant: stripe_disconnect_all(tenant=tenant))
        register_closing_step("economic", lambda tenant: economic_disconnect(tenant=tenant))
