"""Connect with Stripe: our Stripe App installed through its OAuth install link.

1. `stripe_install_url`: a `state` bound to the tenant, the member and their browser session,
   single use and short-lived (only its hash is stored), in the install link on Stripe's
   marketplace host.
2. Stripe shows its consent screen (an account picker, the app's permissions) and sends the
   browser back to our one callback with `code` and `state`.
3. `stripe_install_complete`: the state is checked and spent before anything else, then the code
   (single use, 5 minutes) is exchanged with the platform's secret key for the account's id and
   its tokens, which are stored encrypted. A forged, replayed, foreign or late callback connects
   nothing and says why.

Disconnecting revokes our grant at Stripe; the merchant removing the app in Stripe reaches us as
`account.application.deauthorized` on the platform's Connect endpoint (`stripe_app_deauthorized`).
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from syncapp.clients.stripe import StripeError, StripeUnavailable
from syncapp.mail import mail_send
from syncapp.models import (
    STRIPE_ACCOUNT_NAME_MAX,
    ConnectionStatus,
    Membership,
    Role,
    StripeAccess,
    StripeConnection,
    StripeInstallState,
    Tenant,
)
from syncapp.said import said_in_english

from .clients import stripe_client
from .selectors import stripe_account_first
from .stripe_platform import access_token_expiry, stripe_platform

logger = logging.getLogger(__name__)
# Long enough to read Stripe's consent screen and pick an account; short enough that a link left
# in a browser's history is worthless soon after.
INSTALL_STATE_LIFETIME = timedelta(minutes=10)
NOTIFY_REVOKED = "syncapp.connections.stripe_revoked_notify"
# The event Stripe sends the app (only) when a merchant removes it or revokes its access.
DEAUTHORIZED = "account.application.deauthorized"


class InstallRefused(Exception):
    """The callback connected nothing; `message` says why (for the merchant), `tenant` where to
    send them back when it is known."""

    def __init__(self, message: str, tenant: Tenant | None = None):
        super().__init__(message)
        self.message = message
        self.tenant = tenant


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def stripe_callback_url() -> str:
    """The one redirect URI registered in the app manifest (`allowed_redirect_uris`)."""
    return settings.SITE_URL + reverse("stripe_app_callback")


def stripe_install_url(
    *,
    tenant: Tenant,
    user: AbstractBaseUser,
    session_key: str,
    account: StripeConnection | None = None,
    account_name: str = "",
) -> str:
    """Stripe's install link for this tenant's member: `account` to reconnect one of the tenant's
    accounts, else `account_name` for a new one (empty: the first account)."""
    state = secrets.token_urlsafe(32)
    # Spent and expired installs tell nothing after a day: they go as new ones start.
    StripeInstallState.all_tenants.filter(expires__lt=timezone.now() - timedelta(days=1)).delete()
    StripeInstallState.objects.for_tenant(tenant).create(
        state_hash=_digest(state),
        user=user,
        session_hash=_digest(session_key),
        account=account,
        account_name=account_name.strip()[:STRIPE_ACCOUNT_NAME_MAX],
        expires=timezone.now() + INSTALL_STATE_LIFETIME,
    )
    query = urlencode(
        {"client_id": settings.STRIPE_CLIENT_ID, "redirect_uri": stripe_callback_url(), "state": state}
    )
    return f"{settings.STRIPE_OAUTH_AUTHORIZE_URL}?{query}"


def _state_spend(*, state: str, user: AbstractBaseUser, session_key: str) -> StripeInstallState:
    """The install the state names, spent now (a second use finds it spent), or InstallRefused."""
    row = StripeInstallState.all_tenants.select_related("tenant").filter(state_hash=_digest(state)).first()
    if row is None:
        raise InstallRefused(
            _(
                "This Stripe approval was not started here, so it was ignored and nothing was "
                "connected. Click “Connect with Stripe” to start again."
            )
        )
    tenant = row.tenant
    if row.user_id != user.pk or not secrets.compare_digest(row.session_hash, _digest(session_key)):
        raise InstallRefused(
            _(
                "This Stripe approval was started from another browser session, so it was ignored and "
                "nothing was connected. Click “Connect with Stripe” to start again."
            ),
            tenant,
        )
    spent = StripeInstallState.all_tenants.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise InstallRefused(
            _("This Stripe approval was already used, so nothing more was connected."), tenant
        )
    if row.expires <= timezone.now():
        raise InstallRefused(
            _(
                "This Stripe approval took too long and expired, so nothing was connected. Click "
                "“Connect with Stripe” to start again."
            ),
            tenant,
        )
    membership = Membership.objects.for_tenant(tenant).filter(user=user).first()
    if membership is None or not membership.can_edit:
        raise InstallRefused(_("Only an owner or admin can connect Stripe."), tenant)
    return row


def stripe_install_complete(
    *, user: AbstractBaseUser, session_key: str, state: str, code: str, error: str = ""
) -> StripeConnection:
    """Check and spend the state, exchange the code, store the account's grant."""
    install = _state_spend(state=state, user=user, session_key=session_key)
    tenant = install.tenant
    if error or not code:
        raise InstallRefused(_("Stripe was not approved, so nothing was connected."), tenant)
    platform = stripe_platform()
    try:
        answer = platform.token_from_code(code)
    except StripeUnavailable as exc:
        raise InstallRefused(
            _("Stripe could not be reached to finish connecting. Nothing was saved: try again."), tenant
        ) from exc
    except StripeError as exc:
        logger.warning("Tenant %s: Stripe refused an install's code (%s)", tenant.slug, exc.code)
        raise InstallRefused(
            _(
                "Stripe did not accept this approval (it was used already or has expired), so nothing "
                "was connected. Click “Connect with Stripe” to start again."
            ),
            tenant,
        ) from exc
    finally:
        platform.close()
    return _grant_store(install=install, answer=answer)


