import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mappings.document import NotADocument, document_from_json
from mappings.selectors import settings_document_for
from mappings.services import SettingsInvalid, settings_import
from syncapp.models import Tenant

EXIT_INVALID = 2


class Command(BaseCommand):
    help = (
        "Export a tenant's customer sync settings as JSON, or import them from a file "
        "(validated whole; on any problem nothing changes and the command exits with 2)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="print the settings document as JSON")
        export.add_argument("slug")
        load = actions.add_parser("import", help="replace the settings with a JSON file ('-' reads stdin)")
        load.add_argument("slug")
        load.add_argument("file")

    def handle(self, *args, action: str, slug: str, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug “{slug}”.")
        if action == "export":
            self.stdout.write(json.dumps(settings_document_for(tenant=tenant), indent=2, ensure_ascii=False))
            return
        document = self._read(options["file"])
        try:
            result = settings_import(tenant=tenant, user=None, document=document)
        except SettingsInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing imported: {len(exc.problems)} problem(s) in {options['file']}.",
                returncode=EXIT_INVALID,
            ) from exc
        if not result.checked_against_economic:
            self.stderr.write(
                "e-conomic could not be reached: the default numbers were not checked against it."
            )
        self.stdout.write(f"Imported the customer sync settings of {slug}.")

    def _read(self, path: str) -> object:
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            return document_from_json(text)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=EXIT_INVALID) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text.", returncode=EXIT_INVALID) from exc
        except NotADocument as exc:
            raise CommandError(f"{path} is {exc}.", returncode=EXIT_INVALID) from exc
