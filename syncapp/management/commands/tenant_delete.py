import json

from django.core.management.base import BaseCommand, CommandError

from syncapp.models import Tenant
from syncapp.offboarding import tenant_delete


class Command(BaseCommand):
    help = (
        "Delete a merchant (tenant) and every row it owns now, after removing our Stripe webhook "
        "endpoint and forgetting its e-conomic grant. Prints one JSON line with the rows per table; "
        "--dry-run only counts. Exit 2 when there is no such tenant."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; change nothing"
        )

    def handle(self, *args, slug, dry_run=False, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug}.", returncode=2)
        self.stdout.write(json.dumps(tenant_delete(tenant=tenant, dry_run=dry_run)))