def _grant_store(*, install: StripeInstallState, answer: dict) -> StripeConnection:
    tenant, stripe_user_id = install.tenant, answer["stripe_user_id"]
    taken = (
        StripeConnection.all_tenants.filter(access=StripeAccess.STRIPE_APP, account_id=stripe_user_id)
        .exclude(status__in=[ConnectionStatus.NOT_CONNECTED, ConnectionStatus.REVOKED])
        .exclude(tenant=tenant)
        .exists()
    )
    if taken:
        raise InstallRefused(
            _(
                "That Stripe account is already connected to another merchant here, so it was not "
                "connected again. Pick another account, or ask that merchant's owner to disconnect it."
            ),
            tenant,
        )
    return stripe_app_store(account=_account_for(install, stripe_user_id), answer=answer)


def stripe_app_store(*, account: StripeConnection, answer: dict) -> StripeConnection:
    """Store a token answer (`stripe_user_id`, `livemode`, both tokens) for one of the tenant's
    accounts: from an install's code, or the sandbox demo's own grant."""
    tenant, stripe_user_id = account.tenant, answer["stripe_user_id"]
    with transaction.atomic():
        if account.pk:
            account = StripeConnection.objects.for_tenant(tenant).select_for_update().get(pk=account.pk)
        replaced_key, replaced_endpoint = account.api_key, account.webhook_endpoint_stripe_id
        account.access = StripeAccess.STRIPE_APP
        account.account_id = stripe_user_id
        account.livemode = bool(answer.get("livemode"))
        account.access_token = answer["access_token"]
        account.refresh_token = answer["refresh_token"]
        account.access_token_expires_at = access_token_expiry()
        # Its events come to the platform's endpoint now: no key, no endpoint of ours in its account.
        account.api_key = account.webhook_secret = account.previous_webhook_secret = ""
        account.previous_webhook_secret_until = None
        account.webhook_endpoint_stripe_id = ""
        account.status, account.last_error, account.error_facts, account.verified_at = (
            ConnectionStatus.CONNECTED,
            "",
            [],
            timezone.now(),
        )
        account.save()
    if replaced_key and replaced_endpoint:
        # The endpoint we had registered with the pasted key would deliver every event a second time.
        stripe_endpoint_delete(tenant, api_key=replaced_key, endpoint_id=replaced_endpoint)
    logger.info(
        "Tenant %s: Stripe account %s connected through the Stripe App (livemode=%s)",
        tenant.slug,
        account.pk,
        account.livemode,
    )
    return account


def stripe_endpoint_delete(tenant: Tenant, *, api_key: str, endpoint_id: str) -> bool:
    """Delete a webhook endpoint we registered with a pasted key (replaced by another, or by the
    app's Connect endpoint); False (and a warning in the log) when Stripe won't."""
    client = stripe_client(api_key)
    try:
        client.delete_webhook_endpoint(endpoint_id)
    except StripeError:
        logger.warning("Tenant %s: could not delete its Stripe webhook endpoint %s", tenant.slug, endpoint_id)
        return False
    finally:
        client.close()
    return True


