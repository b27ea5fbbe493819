"""What both services share: their names, the refusal of a credential, the "failing" mark."""

import logging
from enum import StrEnum

from syncapp.models import Connection, ConnectionStatus, EconomicConnection, StripeConnection, Tenant
from syncapp.said import Fact, said_in_english, said_text

logger = logging.getLogger(__name__)


class Service(StrEnum):
    ECONOMIC = "economic"
    STRIPE = "stripe"


CONNECTION_MODELS: dict[Service, type[Connection]] = {
    Service.ECONOMIC: EconomicConnection,
    Service.STRIPE: StripeConnection,
}


class Credential(StrEnum):
    """Which credential a refusal is about (the `tenant_connect` options are named after them)."""

    ECONOMIC_GRANT_TOKEN = "economic_grant_token"
    STRIPE_API_KEY = "stripe_api_key"
    STRIPE_WEBHOOK_SECRET = "stripe_webhook_secret"
    STRIPE_ACCOUNT_NAME = "stripe_account_name"


class NotConnected(Exception):
    """The tenant has not connected this service (or this Stripe account) yet, or its access was
    removed; the message says what to do (in English; `said` is it as a fact, `syncapp/said.py`)."""

    def __init__(self, message: str, *, said: tuple[str, dict] | None = None):
        super().__init__(message)
        self.message = message
        self.said = said


class CredentialRefused(Exception):
    """A credential failed its check; nothing was stored. `credential` says which one; `facts` say
    why (`syncapp/said.py`): `text` in the reader's language, `message` in English (the CLI, logs)."""

    def __init__(self, credential: Credential, facts: list[Fact]):
        self.credential = credential
        self.facts = facts
        self.message = said_in_english(facts)
        super().__init__(self.message)

    @property
    def text(self) -> str:
        return said_text(self.facts)


def connection_mark_failing(
    *, tenant: Tenant, service: Service, facts: list[Fact], connection: Connection | None = None
) -> None:
    """A sync found the credential refused: the dashboard badge turns to "failing" with the reason
    (as facts, `syncapp/said.py`).

    `connection` names which Stripe account's key it was (else the tenant's first account).
    """
    if connection is None:
        connection = CONNECTION_MODELS[Service(service)].objects.for_tenant(tenant).order_by("id").first()
    if connection is not None and (connection.status, connection.error_facts) != (
        ConnectionStatus.FAILING,
        facts,
    ):
        mark_failing(connection, facts)


def mark_failing(connection: Connection, facts: list[Fact]) -> None:
    """Keep the credential (the merchant may fix it at the other end) but show why it fails."""
    connection.status, connection.error_facts = ConnectionStatus.FAILING, facts
    connection.last_error = said_in_english(facts)
    connection.save(update_fields=["status", "last_error", "error_facts"])
    logger.warning("Tenant %s: %s connection failing", connection.tenant.slug, type(connection).__name__)
