from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from syncapp.models import StripeConnection
from syncapp.tenancy import TenantOwnedModel

from .explanations import explanation, in_english, match_rule_words, quoted


def _stripe_account(**options) -> models.ForeignKey:
    """Which of the tenant's Stripe accounts a row is about (`StripeConnection`)."""
    return models.ForeignKey(StripeConnection, related_name="+", **options)


class StripeEvent(TenantOwnedModel):
    """A Stripe webhook event, stored before anything else so nothing accepted is ever lost."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        PROCESSED = "processed", gettext_lazy("Processed")
        IGNORED = "ignored", gettext_lazy("Ignored")
        FAILED = "failed", gettext_lazy("Failed")

    stripe_account = _stripe_account(on_delete=models.CASCADE)
    stripe_event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    stripe_created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    account = models.CharField(max_length=255, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The customer's e-mail as the event carried it, so support finds an event by e-mail.
    stripe_email = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Why it failed or waits, in English (support, searching), and as facts the sync log writes in
    # its reader's language (`explanations.py`).
    last_error = models.TextField(blank=True)
    error_facts = models.JSONField(default=list, blank=True)
    received = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set when retention or an erasure emptied `payload` (customers/privacy/): the row stays, so a
    # redelivery is still a no-op and the log still says what happened.
    payload_purged_at = models.DateTimeField(null=True, blank=True)
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
            # The retention sweep reads only rows still holding a payload, oldest first.
            models.Index(
                fields=["received"],
                condition=models.Q(payload_purged_at__isnull=True),
                name="event_payload_unpurged",
            ),
            models.Index(fields=["status", "next_attempt_at"], name="customers_event_due"),
        ]
        ordering = ["-received"]
        # Support's actions, each its own permission (the "Support" group holds them).
        permissions = [("replay_stripeevent", "Can replay Stripe events (support)")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"

    @property
    def error_text(self) -> str:
        """Why it failed or waits, in the reader's language (an event from before its facts: as stored)."""
        return explanation(self.error_facts) if self.error_facts else self.last_error


class CustomerLink(TenantOwnedModel):
    """Which e-conomic customer a Stripe customer is kept in step with.

    Stripe's ids are unique across accounts, so a tenant has one link per Stripe customer id; the
    account says which key reaches it.
    """

    stripe_account = _stripe_account(on_delete=models.CASCADE)
    stripe_customer_id = models.CharField(max_length=255)
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    created_by_us = models.BooleanField(default=False)
    # Hash of the mapped values last written to e-conomic: an update is sent only when it changes.
    fingerprint = models.CharField(max_length=64, blank=True)
    # Per e-conomic field that may flow to Stripe: the fingerprint of the value both sides last
    # agreed on (the one we wrote, either way). Our own write coming back matches it: no call.
    field_fingerprints = models.JSONField(default=dict, blank=True)
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
        permissions = [("unlink_customerlink", "Can unlink customers (support)")]

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} ↔ {self.economic_customer_number or '—'}"


