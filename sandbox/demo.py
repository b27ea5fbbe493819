"""`make run`'s offline demo: a demo merchant connected to the built-in sandboxes.

Lives beside the sandboxes, not in the product: it may import product code, product code never
imports it. It stores the sandbox's credentials without checking them over HTTP, because it runs
before the server (and so the sandbox APIs) is up; real merchants go through the checked connect.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from mappings.document import default_document
from mappings.models import SettingsSource
from mappings.services import settings_save
from sandbox.economic_api.grants import agreement_hold
from sandbox.management.commands.sandbox_seed import sandbox_seed
from sandbox.stripe_api import control as stripe_control
from sandbox.stripe_api.models import OAuthApp
from syncapp.clients.stripe import is_live_key
from syncapp.connections.common import Service
from syncapp.connections.economic import EconomicCredentials, economic_store
from syncapp.connections.selectors import connections_summary, stripe_account_first, stripe_webhook_url
from syncapp.connections.stripe import StripeCredentials, stripe_store
from syncapp.connections.stripe_app import stripe_app_store, stripe_callback_url
from syncapp.models import ConnectionStatus, Tenant
from syncapp.services import tenant_create

DEMO_EMAIL = "demo@example.com"
DEMO_SLUG = "demo"
DEMO_CUSTOMERS = 50


def demo_merchant(*, password: str) -> Tenant:
    """The demo tenant and its owner, made once; each run gives the owner a fresh password."""
    User = get_user_model()
    user = User.objects.filter(username=DEMO_EMAIL).first() or User(username=DEMO_EMAIL, email=DEMO_EMAIL)
    user.set_password(password)
    user.save()
    return Tenant.objects.filter(slug=DEMO_SLUG).first() or tenant_create(
        slug=DEMO_SLUG, name="Demo Merchant ApS", owner=user
    )


def demo_connect(*, tenant: Tenant) -> str:
    """Seed the sandboxes and connect the tenant to them, unless it already is; what was done."""
    if settings.STRIPE_OAUTH_ENABLED:
        # The platform's Connect endpoint and redirect URI follow `make run`'s PORT.
        sandbox_platform()
    summary = connections_summary(tenant=tenant)
    if all(summary[service]["status"] == ConnectionStatus.CONNECTED for service in Service):
        return "  The demo merchant is already connected to the sandboxes; their data is kept."
    seeded = sandbox_account_connect(tenant=tenant, customers=DEMO_CUSTOMERS)
    economic, stripe = seeded["economic"], seeded["stripe"]
    demo_defaults_save(tenant=tenant)
    return (
        f"  Connected to the sandboxes: e-conomic agreement {economic['agreement_number']} "
        f"({economic['customers']} customers) and a Stripe test account ({stripe['customers']} "
        f"customers, {seeded['shared_emails']} sharing an e-mail)."
    )


def sandbox_platform() -> OAuthApp:
    """Our Stripe App and platform in the Stripe sandbox, with the values in our settings (as an
    operator registers them at Stripe); made or brought up to date."""
    return stripe_control.platform_setup(
        client_id=settings.STRIPE_CLIENT_ID,
        secret_key=settings.STRIPE_PLATFORM_SECRET_KEY,
        webhook_url=settings.SITE_URL + reverse("stripe_connect_webhook"),
        webhook_secret=settings.STRIPE_PLATFORM_WEBHOOK_SECRET,
        redirect_uri=stripe_callback_url(),
    )


def sandbox_account_connect(*, tenant: Tenant, customers: int) -> dict:
    """Seed a fresh e-conomic agreement and Stripe test account and connect the tenant to both;
    what was seeded. With Connect with Stripe on, the account installs our Stripe App (its events
    come to the platform's endpoint); else Stripe delivers to the tenant's own webhook URL."""
    one_click = settings.STRIPE_OAUTH_ENABLED
    first = stripe_account_first(tenant=tenant)
    # The agreement carries the merchant's name, as their own e-conomic agreement would.
    webhook_url = None if one_click else stripe_webhook_url(first)
    seeded = sandbox_seed(customers=customers, webhook_url=webhook_url, company_name=tenant.name)
    economic, stripe = seeded["economic"], seeded["stripe"]
    # The grant page offers this agreement to this tenant only.
    agreement_hold(agreement_number=economic["agreement_number"], signup=tenant.slug)
    if one_click:
        with transaction.atomic():
            economic_store(
                tenant=tenant,
                credentials=EconomicCredentials(
                    grant_token=economic["grant_token"],
                    agreement_number=economic["agreement_number"],
                    company_name=economic["company_name"],
                ),
            )
            account = stripe_control.account_for_key(stripe["api_key"])
            grant = stripe_control.app_install(sandbox_platform(), account)
            stripe_app_store(
                account=first,
                answer={
                    "stripe_user_id": account.stripe_id,
                    "livemode": grant.livemode,
                    "access_token": grant.access_token,
                    "refresh_token": grant.refresh_token,
                },
            )
        return seeded
    demo_connections_store(
        tenant=tenant,
        economic_grant_token=economic["grant_token"],
        agreement_number=economic["agreement_number"],
        company_name=economic["company_name"],
        stripe_api_key=stripe["api_key"],
        stripe_webhook_secret=stripe["webhook_endpoint"]["secret"],
        stripe_webhook_endpoint_id=stripe["webhook_endpoint"]["id"],
    )
    return seeded


def demo_connections_store(
    *,
    tenant: Tenant,
    economic_grant_token: str,
    agreement_number: int,
    company_name: str,
    stripe_api_key: str,
    stripe_webhook_secret: str,
    stripe_webhook_endpoint_id: str,
) -> dict:
    """Store sandbox credentials WITHOUT checking them: the values come straight from the
    sandbox's seed, and the APIs that would answer a check are not being served yet."""
    with transaction.atomic():
        economic_store(
            tenant=tenant,
            credentials=EconomicCredentials(
                grant_token=economic_grant_token,
                agreement_number=agreement_number,
                company_name=company_name,
            ),
        )
        stripe_store(
            account=stripe_account_first(tenant=tenant),
            credentials=StripeCredentials(
                api_key=stripe_api_key,
                livemode=is_live_key(stripe_api_key),
                webhook_secret=stripe_webhook_secret,
                webhook_endpoint_id=stripe_webhook_endpoint_id,
            ),
        )
    return connections_summary(tenant=tenant)


def demo_defaults_save(*, tenant: Tenant) -> None:
    """Customer defaults from the seeded sandbox lists, so the demo syncs from the first minute."""
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
