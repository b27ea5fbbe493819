"""The Stripe emulator's state: one row set per account, split by livemode like Stripe's data."""

import secrets
import string
import time

from django.db import models

_ALPHABET = string.ascii_letters + string.digits
# The version an account's events are rendered in unless an endpoint pins its own.
DEFAULT_API_VERSION = "2025-03-31.basil"
# Permission levels of a restricted key, weakest first: "write" includes "read".
PERMISSION_LEVELS = ("none", "read", "write")
# The resources a restricted key can be given a level for, and the most each can have.
PERMISSION_RESOURCES = {"customers": "write", "webhook_endpoints": "write", "events": "read"}


def stripe_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_ts() -> int:
    return int(time.time())


def new_account_id() -> str:
    return stripe_id("acct_", 16)


class Account(models.Model):
    stripe_id = models.CharField(max_length=40, unique=True, default=new_account_id)
    name = models.CharField(max_length=200, blank=True)
    created = models.IntegerField(default=now_ts)
    # Delivery switches, so tests can play Stripe's at-least-once, any-order delivery on purpose.
    delivery_duplicates = models.PositiveSmallIntegerField(default=1, help_text="Send each event N times")
    delivery_reorder_batch = models.PositiveSmallIntegerField(
        default=0, help_text="Hold events until N are waiting, then send them newest first (0/1: off)"
    )
    delivery_delay_seconds = models.FloatField(default=0.0)
    # The account's default API version: events are created in it, and delivered in it to
    # endpoints that pinned none.
    api_version = models.CharField(max_length=40, default=DEFAULT_API_VERSION)

    def __str__(self) -> str:
        return self.name or self.stripe_id


def recommended_permissions() -> dict[str, str]:
    """What the reference asks a merchant to give a restricted key: the default for a new one."""
    return {"customers": "write", "events": "read", "webhook_endpoints": "write"}


class ApiKey(models.Model):
    KINDS = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=200, unique=True)
    # Only restricted keys (`rk_`) are limited: resource → "none" | "read" | "write"; a resource
    # left out is "none". Secret keys (`sk_`) may do everything whatever this holds.
    permissions = models.JSONField(default=recommended_permissions, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}…{self.key[-4:]}"

    @property
    def livemode(self) -> bool:
        return self.key.startswith(("sk_live_", "rk_live_"))

    @property
    def restricted(self) -> bool:
        return self.key.startswith(("rk_test_", "rk_live_"))

    def allows(self, resource: str, level: str) -> bool:
        if not self.restricted:
            return True
        granted = (self.permissions or {}).get(resource, "none")
        if granted not in PERMISSION_LEVELS:
            return False
        return PERMISSION_LEVELS.index(granted) >= PERMISSION_LEVELS.index(level)


class Customer(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="customers")
    livemode = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=40, unique=True)
    created = models.IntegerField(default=now_ts)
    email = models.CharField(max_length=512, blank=True, db_index=True)
    deleted = models.BooleanField(default=False)
    # The customer object as the API returns it, minus expandable parts; tax ids live in `tax_ids`.
    data = models.JSONField(default=dict)
    tax_ids = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["account", "livemode", "-created", "-id"])]

    def __str__(self) -> str:
        return self.stripe_id


class WebhookEndpoint(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_endpoints")
    livemode = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=40, unique=True)
    created = models.IntegerField(default=now_ts)
    url = models.URLField(max_length=2048)
    enabled_events = models.JSONField(default=list)
    api_version = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=5000, blank=True)
    metadata = models.JSONField(default=dict)
    status = models.CharField(max_length=20, default="enabled")
    secret = models.CharField(max_length=100)
    # A platform's endpoint for events on its connected accounts (they carry `account`).
    connect = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.stripe_id} → {self.url}"

    def listens_to(self, event_type: str) -> bool:
        return self.status == "enabled" and ("*" in self.enabled_events or event_type in self.enabled_events)


