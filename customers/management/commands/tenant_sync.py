import json
from collections import Counter
from contextlib import closing

from django.core.management.base import BaseCommand, CommandError

from customers.errors import TransientSyncError
from customers.models import ImportRun, SyncRecord
from customers.services import customer_sync
from customers.services.import_report import (
    NEEDS_ATTENTION,
    report_csv_write,
    report_rows_for,
    reported_action,
)
from customers.services.imports import ImportAccountUnknown, ImportAlreadyRunning, import_run, import_start
from syncapp.connections.clients import NotConnected, economic_client_for, stripe_client_for
from syncapp.connections.selectors import stripe_account_named, stripe_accounts_for
from syncapp.models import StripeConnection, Tenant


class Command(BaseCommand):
    help = (
        "Sync one Stripe customer (--customer), or import them all (--all: the Import tab's job); "
        "--dry-run writes nothing, --csv writes the dry run's report. One JSON line per customer, "
        'then {"summary": …} for --all. Exit 0: all synced; 1: some failed or need review; '
        "2: operator error (unknown slug or account, not connected, an import already running)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--customer", help="a Stripe customer id, cus_…")
        target.add_argument("--all", action="store_true", help="every customer in the Stripe account")
        parser.add_argument(
            "--account",
            metavar="NAME",
            help="which of the merchant's Stripe accounts, by its name; needed for --all (and for a "
            "customer not linked yet) when the merchant has several",
        )
        parser.add_argument("--dry-run", action="store_true", help="preview: write nothing anywhere")
        parser.add_argument("--csv", metavar="PATH", help="with --all --dry-run: the report as CSV")

    def handle(self, *args, slug, customer=None, all=False, dry_run=False, csv=None, account=None, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No merchant with slug {slug}.", returncode=2)
        if csv and not (all and dry_run):
            raise CommandError("--csv writes a dry run's report: use it with --all --dry-run.", returncode=2)
        stripe_account = _account(tenant, account)
        if customer:
            self._one(tenant, customer, dry_run, stripe_account)
        else:
            self._all(tenant, dry_run, csv, stripe_account)

    def _one(
        self, tenant: Tenant, customer_id: str, dry_run: bool, stripe_account: StripeConnection | None
    ) -> None:
        try:
            record = customer_sync(
                tenant=tenant, stripe_customer_id=customer_id, stripe_account=stripe_account, dry_run=dry_run
            )
        except TransientSyncError as exc:
            line = {"customer": customer_id, "action": "retry_later", "number": None, "message": exc.message}
            self._write(line)
            raise CommandError("The customer did not sync: see the message above.", returncode=1) from exc
        line = {
            "customer": customer_id,
            "action": record.action,
            "number": record.economic_customer_number,
            "message": record.message,
        }
        if dry_run and record.payload:
            line["payload"] = record.payload
        self._write(line)
        if record.action == SyncRecord.Action.FAILED:
            raise CommandError("The customer did not sync: see the message above.", returncode=1)

    def _all(
        self, tenant: Tenant, dry_run: bool, csv_path: str | None, stripe_account: StripeConnection | None
    ) -> None:
        try:
            run = import_start(
                tenant=tenant,
                started_by="tenant_sync command",
                dry_run=dry_run,
                queue=False,
                stripe_account=_connected(tenant, stripe_account),
            )
        except (NotConnected, ImportAlreadyRunning, ImportAccountUnknown) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        summary: Counter[str] = Counter()

        def write_line(customer: dict, record: SyncRecord) -> None:
            action = reported_action(run=run, record=record)
            summary[action] += 1
            self._write(
                {
                    "customer": customer["id"],
                    "action": action,
                    "number": record.economic_customer_number,
                    "message": record.message,
                    "rule": record.match_rule or None,
                }
            )

        run = import_run(run_id=run.pk, token=run.leased_by, on_record=write_line)
        self._write({"summary": dict(summary)})
        if csv_path:
            with open(csv_path, "w", newline="", encoding="utf-8") as out:
                report_csv_write(report_rows_for(tenant=tenant, run=run), out)
        if run.status != ImportRun.Status.FINISHED:
            raise CommandError(f"The import did not finish: {run.message}", returncode=1)
        if NEEDS_ATTENTION & summary.keys():
            raise CommandError("Some customers failed or need review: see the messages above.", returncode=1)

    def _write(self, line: dict) -> None:
        self.stdout.write(json.dumps(line, ensure_ascii=False))


def _account(tenant: Tenant, name: str | None) -> StripeConnection | None:
    if name is None:
        return None
    account = stripe_account_named(tenant=tenant, name=name)
    if account is None:
        names = ", ".join(account.name for account in stripe_accounts_for(tenant=tenant)) or "none"
        raise CommandError(
            f"{tenant.slug} has no Stripe account named {name!r} (it has: {names}).", returncode=2
        )
    return account


def _connected(tenant: Tenant, stripe_account: StripeConnection | None) -> StripeConnection | None:
    """Refuse before a run exists: without both connections there is nothing to import."""
    accounts = [stripe_account] if stripe_account else stripe_accounts_for(tenant=tenant)
    if len(accounts) == 1:
        with closing(economic_client_for(tenant)), closing(stripe_client_for(accounts[0])):
            pass
    return stripe_account
