import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from syncapp.models import StripeConnection
from syncapp.services import tenant_create


class Command(BaseCommand):
    help = "Create a merchant (tenant). Prints one JSON line with its slug and Stripe webhook path."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", help="an existing user who becomes the owner")

    def handle(self, *args, slug, name, owner_email=None, **options):
        owner = _find_owner(owner_email) if owner_email else None
        try:
            tenant = tenant_create(slug=slug, name=name, owner=owner)
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items())
            raise CommandError(problems, returncode=2) from exc
        first_account = StripeConnection.objects.for_tenant(tenant).order_by("id").first()
        self.stdout.write(json.dumps({"slug": tenant.slug, "webhook_path": first_account.webhook_path}))


def _find_owner(owner_email: str):
    # Accounts made in the admin may have a username that is not their e-mail.
    email = owner_email.strip()
    users = get_user_model().objects
    owner = users.filter(username=email.lower()).first()
    if owner is None:
        by_email = list(users.filter(email__iexact=email)[:2])
        if len(by_email) > 1:
            raise CommandError(f"Several users have e-mail {owner_email}: fix that first.", returncode=2)
        owner = by_email[0] if by_email else None
    if owner is None:
        raise CommandError(f"No user with e-mail {owner_email}: create the user first.", returncode=2)
    return owner