def _account_for(install: StripeInstallState, stripe_user_id: str) -> StripeConnection:
    """Which of the tenant's accounts the grant is for: the one being reconnected, the one already
    holding that Stripe account, a new one under the name given, or the first account if it has
    nothing connected yet (a new tenant's "Main")."""
    tenant = install.tenant
    if install.account_id:
        return install.account
    known = StripeConnection.objects.for_tenant(tenant).filter(account_id=stripe_user_id).first()
    if known is not None:
        return known
    if install.account_name:
        named = StripeConnection.objects.for_tenant(tenant).filter(name=install.account_name).first()
        return named or StripeConnection(tenant=tenant, name=install.account_name)
    first = stripe_account_first(tenant=tenant)
    if first.status in (ConnectionStatus.NOT_CONNECTED, ConnectionStatus.REVOKED):
        return first
    return StripeConnection(tenant=tenant, name=_unused_name(tenant, stripe_user_id))


def _unused_name(tenant: Tenant, stripe_user_id: str) -> str:
    taken = set(StripeConnection.objects.for_tenant(tenant).values_list("name", flat=True))
    name = stripe_user_id[:STRIPE_ACCOUNT_NAME_MAX]
    return name if name not in taken else f"{name[: STRIPE_ACCOUNT_NAME_MAX - 4]} ({len(taken) + 1})"


def stripe_app_revoke(*, account: StripeConnection) -> bool:
    """Our Disconnect of an app-connected account: revoke the grant at Stripe (Connect's
    `/oauth/deauthorize`), then forget it. False when Stripe could not be told."""
    platform = stripe_platform()
    try:
        platform.deauthorize(account.account_id)
    except StripeError as exc:
        # Connect answers `invalid_client` when the account no longer holds our grant: already
        # revoked in Stripe, which is what we wanted. Anything else the merchant finishes in Stripe.
        logger.warning(
            "Tenant %s: Stripe did not revoke account %s (%s)", account.tenant.slug, account.pk, exc.code
        )
        return exc.code == "invalid_client"
    finally:
        platform.close()
    return True


def stripe_app_deauthorized(*, stripe_user_id: str, livemode: bool) -> list[StripeConnection]:
    """The merchant removed our app (or revoked its access) in Stripe: each connection holding that
    account is marked revoked and its dead tokens forgotten; syncs pause (customers/receivers.py)
    and the owners are told by e-mail. Already disconnected ones are left as they are."""
    revoked = []
    for account in StripeConnection.all_tenants.select_related("tenant").filter(
        access=StripeAccess.STRIPE_APP,
        account_id=stripe_user_id,
        livemode=livemode,
        status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.FAILING],
    ):
        account.status = ConnectionStatus.REVOKED
        account.error_facts = [{"code": "stripe_app_removed", "values": {}}]
        account.last_error = said_in_english(account.error_facts)
        account.access_token = account.refresh_token = ""
        account.access_token_expires_at = None
        # One commit with the pause the save's receiver writes: never a revoked account whose
        # syncs still run (nor, for a moment, one a reader sees revoked but not paused).
        with transaction.atomic():
            account.save()
        logger.warning(
            "Tenant %s: Stripe account %s removed our app in Stripe", account.tenant.slug, account.pk
        )
        transaction.on_commit(lambda pk=account.pk: _notify_revoked(pk))
        revoked.append(account)
    return revoked


def _notify_revoked(account_pk: int) -> None:
    """By task name (tasks.py imports this module): the owners' e-mail leaves the webhook's path."""
    try:
        current_app.tasks[NOTIFY_REVOKED].delay(account_pk)
    except Exception:  # a dead broker must not fail the webhook; the banner still shows it
        logger.exception("Could not enqueue the revoked-access e-mail for Stripe account %s", account_pk)


def stripe_revoked_notify(*, account_pk: int) -> int:
    """E-mail the tenant's owners that the app's access was removed in Stripe; how many e-mails."""
    account = StripeConnection.all_tenants.select_related("tenant").filter(pk=account_pk).first()
    if account is None or account.status != ConnectionStatus.REVOKED:
        return 0  # reconnected meanwhile
    tenant = account.tenant
    owners = Membership.objects.for_tenant(tenant).filter(role=Role.OWNER)
    recipients = sorted({e for e in owners.values_list("user__email", flat=True) if e})
    if not recipients:
        return 0
    connections_url = settings.SITE_URL + reverse("connections", args=[tenant.slug])
    mail_send(
        subject=_("%(merchant)s: Stripe access removed, syncing paused") % {"merchant": tenant.name},
        message=_(
            "Our app's access to your Stripe account “%(account)s” was removed in Stripe, so changes "
            "to your Stripe customers are not synced to e-conomic for now. Nothing is lost: when you "
            "connect again, what changed meanwhile is caught up.\n\n"
            "To connect again, click “Connect with Stripe” on %(url)s\n"
        )
        % {"account": account.name, "url": connections_url},
        recipients=recipients,
    )
    return len(recipients)
