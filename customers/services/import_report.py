"""A dry run's report: what the import would do with each Stripe customer, for the merchant to read
(the run's page), download (CSV) or script against (`tenant_sync --all --dry-run --csv`).

The dry run is the import job itself with `ImportRun.dry_run` set, so it finds exactly what the
import would; the job hands each customer's unsaved SyncRecord here and one report row is kept.
The rows hold personal data: the customer's erasure deletes theirs, retention purges old reports
(`customers/privacy`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from django.db.models import Count
from django.utils.translation import pgettext_lazy

from mappings.match_index import MatchIndex
from syncapp.csv_text import TextCsvWriter
from syncapp.models import Tenant

from ..models import ImportReportRow, ImportRun, SyncRecord

Action = SyncRecord.Action
Would = ImportReportRow.Action
# What the sync's outcome, previewed, means for the import.
WOULD = {
    Action.MATCHED: Would.WOULD_MATCH,
    Action.CREATED: Would.WOULD_CREATE,
    Action.UPDATED: Would.WOULD_UPDATE,
    Action.FAILED: Would.WOULD_FAIL,
    Action.NEEDS_REVIEW: Would.NEEDS_REVIEW,
    Action.UNCHANGED: Would.UNCHANGED,
    Action.SKIPPED: Would.WOULD_SKIP,
}
# Outcomes the merchant must act on: the command exits 1 when any customer has one.
NEEDS_ATTENTION = {Action.FAILED, Action.NEEDS_REVIEW, Would.WOULD_FAIL, Would.NEEDS_REVIEW}
# The columns scripts read (DESIGN.md: a header row, an `action` column).
CSV_COLUMNS = ("Stripe id", "e-mail", "name", "action", "e-conomic number", "rule", "message")
# The same columns for a merchant's spreadsheet, in the reader's language.
SPREADSHEET_COLUMNS = (
    pgettext_lazy("dry-run report column", "Stripe id"),
    pgettext_lazy("dry-run report column", "e-mail"),
    pgettext_lazy("dry-run report column", "name"),
    pgettext_lazy("dry-run report column", "action"),
    pgettext_lazy("dry-run report column", "e-conomic number"),
    pgettext_lazy("dry-run report column", "rule"),
    pgettext_lazy("dry-run report column", "message"),
)


def reported_action(*, run: ImportRun, record: SyncRecord) -> str:
    """The action as the run reports it: the sync's own, or in a dry run what it would do."""
    return WOULD[record.action] if run.dry_run else record.action


def report_row_add(*, run: ImportRun, customer: dict, record: SyncRecord) -> ImportReportRow:
    """Keep one customer's would-be outcome (`customer` as Stripe listed it); again, replace it."""
    row, _ = ImportReportRow.objects.for_tenant(run.tenant).update_or_create(
        run=run,
        stripe_customer_id=customer["id"],
        defaults={
            "email": (customer.get("email") or "")[:255],
            "name": (customer.get("name") or "")[:255],
            "action": WOULD[record.action],
            "economic_customer_number": record.economic_customer_number,
            "match_rule": record.match_rule,
            "message": record.message,
            "facts": record.facts,
        },
    )
    return row


def economic_duplicates_keep(*, run: ImportRun, index: MatchIndex) -> None:
    """e-conomic customers that already share a match value: a live import could not tell them apart."""
    run.economic_duplicates = index.duplicates()
    ImportRun.all_tenants.filter(pk=run.pk).update(economic_duplicates=run.economic_duplicates)


def report_rows_for(*, tenant: Tenant, run: ImportRun, action: str | None = None):
    rows = ImportReportRow.objects.for_tenant(tenant).filter(run=run)
    return rows.filter(action=action) if action else rows


def report_counts(*, tenant: Tenant, run: ImportRun) -> dict[str, int]:
    """Customers per action, every action present (0 when none), in the order of the choices."""
    found = dict(
        report_rows_for(tenant=tenant, run=run).values_list("action").annotate(n=Count("id")).order_by()
    )
    return {action: found.get(action, 0) for action in Would.values}


@dataclass(frozen=True)
class CsvStyle:
    """How the report is written: for scripts (commas, the action keys) or for a spreadsheet."""

    delimiter: str = ","
    action_words: bool = False
    byte_order_mark: bool = False


FOR_SCRIPTS = CsvStyle()


def spreadsheet_style(*, semicolons: bool) -> CsvStyle:
    """For a merchant opening the download: Excel reads UTF-8 (æ, ø, å) only after a byte-order
    mark, and where the decimal separator is a comma (Danish) it splits columns on semicolons. The
    headers, outcomes and explanations are in the reader's language."""
    return CsvStyle(delimiter=";" if semicolons else ",", action_words=True, byte_order_mark=True)


def report_csv_write(rows: Iterable[ImportReportRow], out: TextIO, *, style: CsvStyle = FOR_SCRIPTS) -> None:
    """The report as CSV: a header row, then one row per Stripe customer (the download and the CLI)."""
    if style.byte_order_mark:
        out.write("\ufeff")
    writer = TextCsvWriter(out, delimiter=style.delimiter)
    readers = style.action_words
    writer.writerow([str(column) for column in SPREADSHEET_COLUMNS] if readers else CSV_COLUMNS)
    words = dict(Would.choices)
    for row in rows:
        number = "" if row.economic_customer_number is None else str(row.economic_customer_number)
        if readers:
            action, rule, why = str(words.get(row.action, row.action)), row.match_rule_text, row.explanation
        else:
            action, rule, why = row.action, row.match_rule, row.message
        writer.writerow([row.stripe_customer_id, row.email, row.name, action, number, rule, why])
