from django.db import models
from django.utils import timezone

from syncapp.tenancy import TenantOwnedModel


class StripeEvent(TenantOwnedModel):
    """A Stripe webhook event, stored before anything else so nothing accepted is ever lost."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    stripe_created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    account = models.CharField(max_length=255, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The schedule lives here, not in the broker: a pending event is due at `next_attempt_at`, and
    # whoever holds the lease (a queued message's token, then the worker running it) works on it
    # until `leased_until`. A lost message or a killed worker only delays it until the lease ends.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # The first failure of the current run of retries: the event gives up a window after it.
    retrying_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "stripe_event_id"], name="one_event_per_stripe_id")
        ]
        indexes = [
            models.Index(fields=["status", "received"]),
            models.Index(fields=["status", "next_attempt_at"], name="customers_event_due"),
        ]
        ordering = ["-received"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"


class CustomerLink(TenantOwnedModel):
    """Which e-conomic customer a Stripe customer is kept in step with."""

    stripe_customer_id = models.CharField(max_length=255)
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    created_by_us = models.BooleanField(default=False)
    # Hash of the mapped values last written to e-conomic: an update is sent only when it changes.
    fingerprint = models.CharField(max_length=64, blank=True)
    # Set (and committed) just before POST /customers: if the reply is lost, the retry knows the
    # customer it then finds by searching is the one we created.
    create_started = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stripe_customer_id"], name="one_link_per_stripe_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} ↔ {self.economic_customer_number or '—'}"


class SyncRecord(TenantOwnedModel):
    """One outcome of syncing one Stripe customer, explained for the merchant."""

    class Action(models.TextChoices):
        MATCHED = "matched", "Matched"
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        UNCHANGED = "unchanged", "Unchanged"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(StripeEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stripe_customer_id = models.CharField(max_length=255, db_index=True)
    stripe_email = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()
    warnings = models.JSONField(default=list, blank=True)
    # What was (or, in a dry run, would be) sent to e-conomic, for the merchant to inspect.
    payload = models.JSONField(null=True, blank=True)
    economic_log_id = models.CharField(max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.stripe_customer_id}"


class ImportRun(TenantOwnedModel):
    """One import of every existing Stripe customer, with its progress for the merchant to watch.

    A resumable job: a task per chunk of Stripe pages, the cursor saved after each page, a lease
    (whoever holds it works; a killed worker's lease runs out and the sweeper sends the run again,
    from its cursor) and a heartbeat (a run without one for a while is no longer alive).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    started_by = models.CharField(max_length=255, blank=True)
    customers_seen = models.PositiveIntegerField(default=0)
    economic_customers_preloaded = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The last Stripe customer whose page is done: the next page starts after it.
    cursor = models.CharField(max_length=255, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"


class ConnectionPause(TenantOwnedModel):
    """A tenant's work on one service, held while that service cannot take it.

    Throttling and repeated outages pause until `until` (a probe may resume sooner); a refused
    credential pauses with no end until the merchant reconnects. Events wait pending meanwhile and
    spend no attempts.
    """

    class Reason(models.TextChoices):
        THROTTLED = "throttled", "Throttled"
        UNAVAILABLE = "unavailable", "Unavailable"
        REFUSED = "refused", "Credential refused"

    service = models.CharField(max_length=20)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    # Consecutive failures that can pass; the pause starts at the threshold.
    failures = models.PositiveIntegerField(default=0)
    until = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "service"], name="one_pause_per_tenant_and_service")
        ]

    def __str__(self) -> str:
        return f"{self.service} of tenant {self.tenant_id}: {self.reason or 'running'}"

    @property
    def active(self) -> bool:
        if self.reason == self.Reason.REFUSED:
            return True
        return bool(self.reason) and self.until is not None and self.until > timezone.now()


class Reconciliation(TenantOwnedModel):
    """Where the tenant's reconciliation with Stripe's event list stands, and what it healed."""

    # Stripe's `created` (seconds) of the newest event listed so far: the next run lists after it.
    cursor = models.BigIntegerField(null=True, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)
    healed = models.PositiveIntegerField(default=0)  # in the last run
    healed_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_reconciliation_per_tenant")]

    def __str__(self) -> str:
        return f"Reconciliation of tenant {self.tenant_id}"
