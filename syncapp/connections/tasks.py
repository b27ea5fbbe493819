"""The beat task behind the daily budget's e-mail (CELERY_BEAT_SCHEDULE "send-budget-alerts"): thin."""

from celery import shared_task

from .budget import budget_alerts_send


@shared_task(name="syncapp.connections.send_budget_alerts")
def send_budget_alerts() -> int:
    return budget_alerts_send()
