from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer sync"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from syncapp.health import register_status_check
        from syncapp.metrics import register_gauges
        from syncapp.models import StripeConnection

        # Registers the tasks that `queue.py` sends by name, in web processes too.
        from . import tasks  # noqa: F401
        from .receivers import SERVICES, connection_saved
        from .selectors import sync_status
        from .telemetry import event_gauges
        from .webhook_lookup import webhook_target_forget

        register_gauges(event_gauges)
        register_status_check("sync", sync_status)
        # A reconnected service resumes the events its refused credential held.
        for model in SERVICES:
            post_save.connect(connection_saved, sender=model, dispatch_uid=f"resume-{model.__name__}")
        # The webhook entry reads a changed or removed account again at once (in this process).
        for signal in (post_save, post_delete):
            signal.connect(webhook_target_forget, sender=StripeConnection, dispatch_uid="webhook-target")
