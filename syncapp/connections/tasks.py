"""The connections' tasks, thin: the daily budget's e-mail (CELERY_BEAT_SCHEDULE
"send-budget-alerts") and the owners' e-mail when our Stripe App's access was removed."""

from celery import shared_task

from .budget import budget_alerts_send
from .stripe_app import NOTIFY_REVOKED, stripe_revoked_notify


@shared_task(name="syncapp.connections.send_budget_alerts")
def send_budget_alerts() -> int:
    return budget_alerts_send()


@shared_task(name=NOTIFY_REVOKED)
def stripe_revoked_notify_task(account_pk: int) -> int:
    return stripe_revoked_notify(account_pk=account_pk)
