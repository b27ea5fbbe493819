import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from .crypto import EncryptedTextField
from .said import said_text
from .tenancy import TenantOwnedModel


def new_webhook_endpoint_id() -> str:
    return secrets.token_urlsafe(24)


class Tenant(models.Model):
    """A merchant: one or more Stripe accounts and one e-conomic agreement kept in step."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    # An owner closed the account (syncapp/offboarding.py): its data is deleted at `delete_after`
    # unless an owner cancels first.
    closing_requested_at = models.DateTimeField(null=True, blank=True)
    delete_after = models.DateTimeField(null=True, blank=True, db_index=True)
    # The hourly e-mail to owners and admins about new failures and customers waiting for review.
    alerts_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        # Support's actions on a merchant, each its own permission (the "Support" group holds them).
        permissions = [
            ("view_as_tenant", "Can view a merchant's pages as the merchant (support)"),
            ("test_connections_tenant", "Can test a merchant's connections (support)"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class Role(models.TextChoices):
    OWNER = "owner", gettext_lazy("Owner")
    ADMIN = "admin", gettext_lazy("Admin")
    VIEWER = "viewer", gettext_lazy("Viewer")


class Membership(TenantOwnedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_user_and_tenant")
        ]
        # Not in the "Support" group: an owner can do anything, so making one is a superuser's
        # decision or an explicit grant.
        permissions = [("make_owner_membership", "Can make someone a merchant's owner in the console")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.tenant_id}"

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class Invitation(TenantOwnedModel):
    """An owner's invitation to join as admin or viewer: a single-use link that expires.

    Only the token's SHA-256 is stored, so the database never holds a usable link.
    """

    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=[(Role.ADMIN, gettext_lazy("Admin")), (Role.VIEWER, gettext_lazy("Viewer"))]
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.role} to {self.tenant_id}"


class ConnectionStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", gettext_lazy("Not connected")
    CONNECTED = "connected", gettext_lazy("Connected")
    FAILING = "failing", gettext_lazy("Failing")
    # The merchant removed our Stripe App (or revoked its access) in Stripe: nothing is tried
    # against the dead grant until they connect again.
    REVOKED = "revoked", gettext_lazy("Access removed in Stripe")


class Connection(TenantOwnedModel):
    status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED
    )
    # Why it fails, in English (support, logs), and as facts a page writes in its reader's language.
    last_error = models.TextField(blank=True)
    error_facts = models.JSONField(default=list, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def error_text(self) -> str:
        """Why it fails, in the reader's language (a row from before the facts: as stored)."""
        return said_text(self.error_facts, self.last_error) if self.last_error else ""


class StripeAccess(models.TextChoices):
    """How we reach one of a tenant's Stripe accounts."""

    API_KEY = "api_key", gettext_lazy("API key pasted by the merchant")
    STRIPE_APP = "stripe_app", gettext_lazy("Our Stripe App (Connect with Stripe)")


# The name a tenant's first Stripe account gets (its only one, for most merchants).
FIRST_STRIPE_ACCOUNT_NAME = "Main"
STRIPE_ACCOUNT_NAME_MAX = 60


class StripeConnection(Connection):
    """One of a tenant's Stripe accounts ("DK shop", "SE shop"), all booking into its one e-conomic
    agreement. The key and the webhook signing secrets are write-only."""

    name = models.CharField(max_length=STRIPE_ACCOUNT_NAME_MAX)
    # Random, unguessable id in this account's webhook URL; it says which account an event is for.
    webhook_endpoint_id = models.CharField(
        max_length=64, unique=True, default=new_webhook_endpoint_id, editable=False
    )
    api_key = EncryptedTextField(blank=True)
    webhook_secret = EncryptedTextField(blank=True)
    # Kept while Stripe rolls the secret, so events signed with either still verify.
    previous_webhook_secret = EncryptedTextField(blank=True)
    # Stripe signs with the old secret for at most 24 hours after a roll; after that it is refused.
    previous_webhook_secret_until = models.DateTimeField(null=True, blank=True)
    livemode = models.BooleanField(null=True, blank=True)
    # For a later Stripe App / Connect listing: events are routed to tenants by `event.account`.
    account_id = models.CharField(max_length=64, blank=True)
    webhook_endpoint_stripe_id = models.CharField(max_length=64, blank=True)
    # Connected through our Stripe App: `account_id` is the merchant's account, its events come to
    # the platform's Connect endpoint, and calls use the app's access token (about an hour; the
    # refresh token, about a year, rotates at each refresh). Both tokens are write-only.
    access = models.CharField(max_length=20, choices=StripeAccess.choices, default=StripeAccess.API_KEY)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="one_stripe_account_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"Stripe account “{self.name}” of tenant {self.tenant_id}"

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/stripe/{self.webhook_endpoint_id}/"

    @property
    def via_stripe_app(self) -> bool:
        return self.access == StripeAccess.STRIPE_APP


class StripeInstallState(TenantOwnedModel):
    """One "Connect with Stripe" in flight: the `state` we put in Stripe's install link.

    Bound to the tenant, the member who clicked and their browser session; used once, and only
    for a few minutes. Only its SHA-256 is stored, as for invitations.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_hash = models.CharField(max_length=64)
    # Reconnecting one of the tenant's accounts; empty: a new account under `account_name`.
    account = models.ForeignKey(StripeConnection, null=True, blank=True, on_delete=models.CASCADE)
    account_name = models.CharField(max_length=STRIPE_ACCOUNT_NAME_MAX, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Stripe install of tenant {self.tenant_id} started {self.created:%Y-%m-%d %H:%M}"


class EconomicConnection(Connection):
    """A tenant's e-conomic agreement, reached with its grant token (write-only)."""

    grant_token = EncryptedTextField(blank=True)
    # Random, unguessable id in the URL e-conomic's "Customer updated" web hook calls; it names the
    # tenant whose read of changes to start. e-conomic signs nothing: the call is a hint, never data.
    notification_id = models.CharField(
        max_length=64, unique=True, default=new_webhook_endpoint_id, editable=False
    )
    agreement_number = models.IntegerField(null=True, blank=True)
    company_name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_economic_connection_per_tenant")]

    @property
    def notification_path(self) -> str:
        """The path of the URL to set up as e-conomic's "Customer updated" web hook."""
        return f"/webhooks/economic/{self.notification_id}/[NEWNUMBER]/[OLDNUMBER]/"

    def __str__(self) -> str:
        return f"e-conomic connection of tenant {self.tenant_id}"


class ViewAsSession(models.Model):
    """A staff member viewing a merchant's pages as the merchant sees them (read-only): the audit
    line of who looked at which merchant's data, and when."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from `staff`, so the line still says who after the account is renamed.
    staff_email = models.CharField(max_length=254)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    started = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started"]
        verbose_name = "view-as session"

    def __str__(self) -> str:
        return f"{self.staff_email} viewed {self.tenant_id} from {self.started:%Y-%m-%d %H:%M}"


class VerifiedEmail(models.Model):
    """An e-mail address its user showed they receive mail at: the link we sent at sign-up, an
    invitation they accepted, or a password reset. Owners invite members only once verified."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    verified_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.email} verified {self.verified_at:%Y-%m-%d %H:%M}"


class Profile(models.Model):
    """What a member chose for themselves, whichever merchant they work for: the language of the
    pages and of the e-mails sent to them (blank: the browser's, then English)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)

    def __str__(self) -> str:
        return f"{self.user} reads {self.language or 'the browser language'}"
