import json

from django.core.management.base import BaseCommand, CommandError

from customers.errors import TransientSyncError
from customers.models import SyncRecord
from customers.services import customer_sync
from syncapp.connections.clients import NotConnected, stripe_client_for
from syncapp.models import Tenant


class Command(BaseCommand):
    help = "Sync (or preview with --dry-run) Stripe customers; one JSON line per customer."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--customer", help="a Stripe customer id, cus_…")
        target.add_argument("--all", action="store_true", help="every customer in the Stripe account")
        parser.add_argument("--dry-run", action="store_true", help="preview: write nothing anywhere")

    def handle(self, *args, slug, customer=None, all=False, dry_run=False, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No merchant with slug {slug}.", returncode=2)
        try:
            ids = [customer] if customer else [c["id"] for c in stripe_client_for(tenant).iter_customers()]
        except NotConnected as exc:
            raise CommandError(str(exc), returncode=2) from exc
        failed = False
        for customer_id in ids:
            try:
                record = customer_sync(tenant=tenant, stripe_customer_id=customer_id, dry_run=dry_run)
                line = {
                    "customer": customer_id,
                    "action": record.action,
                    "number": record.economic_customer_number,
                    "message": record.message,
                }
                if dry_run and record.payload:
                    line["payload"] = record.payload
                failed |= record.action == SyncRecord.Action.FAILED
            except TransientSyncError as exc:
                line = {
                    "customer": customer_id,
                    "action": "retry_later",
                    "number": None,
                    "message": exc.message,
                }
                failed = True
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        if failed:
            raise CommandError("Some customers did not sync: see the messages above.", returncode=1)
