import json

from django.core.management.base import BaseCommand, CommandError

from syncapp.connections import CredentialRefused, connections_summary, tenant_connect
from syncapp.models import Tenant

_OPTION_OF = {
    "economic_grant_token": "--economic-grant-token",
    "stripe_api_key": "--stripe-api-key",
    "stripe_webhook_secret": "--stripe-webhook-secret",
}


class Command(BaseCommand):
    help = (
        "Connect a merchant's Stripe account and e-conomic agreement. Each credential is checked "
        "against its API first; if one is refused nothing is stored and the exit code is 2. "
        "Prints one JSON line of what is connected (never a secret)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--stripe-api-key", help="a restricted (rk_…) or secret (sk_…) key")
        parser.add_argument(
            "--stripe-webhook-secret",
            help="whsec_… of an endpoint you made yourself; without it one is registered for you",
        )
        parser.add_argument("--economic-grant-token", help="the agreement grant token from e-conomic")

    def handle(self, *args, slug, stripe_api_key, stripe_webhook_secret, economic_grant_token, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No merchant with slug {slug}.", returncode=2)
        if stripe_api_key is None and stripe_webhook_secret is None and economic_grant_token is None:
            summary = connections_summary(tenant=tenant)
        else:
            try:
                summary = tenant_connect(
                    tenant=tenant,
                    economic_grant_token=economic_grant_token,
                    stripe_api_key=stripe_api_key,
                    stripe_webhook_secret=stripe_webhook_secret,
                )
            except CredentialRefused as exc:
                raise CommandError(
                    f"{_OPTION_OF[exc.credential]} was refused: {exc.message}", returncode=2
                ) from exc
        self.stdout.write(json.dumps(summary))
