import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff member an authenticator (TOTP) for the admin's second factor, replacing any they "
        "had. Prints the otpauth:// URL to enter in their app once: treat it as a secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the staff member's e-mail (or username)")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON line instead of text"
        )

    def handle(self, *args, email, as_json=False, **options):
        users = get_user_model().objects
        user = users.filter(username=email).first() or users.filter(email__iexact=email).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff member with e-mail {email}.", returncode=2)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        if as_json:
            self.stdout.write(json.dumps({"user": user.get_username(), "config_url": device.config_url}))
        else:
            self.stdout.write(f"Authenticator for {user.get_username()}: {device.config_url}")
