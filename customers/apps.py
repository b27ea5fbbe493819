from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer sync"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel

        # Registers the tasks that `queue.py` sends by name, in web processes too.
        from . import tasks  # noqa: F401
        from .panels import sync_panel

        register_panel(sync_panel, order=30)

        from django.db.models.signals import post_save

        from .receivers import SERVICES, connection_saved

        for model in SERVICES:
            post_save.connect(connection_saved, sender=model, dispatch_uid=f"resume-{model.__name__}")
