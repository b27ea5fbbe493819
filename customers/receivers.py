"""Reacting to the connections package's saves, which cannot import this app (layers point down)."""

from syncapp.connections.common import Service
from syncapp.models import ConnectionStatus, EconomicConnection, StripeConnection

from .services.pauses import pause_on_revoked, pause_resume_on_reconnect

SERVICES = {EconomicConnection: Service.ECONOMIC, StripeConnection: Service.STRIPE}


def connection_saved(sender, instance, **kwargs) -> None:
    """A merchant reconnected (a verified credential was stored): a refused-credential pause ends
    and the events it held run by themselves."""
    if instance.status == ConnectionStatus.CONNECTED:
        pause_resume_on_reconnect(tenant=instance.tenant, service=SERVICES[sender])
    elif instance.status == ConnectionStatus.REVOKED:
        # The merchant removed our Stripe App: nothing is tried against the dead grant until they
        # connect again (which resumes, and reconciles what Stripe sent meanwhile).
        pause_on_revoked(tenant=instance.tenant, facts=instance.error_facts)
