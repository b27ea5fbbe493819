"""Celery tasks of the tenancy core: thin shells over its services."""

from celery import shared_task

from .offboarding import tenants_delete_due


@shared_task
def delete_closed_tenants() -> list[str]:
    return tenants_delete_due()
