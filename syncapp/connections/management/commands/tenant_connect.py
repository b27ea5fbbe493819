import getpass
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from syncapp.connections.common import CredentialRefused
from syncapp.connections.selectors import connections_summary
from syncapp.connections.tenant import tenant_connect
from syncapp.models import Tenant

_OPTION_OF = {
    "economic_grant_token": "--economic-grant-token",
    "stripe_api_key": "--stripe-api-key",
    "stripe_webhook_secret": "--stripe-webhook-secret",
    "stripe_account_name": "--stripe-account-name",
}
# Where each secret comes from when its option is not given; and the order in which options given
# as "-" read their lines from stdin.
_ENVIRONMENT_OF = {
    "stripe_api_key": "STRIPE_API_KEY",
    "stripe_webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "economic_grant_token": "ECONOMIC_GRANT_TOKEN",
}


class Command(BaseCommand):
    help = (
        "Connect a merchant's Stripe account and e-conomic agreement. Each credential is checked "
        "against its API first; if one is refused nothing is stored and the exit code is 2. "
        "Prints one JSON line of what is connected (never a secret). To keep secrets out of the "
        "shell history and the process list, give an option as - to read it from stdin (one line "
        "each, in the order the options are listed here), or leave it out and set its environment "
        "variable (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, ECONOMIC_GRANT_TOKEN)."
    )
    # call_command(..., stdin=StringIO(...)) for scripts and tests; sys.stdin otherwise.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--stripe-api-key",
            help="a restricted (rk_…) or secret (sk_…) key; - reads it from stdin; default $STRIPE_API_KEY",
        )
        parser.add_argument(
            "--stripe-webhook-secret",
            help="whsec_… of an endpoint you made yourself; without it one is registered for you; "
            "- reads it from stdin; default $STRIPE_WEBHOOK_SECRET",
        )
        parser.add_argument(
            "--stripe-account-name",
            help="which of the merchant's Stripe accounts the key is for, by the name it is shown "
            'under ("DK shop"); a new name adds an account; default: the first account',
        )
        parser.add_argument(
            "--economic-grant-token",
            help="the agreement grant token from e-conomic; - reads it from stdin; "
            "default $ECONOMIC_GRANT_TOKEN",
        )

    def handle(self, *args, slug, **options):
        stripe_api_key, stripe_webhook_secret, economic_grant_token = (
            self._secret(options, name) for name in _ENVIRONMENT_OF
        )
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
                    stripe_account_name=options.get("stripe_account_name"),
                )
            except CredentialRefused as exc:
                raise CommandError(
                    f"{_OPTION_OF[exc.credential]} was refused: {exc.message}", returncode=2
                ) from exc
        self.stdout.write(json.dumps(summary))

    def _secret(self, options: dict, name: str) -> str | None:
        value = options[name]
        if value is None:
            return os.environ.get(_ENVIRONMENT_OF[name]) or None
        if value != "-":
            return value
        stdin = options.get("stdin") or sys.stdin
        # At a terminal, ask without echoing it; from a pipe, read the next line.
        line = getpass.getpass(f"{_OPTION_OF[name]}: ") if stdin.isatty() else stdin.readline()
        if not line.strip():
            raise CommandError(f"{_OPTION_OF[name]} -: no line to read on stdin.", returncode=2)
        return line.strip()
