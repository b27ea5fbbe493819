import io
import json

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from syncapp.staff import SUPPORT_GROUP, staff_join_support


class Command(BaseCommand):
    help = (
        "Give a staff member an authenticator (TOTP) for the admin's second factor, replacing any they "
        "had. Prints a QR code to scan (and the otpauth:// URL it holds) once: the key is shown nowhere "
        "else, the admin included. Treat the output as a secret. --support also puts them in the "
        f'"{SUPPORT_GROUP}" group (read every merchant, and support\'s actions).'
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the staff member's e-mail (or username)")
        parser.add_argument(
            "--support",
            action="store_true",
            help=f'add them to the "{SUPPORT_GROUP}" group (its permissions are brought up to date)',
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON line instead of text"
        )

    def handle(self, *args, email, support=False, as_json=False, **options):
        users = get_user_model().objects
        user = users.filter(username=email).first() or users.filter(email__iexact=email).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff member with e-mail {email}.", returncode=2)
        if support:
            staff_join_support(user=user)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        groups = sorted(user.groups.values_list("name", flat=True))
        if as_json:
            line = {"user": user.get_username(), "config_url": device.config_url, "groups": groups}
            self.stdout.write(json.dumps(line))
            return
        qr = io.StringIO()
        segno.make(device.config_url, error="m").terminal(out=qr, compact=True)
        self.stdout.write(f"Authenticator for {user.get_username()}: scan this once.\n{qr.getvalue()}")
        self.stdout.write(f"Or enter this URL in the app: {device.config_url}")
        if groups:
            self.stdout.write(f"Groups: {', '.join(groups)}")
