"""A tenant's connections to Stripe and e-conomic: checking and storing credentials, reading
them back, and the API clients made from them. Code outside this package imports from here and
never reads a connection's fields; modules inside import from their siblings, never from here.
"""

from .clients import (
    NotConnected,
    economic_client,
    economic_client_for,
    economic_rate_limiter,
    stripe_client,
    stripe_client_for,
)
from .common import Credential, CredentialRefused, Service, connection_mark_failing
from .economic import (
    EconomicCredentials,
    economic_check,
    economic_connect,
    economic_disconnect,
    economic_grant_url,
    economic_prepare,
    economic_store,
    economic_verify,
)
from .selectors import connection_for, connections_summary, stripe_webhook_url, webhook_secrets_for
from .stripe import (
    StripeCredentials,
    stripe_check,
    stripe_connect,
    stripe_disconnect,
    stripe_prepare,
    stripe_store,
)
from .tenant import tenant_connect

__all__ = [
    "Credential",
    "CredentialRefused",
    "EconomicCredentials",
    "NotConnected",
    "Service",
    "StripeCredentials",
    "connection_for",
    "connection_mark_failing",
    "connections_summary",
    "economic_check",
    "economic_client",
    "economic_client_for",
    "economic_connect",
    "economic_disconnect",
    "economic_grant_url",
    "economic_prepare",
    "economic_rate_limiter",
    "economic_store",
    "economic_verify",
    "stripe_check",
    "stripe_client",
    "stripe_client_for",
    "stripe_connect",
    "stripe_disconnect",
    "stripe_prepare",
    "stripe_store",
    "stripe_webhook_url",
    "tenant_connect",
    "webhook_secrets_for",
]
