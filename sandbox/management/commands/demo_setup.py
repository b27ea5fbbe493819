import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox.demo import DEMO_EMAIL, demo_connect, demo_merchant


class Command(BaseCommand):
    help = (
        "For `make run`: create the demo merchant and its owner, connect it to the built-in "
        "sandboxes (seeded once; re-runs keep the data), and print the login."
    )

    def handle(self, *args, **options):
        password = secrets.token_urlsafe(9)
        tenant = demo_merchant(password=password)
        self.stdout.write(demo_connect(tenant=tenant))
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo merchant “{tenant.name}” is ready.\n"
                f"  Open {settings.SITE_URL}/ and log in as {DEMO_EMAIL} / {password}\n"
            )
        )
