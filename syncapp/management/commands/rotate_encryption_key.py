import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from syncapp.crypto import encryption_key_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEY. To retire a key: "
        "put a new key first (FIELD_ENCRYPTION_KEY=NEW,OLD), restart, run this, then drop OLD. "
        "Prints one JSON line of counts; exit 2, with nothing changed, if a secret cannot be decrypted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count the secrets that would be re-encrypted; change nothing",
        )

    def handle(self, *args, dry_run, **options):
        try:
            report = encryption_key_rotate(dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(report))
