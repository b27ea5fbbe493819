import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.economic_api.models import Grant
from sandbox.economic_api.seed import seed_agreement
from sandbox.stripe_api import control
from sandbox.stripe_api import services as stripe_services
from sandbox.stripe_api.seed import seed_account

# Two in five customers exist on both sides with the same e-mail, so matching has work to do.
OVERLAP_SHARE = 0.4
WEBHOOK_EVENTS = ["customer.created", "customer.updated", "customer.deleted"]


def sandbox_seed(
    *, customers: int, webhook_url: str | None = None, company_name: str = "Sandbox Demo ApS"
) -> dict:
    """A fresh e-conomic agreement (of `company_name`) and Stripe account with `customers`
    customers each.

    With `webhook_url`, the Stripe account also gets a webhook endpoint there (the demo tenant's),
    made inside the sandbox because the server that would answer the API may not be up yet.
    """
    shared = [f"bogholderi@kunde{n:03d}.dk" for n in range(1, round(customers * OVERLAP_SHARE) + 1)]
    grant_token = seed_agreement(company_name=company_name, customers=customers, emails=shared)
    agreement = Grant.objects.select_related("agreement").get(token=grant_token).agreement
    api_key = seed_account(customers=customers, emails=shared, seed=2024)
    endpoint = None
    if webhook_url:
        made = stripe_services.webhook_endpoint_create(
            control.caller_for_key(api_key), {"url": webhook_url, "enabled_events": WEBHOOK_EVENTS}
        )
        endpoint = {"id": made["id"], "url": made["url"], "secret": made["secret"]}
    return {
        "economic": {
            "grant_token": grant_token,
            "agreement_number": agreement.agreement_number,
            "company_name": agreement.company_name,
            "customers": agreement.customers.count(),
        },
        "stripe": {
            "api_key": api_key,
            "customers": max(customers, len(shared)),
            "webhook_endpoint": endpoint,
        },
        "shared_emails": len(shared),
    }


class Command(BaseCommand):
    help = (
        "Seed the built-in sandboxes: an e-conomic agreement and a Stripe account with customers, "
        "some sharing an e-mail. Prints the grant token and API key (sandbox-only values)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=50, help="customers on each side (default 50)")
        parser.add_argument("--webhook-url", help="also register a Stripe webhook endpoint at this URL")
        parser.add_argument("--json", action="store_true", help="one JSON line instead of text")

    def handle(self, *args, customers, webhook_url, **options):
        if customers < 0:
            raise CommandError("--customers cannot be negative.", returncode=2)
        seeded = sandbox_seed(customers=customers, webhook_url=webhook_url)
        if options["json"]:
            self.stdout.write(json.dumps(seeded, ensure_ascii=False))
            return
        economic, stripe = seeded["economic"], seeded["stripe"]
        lines = [
            f"e-conomic agreement {economic['agreement_number']} {economic['company_name']}: "
            f"{economic['customers']} customers",
            f"  grant token: {economic['grant_token']}",
            f"Stripe account: {stripe['customers']} customers",
            f"  API key: {stripe['api_key']}",
        ]
        if stripe["webhook_endpoint"]:
            endpoint = stripe["webhook_endpoint"]
            lines.append(f"  webhook endpoint {endpoint['id']} → {endpoint['url']}")
        lines.append(f"{seeded['shared_emails']} customers share an e-mail on both sides.")
        self.stdout.write("\n".join(lines))
