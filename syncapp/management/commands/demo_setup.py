import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from syncapp.models import Tenant
from syncapp.services import tenant_create

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = "For `make run`: create the demo merchant and its owner, and print the login."

    def handle(self, *args, **options):
        User = get_user_model()
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(username=DEMO_EMAIL).first() or User(username=DEMO_EMAIL, email=DEMO_EMAIL)
        user.set_password(password)
        user.save()
        tenant = Tenant.objects.filter(slug="demo").first() or tenant_create(
            slug="demo", name="Demo Merchant ApS", owner=user
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo merchant “{tenant.name}” is ready.\n"
                f"  Open http://127.0.0.1:8000/ and log in as {DEMO_EMAIL} / {password}\n"
            )
        )