class Event(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    livemode = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    created = models.IntegerField(default=now_ts)
    payload = models.JSONField()
    # Waiting for the reordering switch to release a batch.
    held = models.BooleanField(default=False)
    # The endpoints (ids) listening when the event happened, and how many of them have not yet
    # answered a delivery with a 2xx: Stripe's `pending_webhooks`, and `delivery_success` in lists.
    destined = models.JSONField(default=list)
    pending_webhooks = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["account", "livemode", "-created", "-id"])]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"

    def render(self, api_version: str | None = None, *, connected: bool = False) -> dict:
        """The event as the API shows it now; `api_version` as an endpoint that pinned one gets it;
        `connected`: as a platform's Connect endpoint gets it, naming the account it happened in."""
        body = dict(self.payload)
        body["pending_webhooks"] = self.pending_webhooks
        if api_version:
            body["api_version"] = api_version
        if connected:
            body["account"] = self.account.stripe_id
        return body


class Delivery(models.Model):
    """One attempt to POST an event to an endpoint; status_code null means no answer."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint_id = models.CharField(max_length=40, blank=True)
    url = models.URLField(max_length=2048)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event.stripe_id} → {self.url}: {self.status_code or self.error}"


class IdempotentRequest(models.Model):
    """The first answer to an `Idempotency-Key`; status 0 while that request is still running."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    fingerprint = models.TextField()
    status = models.IntegerField(default=0)
    request_id = models.CharField(max_length=40, blank=True)
    # The answer's exact text: a replay is byte for byte the first answer (jsonb would reorder keys).
    body = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "livemode", "key"], name="one_response_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


class RequestLog(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    request_id = models.CharField(max_length=40)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.IntegerField()
    idempotency_key = models.CharField(max_length=255, blank=True)
    replayed = models.BooleanField(default=False)
    fault = models.CharField(max_length=40, blank=True, help_text="The injected fault that answered")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class Fault(models.Model):
    """An error answer on demand, for one account or (account empty) for every account.

    It answers the matching requests before they run: the next `remaining` of them (null: no
    limit), each with probability `rate`. Kinds and their bodies are in `faults.py`.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="faults"
    )
    kind = models.CharField(max_length=20)
    status = models.IntegerField()
    remaining = models.IntegerField(null=True, blank=True)
    rate = models.FloatField(default=1.0)
    # Optional seed: the same seed draws the same sequence of hits (reproducible chaos).
    seed = models.CharField(max_length=40, blank=True)
    seen = models.IntegerField(default=0, help_text="Matching requests so far")
    method = models.CharField(max_length=10, blank=True, help_text="Only this method (blank: any)")
    path = models.CharField(max_length=200, blank=True, help_text="Only paths starting so (`/v1/customers`)")
    should_retry = models.CharField(max_length=5, blank=True, help_text="Stripe-Should-Retry header value")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.status} for {self.account or 'every account'}"


class SinkRequest(models.Model):
    """A webhook received by the test sink (`/_sink/<name>/`), so tests need no extra server."""

    name = models.CharField(max_length=100, db_index=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.created:%H:%M:%S}"


# What a Stripe App may be granted, as the restricted keys' resources and levels (webhook_write
# is gated by Stripe, so an app listens on its platform's Connect endpoint instead).
APP_PERMISSIONS = {"customers": "write", "events": "read"}
# Stripe's figures: a code is single use for 5 minutes; an access token lasts an hour, a refresh
# token a year and rotates at each refresh.
OAUTH_CODE_SECONDS = 5 * 60
ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 365 * 24 * 3600


def default_app_permissions() -> dict[str, str]:
    return dict(APP_PERMISSIONS)


class OAuthApp(models.Model):
    """A Stripe App with `stripe_api_access_type: oauth`, owned by its platform account."""

    platform = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="apps")
    client_id = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    # The manifest's `allowed_redirect_uris`: a redirect anywhere else is refused, never followed.
    redirect_uris = models.JSONField(default=list)
    permissions = models.JSONField(default=default_app_permissions)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class OAuthCode(models.Model):
    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    code = models.CharField(max_length=80, unique=True)
    expires = models.IntegerField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"code for {self.account} ({'used' if self.used else 'unused'})"


class OAuthGrant(models.Model):
    """An account's installation of an app: its current tokens (the refresh token rotates)."""

    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="grants")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="grants")
    livemode = models.BooleanField(default=False)
    access_token = models.CharField(max_length=120, unique=True)
    access_expires = models.IntegerField()
    refresh_token = models.CharField(max_length=120, unique=True)
    refresh_expires = models.IntegerField()
    revoked = models.BooleanField(default=False)
    created = models.IntegerField(default=now_ts)

    def __str__(self) -> str:
        return f"{self.app} installed in {self.account}{' (revoked)' if self.revoked else ''}"
