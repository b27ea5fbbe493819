"""Every CSV we produce is written here: the merchant's export, a dry run's report and the
command's `--csv`. A cell that a spreadsheet would run as a formula is written as text."""

import csv
from collections.abc import Iterable
from typing import Any, TextIO

# A cell starting with one of these is a formula to a spreadsheet; names and e-mails come from
# anyone who buys, and a company name or a settings change from anyone with an account.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: object) -> object:
    """OWASP's advice against CSV injection: a leading quote makes the spreadsheet show the text.
    Numbers, dates and empty cells are written as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return f"'{cell}"
    return cell


class TextCsvWriter:
    """`csv.writer` (the dialect options pass through) whose every cell goes through `as_text`."""

    def __init__(self, out: TextIO, **dialect: Any):
        self._writer = csv.writer(out, **dialect)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([as_text(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for cells in rows:
            self.writerow(cells)
