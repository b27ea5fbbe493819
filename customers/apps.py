from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer sync"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel

        from .panels import sync_panel

        register_panel(sync_panel, order=30)
