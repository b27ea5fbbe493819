import json

from django.core.management.base import BaseCommand, CommandError

from customers.selectors import sync_records_for
from syncapp.models import Tenant


class Command(BaseCommand):
    help = "The latest sync records of a merchant, newest first."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line")

    def handle(self, *args, slug, limit, as_json=False, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No merchant with slug {slug}.", returncode=2)
        for record in sync_records_for(tenant=tenant)[:limit]:
            row = {
                "created": record.created.isoformat(),
                "stripe_customer_id": record.stripe_customer_id,
                "action": record.action,
                "economic_customer_number": record.economic_customer_number,
                "message": record.message,
                "warnings": record.warnings_in_english,
                "economic_log_id": record.economic_log_id,
                "dry_run": record.dry_run,
                "duration_ms": record.duration_ms,
            }
            if as_json:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{row['created']}  {row['action']:<9} {row['stripe_customer_id']}  "
                    f"{row['economic_customer_number'] or '-'}  {row['message']}"
                )
