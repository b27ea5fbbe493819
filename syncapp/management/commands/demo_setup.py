import io
import json
import secrets

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from syncapp.clients.stripe import is_live_key
from syncapp.connections import (
    EconomicCredentials,
    StripeCredentials,
    connections_summary,
    economic_store,
    stripe_store,
    stripe_webhook_url,
)
from syncapp.models import ConnectionStatus, Tenant
from syncapp.services import tenant_create

DEMO_EMAIL = "demo@example.com"
DEMO_CUSTOMERS = 50


class Command(BaseCommand):
    help = (
        "For `make run`: create the demo merchant and its owner, connect it to the built-in "
        "sandboxes (seeded once; re-runs keep the data), and print the login."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(username=DEMO_EMAIL).first() or User(username=DEMO_EMAIL, email=DEMO_EMAIL)
        user.set_password(password)
        user.save()
        tenant = Tenant.objects.filter(slug="demo").first() or tenant_create(
            slug="demo", name="Demo Merchant ApS", owner=user
        )
        self.stdout.write(self._connect_to_sandboxes(tenant))
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo merchant “{tenant.name}” is ready.\n"
                f"  Open http://127.0.0.1:8000/ and log in as {DEMO_EMAIL} / {password}\n"
            )
        )

    def _connect_to_sandboxes(self, tenant: Tenant) -> str:
        summary = connections_summary(tenant=tenant)
        if all(summary[s]["status"] == ConnectionStatus.CONNECTED for s in ("economic", "stripe")):
            return "  The demo merchant is already connected to the sandboxes; their data is kept."
        if not apps.is_installed("sandbox"):
            return (
                "  The sandboxes are off (SANDBOX_ENABLED): connect Stripe and e-conomic on the "
                "Connections page."
            )
        # Through the sandbox's own command, not its modules: product code stays free of sandbox
        # imports, and the server that would answer the APIs over HTTP is not running yet.
        out = io.StringIO()
        call_command(
            "sandbox_seed",
            customers=DEMO_CUSTOMERS,
            webhook_url=stripe_webhook_url(tenant),
            json=True,
            stdout=out,
        )
        seeded = json.loads(out.getvalue())
        economic, stripe = seeded["economic"], seeded["stripe"]
        # Stored unchecked: the values come from the sandbox's seed and no server answers yet.
        with transaction.atomic():
            economic_store(
                tenant=tenant,
                credentials=EconomicCredentials(
                    economic["grant_token"], economic["agreement_number"], economic["company_name"]
                ),
            )
            api_key, endpoint = stripe["api_key"], stripe["webhook_endpoint"]
            stripe_store(
                tenant=tenant,
                credentials=StripeCredentials(
                    api_key, is_live_key(api_key), endpoint["secret"], endpoint["id"]
                ),
            )
        _demo_defaults(tenant)
        return (
            f"  Connected to the sandboxes: e-conomic agreement {economic['agreement_number']} "
            f"({economic['customers']} customers) and a Stripe test account ({stripe['customers']} "
            f"customers, {seeded['shared_emails']} sharing an e-mail)."
        )


def _demo_defaults(tenant: Tenant) -> None:
    """Customer defaults from the seeded sandbox lists, so the demo syncs from the first minute."""
    from mappings.document import default_document
    from mappings.models import SettingsSource
    from mappings.services import settings_save

    document = default_document()
    document["defaults"].update(
        payment_terms_number=3,  # Netto 30 dage
        customer_group_number=1,  # Domestic customers
        vat_zone_number=1,  # Domestic
        currency="DKK",
        layout_number=19,  # Standard faktura
        vat_zone_by_country={"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3},
    )
    settings_save(tenant=tenant, user=None, document=document, source=SettingsSource.DEFAULTS)