class SyncRecord(TenantOwnedModel):
    """One outcome of syncing one Stripe customer, explained for the merchant."""

    class Action(models.TextChoices):
        MATCHED = "matched", gettext_lazy("Matched")
        CREATED = "created", gettext_lazy("Created")
        UPDATED = "updated", gettext_lazy("Updated")
        UNCHANGED = "unchanged", gettext_lazy("Unchanged")
        SKIPPED = "skipped", gettext_lazy("Skipped")
        NEEDS_REVIEW = "needs_review", gettext_lazy("Needs review")
        FAILED = "failed", gettext_lazy("Failed")
        UPDATED_IN_STRIPE = "updated_in_stripe", gettext_lazy("Updated in Stripe")

    class Direction(models.TextChoices):
        """Which way the record's sync ran."""

        TO_ECONOMIC = "to_economic", gettext_lazy("Stripe → e-conomic")
        TO_STRIPE = "to_stripe", gettext_lazy("e-conomic → Stripe")

    event = models.ForeignKey(StripeEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Null only when the sync could not tell which account (the log keeps its record regardless).
    stripe_account = _stripe_account(null=True, blank=True, on_delete=models.SET_NULL)
    stripe_customer_id = models.CharField(max_length=255, db_index=True)
    stripe_email = models.CharField(max_length=255, blank=True)
    # The customer's name in Stripe at this sync: personal data, removed with the e-mail.
    stripe_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.TO_ECONOMIC)
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    # The English sentence (searching, exports, support) and the facts it was written from, which
    # `explanation` writes in the reader's language (customers/explanations.py).
    message = models.TextField()
    facts = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # What was (or, in a dry run, would be) sent to e-conomic, for the merchant to inspect.
    payload = models.JSONField(null=True, blank=True)
    economic_log_id = models.CharField(max_length=100, blank=True)
    # Stripe's id of the failed request, which Stripe's support asks for.
    stripe_request_id = models.CharField(max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    # The match rule that found the e-conomic customer(s), e.g. "rule 1: email"; blank otherwise.
    match_rule = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set when the copied personal data (e-mail, values in the message and warnings, payload) was
    # removed, and why: the sync log then says so instead of showing nothing.
    personal_data_removed_at = models.DateTimeField(null=True, blank=True)
    personal_data_removed_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["created"],
                condition=models.Q(personal_data_removed_at__isnull=True),
                name="record_personal_data_kept",
            )
        ]
        permissions = [("retry_syncrecord", "Can retry customer syncs (support)")]

    def __str__(self) -> str:
        return f"{self.action} {self.stripe_customer_id}"

    @property
    def explanation(self) -> str:
        """The record's sentences in the reader's language; a record older than its facts (none
        could be read back from its sentence) keeps its English."""
        return explanation(self.facts) if self.facts else self.message

    @property
    def warning_texts(self) -> list[str]:
        """Each warning in the reader's language (facts; one stored before them is a sentence)."""
        return [explanation([warning]) for warning in self.warnings or []]

    @property
    def warnings_in_english(self) -> list[str]:
        """For the support console, the CLI and exports."""
        return [in_english([warning]) for warning in self.warnings or []]

    @property
    def match_rule_text(self) -> str:
        return match_rule_words(self.match_rule)


class ImportRun(TenantOwnedModel):
    """One import of every existing Stripe customer, with its progress for the merchant to watch.

    A resumable job: a task per chunk of Stripe pages, the cursor saved after each page, a lease
    (whoever holds it works; a killed worker's lease runs out and the sweeper sends the run again,
    from its cursor) and a heartbeat (a run without one for a while is no longer alive).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("Queued")
        RUNNING = "running", gettext_lazy("Running")
        FINISHED = "finished", gettext_lazy("Finished")
        FAILED = "failed", gettext_lazy("Failed")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # An import reads one Stripe account's customers.
    stripe_account = _stripe_account(on_delete=models.CASCADE)
    started_by = models.CharField(max_length=255, blank=True)
    customers_seen = models.PositiveIntegerField(default=0)
    economic_customers_preloaded = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    # Its status line in English, and the facts `explanation` writes in the reader's language.
    message = models.TextField(blank=True)
    facts = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The last Stripe customer whose page is done: the next page starts after it.
    cursor = models.CharField(max_length=255, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # A dry run writes nothing anywhere: each customer's would-be outcome is an ImportReportRow.
    dry_run = models.BooleanField(default=False)
    # e-conomic customers that share a match value, found in the preloaded index (dry runs):
    # [{"field": "email", "customer_numbers": [12, 13]}]. Numbers only, never the shared value,
    # so the run holds no personal data; the merchant looks the numbers up in e-conomic.
    economic_duplicates = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created"]
        permissions = [
            ("cancel_importrun", "Can cancel imports (support)"),
            ("resume_importrun", "Can resume imports (support)"),
        ]

    def __str__(self) -> str:
        return f"{'Dry run' if self.dry_run else 'Import'} {self.pk} ({self.status})"

    @property
    def explanation(self) -> str:
        return explanation(self.facts) if self.facts else self.message

    @property
    def outcomes(self) -> list[tuple[int, str]]:
        """The counts in the sync log's words ("1 needs review", not the stored key)."""
        labels = dict(SyncRecord.Action.choices)
        return [(n, labels.get(action, action).lower()) for action, n in self.counts.items()]


