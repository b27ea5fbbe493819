"""The beat task behind the alert e-mails (CELERY_BEAT_SCHEDULE "send-alerts"): thin."""

from celery import shared_task

from .services.alerts import alerts_send_due


@shared_task(name="customers.send_alerts")
def send_alerts() -> int:
    return alerts_send_due()
