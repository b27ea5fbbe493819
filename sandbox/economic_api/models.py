"""State of the e-conomic emulator: apps, agreements with their grants, lists, customers, and the
request log and faults tests use. Everything hangs off an agreement, as in e-conomic."""

from django.db import models


class App(models.Model):
    """An integration registered with e-conomic: the secret goes in headers, the public token in
    the grant URL."""

    name = models.CharField(max_length=200)
    secret_token = models.CharField(max_length=200, unique=True)
    public_token = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    agreement_number = models.PositiveIntegerField(unique=True)
    company_name = models.CharField(max_length=255)
    company_address = models.CharField(max_length=255, blank=True)
    company_zip = models.CharField(max_length=30, blank=True)
    company_city = models.CharField(max_length=50, blank=True)
    company_country = models.CharField(max_length=50, default="Danmark")
    company_vat_number = models.CharField(max_length=40, blank=True)
    user_name = models.CharField(max_length=200, default="Sandbox Bogholder")
    user_email = models.EmailField(default="bogholder@example.dk")
    # The public demo agreement (`demo`/`demo` tokens) answers reads only.
    read_only = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    # The sign-up (the product's tenant slug) the grant page treats as this agreement's owner
    # (grants.py); empty until one is granted access to it.
    granted_to = models.CharField(max_length=50, blank=True, db_index=True)
    # The "Customer updated" web hook a SuperUser set up in e-conomic's settings (All settings →
    # Extensions → Web hooks), with its [NEWNUMBER] and [OLDNUMBER] placeholders; empty: none.
    customer_webhook_url = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["agreement_number"]

    def __str__(self) -> str:
        return f"{self.agreement_number} {self.company_name}"


class Grant(models.Model):
    """An app's access to an agreement; the token is what a merchant's accept produces (each
    accept a new one, as e-conomic does)."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="grants")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="grants")
    token = models.CharField(max_length=200, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.app} → {self.agreement}"


class PaymentTerm(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="payment_terms")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=50)
    days_of_credit = models.PositiveIntegerField(default=0)
    payment_terms_type = models.CharField(max_length=30, default="net")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="sandbox_payment_term_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class CustomerGroup(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="customer_groups")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=50)
    account_number = models.PositiveIntegerField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="sandbox_customer_group_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class VatZone(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="vat_zones")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=50)
    enabled_for_customer = models.BooleanField(default=True)
    enabled_for_supplier = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="sandbox_vat_zone_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Currency(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="currencies")
    code = models.CharField(max_length=3)
    name = models.CharField(max_length=50)
    iso_number = models.CharField(max_length=3)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        constraints = [models.UniqueConstraint(fields=["agreement", "code"], name="sandbox_currency_code")]

    def __str__(self) -> str:
        return self.code


class Layout(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="layouts")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="sandbox_layout_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Customer(models.Model):
    """A debtor. `data` holds the writable fields as the API spells them (references as
    `{"customerGroupNumber": n}`); the number and the read-only fields are columns."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="customers")
    number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    due_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="sandbox_customer_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.data.get('name', '')}"


class RequestLogEntry(models.Model):
    """Every API call the emulator answered, so tests can count calls."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, null=True, blank=True, related_name="requests"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.TextField(blank=True)
    status = models.PositiveSmallIntegerField()
    # Set when a fault changed what the client saw, e.g. "dropped after commit".
    fault = models.CharField(max_length=50, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "request log"

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class Faults(models.Model):
    """Trouble to inject into one agreement's calls; each counter is used up one call at a time."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="faults")
    latency_seconds = models.FloatField(default=0)
    throttle_count = models.PositiveIntegerField(default=0)
    retry_after_seconds = models.PositiveIntegerField(default=1)
    # 429s WITHOUT a Retry-After header (e-conomic does not promise one): a number of calls, and/or
    # a share of calls (0..1) answered so, now and then.
    bare_throttle_count = models.PositiveIntegerField(default=0)
    bare_throttle_rate = models.FloatField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    error_status = models.PositiveSmallIntegerField(default=503)
    # POST/PUT only: the write is committed, then the client gets no proper answer.
    drop_after_commit_count = models.PositiveIntegerField(default=0)
    stall_after_commit_count = models.PositiveIntegerField(default=0)
    stall_seconds = models.FloatField(default=5)
    # A switch, not a counter: > 0 makes page-based paging (`skippages`) stop after this many items,
    # as e-conomic's newer APIs do at 10 000; 0 (the default) is off.
    paging_cap_items = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "faults"

    def __str__(self) -> str:
        return f"Faults of {self.agreement}"