class ImportReportRow(TenantOwnedModel):
    """What a dry run would do with one Stripe customer. Holds personal data (e-mail, name, values
    quoted in the message): erased with the customer and purged after DRY_RUN_REPORT_RETENTION_DAYS."""

    class Action(models.TextChoices):
        WOULD_MATCH = "would_match", gettext_lazy("Would match")
        WOULD_CREATE = "would_create", gettext_lazy("Would create")
        WOULD_UPDATE = "would_update", gettext_lazy("Would update")
        WOULD_FAIL = "would_fail", gettext_lazy("Would fail")
        NEEDS_REVIEW = "needs_review", gettext_lazy("Needs review")
        UNCHANGED = "unchanged", gettext_lazy("Unchanged")
        WOULD_SKIP = "would_skip", gettext_lazy("Would skip")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="report_rows")
    stripe_customer_id = models.CharField(max_length=255, db_index=True)
    email = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    match_rule = models.CharField(max_length=100, blank=True)
    message = models.TextField(blank=True)
    facts = models.JSONField(default=list, blank=True)

    @property
    def explanation(self) -> str:
        return explanation(self.facts) if self.facts else self.message

    @property
    def match_rule_text(self) -> str:
        return match_rule_words(self.match_rule)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "action"], name="report_row_run_action")]
        # A page done again (its worker was killed before saving the cursor) rewrites its rows.
        constraints = [
            models.UniqueConstraint(fields=["run", "stripe_customer_id"], name="one_report_row_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.stripe_customer_id}: {self.action} (run {self.run_id})"


class RetentionSetting(TenantOwnedModel):
    """How long a tenant keeps the personal data copied into its sync log. No row: the default."""

    sync_record_months = models.PositiveSmallIntegerField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_retention_setting_per_tenant")]

    def __str__(self) -> str:
        return f"Sync log personal data kept {self.sync_record_months} months (tenant {self.tenant_id})"


class ReviewItem(TenantOwnedModel):
    """A Stripe customer whose match rules found several e-conomic customers, waiting for the
    merchant to choose: link one of them, create a new customer, or skip it."""

    class Resolution(models.TextChoices):
        LINKED = "linked", gettext_lazy("Linked")
        CREATED = "created", gettext_lazy("Created a new customer")
        SKIPPED = "skipped", gettext_lazy("Skipped")
        SYNCED = "synced", gettext_lazy("Settled by a later sync")

    stripe_account = _stripe_account(on_delete=models.CASCADE)
    stripe_customer_id = models.CharField(max_length=255)
    stripe_email = models.CharField(max_length=255, blank=True)
    candidates = models.JSONField(default=list)  # e-conomic customer numbers
    reason = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolved_number = models.BigIntegerField(null=True, blank=True)
    resolved_by = models.CharField(max_length=255, blank=True)
    record = models.ForeignKey(SyncRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    @property
    def reason_text(self) -> str:
        """Why it waits, in the reader's language: its sync record's explanation."""
        return self.record.explanation if self.record is not None else self.reason

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stripe_customer_id"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_review_per_stripe_customer",
            )
        ]
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Review {self.stripe_customer_id} ({', '.join(map(str, self.candidates))})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AlertDigest(TenantOwnedModel):
    """One alert e-mail sent to a tenant's owners and admins: at most one an hour; `up_to` is
    where the next one starts counting new failures and review items."""

    sent_at = models.DateTimeField()
    up_to = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Alert {self.sent_at:%Y-%m-%d %H:%M} ({self.failures} failures, {self.reviews} reviews)"


class ConnectionPause(TenantOwnedModel):
    """A tenant's work on one service, held while that service cannot take it.

    Throttling and repeated outages pause until `until` (a probe may resume sooner); a refused
    credential pauses with no end until the merchant reconnects. Events wait pending meanwhile and
    spend no attempts.
    """

    class Reason(models.TextChoices):
        THROTTLED = "throttled", gettext_lazy("Throttled")
        UNAVAILABLE = "unavailable", gettext_lazy("Unavailable")
        REFUSED = "refused", gettext_lazy("Credential refused")

    service = models.CharField(max_length=20)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    # Consecutive failures that can pass; the pause starts at the threshold.
    failures = models.PositiveIntegerField(default=0)
    until = models.DateTimeField(null=True, blank=True)
    # Why, in English (support), and as facts the dashboard writes in its reader's language.
    message = models.TextField(blank=True)
    facts = models.JSONField(default=list, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "service"], name="one_pause_per_tenant_and_service")
        ]

    def __str__(self) -> str:
        return f"{self.service} of tenant {self.tenant_id}: {self.reason or 'running'}"

    @property
    def why(self) -> list[dict]:
        """Why, as facts (a pause from before its facts: its message, quoted as stored)."""
        return self.facts or ([quoted(self.message)] if self.message else [])

    @property
    def message_text(self) -> str:
        """Why, in the reader's language."""
        return explanation(self.why)

    @property
    def active(self) -> bool:
        if self.reason == self.Reason.REFUSED:
            return True
        return bool(self.reason) and self.until is not None and self.until > timezone.now()


