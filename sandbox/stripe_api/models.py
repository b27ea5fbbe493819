"""The Stripe emulator's state: one row set per account, split by livemode like Stripe's data."""

import secrets
import string
import time

from django.db import models

_ALPHABET = string.ascii_letters + string.digits


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

    def __str__(self) -> str:
        return self.name or self.stripe_id


class ApiKey(models.Model):
    KINDS = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}…{self.key[-4:]}"

    @property
    def livemode(self) -> bool:
        return self.key.startswith(("sk_live_", "rk_live_"))


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

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


class Delivery(models.Model):
    """One attempt to POST an event to an endpoint; status_code null means no answer."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=2048)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event.stripe_id} → {self.url}: {self.status_code or self.error}"


class IdempotentRequest(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    fingerprint = models.TextField()
    status = models.IntegerField(default=0)
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
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class SinkRequest(models.Model):
    """A webhook received by the test sink (`/_sink/<name>/`), so tests need no extra server."""

    name = models.CharField(max_length=100, db_index=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.created:%H:%M:%S}"