class Reconciliation(TenantOwnedModel):
    """Where the reconciliation of one Stripe account's event list stands, and what it healed."""

    stripe_account = _stripe_account(on_delete=models.CASCADE)
    # Stripe's `created` (seconds) of the newest event listed so far: the next run lists after it.
    cursor = models.BigIntegerField(null=True, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)
    healed = models.PositiveIntegerField(default=0)  # in the last run
    healed_total = models.PositiveIntegerField(default=0)
    # Why the last run failed, as facts (`syncapp/said.py`); `message` keeps its English for support.
    facts = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stripe_account"], name="one_reconciliation_per_stripe_account")
        ]

    def __str__(self) -> str:
        return f"Reconciliation of Stripe account {self.stripe_account_id}"

    @property
    def message_text(self) -> str:
        """Why the last run failed, in the reader's language (a row from before its facts: as stored)."""
        return explanation(self.facts) if self.facts else self.message


class CreateClaim(TenantOwnedModel):
    """A create of an e-conomic customer by one of our syncs, by each match value it carries.

    Written (and committed) with the link's "create in flight" mark just before the POST, under
    the match value locks (`customers/locks.py`); the number is added when e-conomic answers. A
    claim still without a number is a create whose answer has not come (lost, or still on its
    way): another Stripe customer with one of its values, of this tenant or of another tenant on
    the same agreement, waits for it rather than create a second customer. A claim with a number
    tells an import whose index was read before it that the customer exists. Only the value's
    keyed hash is kept (never the value), and claims are purged a day after (`CLAIM_KEPT`).
    """

    link = models.ForeignKey(CustomerLink, on_delete=models.CASCADE, related_name="create_claims")
    # "agreement-<number>": shared by every tenant on that e-conomic agreement.
    agreement = models.CharField(max_length=40)
    value_key = models.BigIntegerField()  # `match_value_key`: agreement, field and value
    economic_customer_number = models.BigIntegerField(null=True, blank=True)
    started = models.DateTimeField(default=timezone.now)
    confirmed = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agreement", "value_key"], name="create_claim_value")]

    def __str__(self) -> str:
        return f"Create claim of link {self.link_id} ({self.economic_customer_number or 'in flight'})"


class EconomicRead(TenantOwnedModel):
    """Where the tenant's read of e-conomic customers changed since the last one stands.

    e-conomic's `lastUpdated` has whole seconds, so several customers can share the cursor's
    second, and one changed later within that second would be missed by `$gt:`. The read asks
    `lastUpdated$gte:<cursor>` and skips the (number, lastUpdated) pairs it has already handled
    at exactly the cursor (`seen_at_cursor`): nothing is missed and nothing is applied twice.
    """

    cursor = models.CharField(max_length=40, blank=True)  # e-conomic's lastUpdated, as it writes it
    seen_at_cursor = models.JSONField(default=list, blank=True)  # customer numbers read at the cursor
    due_at = models.DateTimeField(default=timezone.now)
    ran_at = models.DateTimeField(null=True, blank=True)
    changed_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_economic_read_per_tenant")]

    def __str__(self) -> str:
        return f"e-conomic read of tenant {self.tenant_id} at {self.cursor or 'the start'}"
