"""What a close checks about the book of record besides the month it closes (SPEC 8).

- The months with landed inputs (usage rows, licences starting in them), read from the
  warehouse's landing tables, which a close has just loaded: recorded in the manifest as
  `landed_months`, so that `finalize` (which has only the output folder) can refuse while an
  earlier month with landed inputs has no version at all; and a close of a later month warns
  about such a month at once.
- The diagnosis a validation refusal leaves beside the warehouse, written without following a
  symbolic link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from automq_billing.book.folder import Month
from automq_billing.book.issued import never_closed
from automq_billing.errors import BillingError
from automq_billing.months import format_month
from automq_billing.safe_files import write_text_atomically
from automq_billing.validation import ValidationReport

# the months a close of that month would accept (queries.MONTH_HAS_INPUTS, for every month)
LANDED_MONTHS = """
    select month, cast(sum(usage_rows) as bigint) as usage_rows,
        cast(sum(licences) as bigint) as licences
    from (
        select cast(date_trunc('month', hour_start) as date) as month,
            count(*) as usage_rows, 0 as licences
        from landing.usage_events
        where hour_start is not null
        group by cast(date_trunc('month', hour_start) as date)
        union all
        select cast(date_trunc('month', start_date) as date), 0, count(*)
        from landing.licenses
        where start_date is not null
        group by cast(date_trunc('month', start_date) as date)
    ) as landed
    group by month
    order by month
"""


@dataclass(frozen=True)
class BookCheck:
    landed_months: dict[str, dict[str, int]]
    never_closed: list[str]

    @property
    def warnings(self) -> list[str]:
        return [
            f"{month} has landed usage or a licence starting in it but was never closed: close "
            f"it (automq-billing close --month {month}) before a later month is finalized, or "
            "it is never billed"
            for month in self.never_closed
        ]


def check_book(
    con: duckdb.DuckDBPyConnection,
    months: list[Month],
    month: dt.date,
    progress: Callable[[str], None],
) -> BookCheck:
    landed = {
        format_month(landed_month): {"usage_rows": int(rows), "licences": int(licences)}
        for landed_month, rows, licences in con.execute(LANDED_MONTHS).fetchall()
        if 1 <= landed_month.year <= 9999
    }
    check = BookCheck(landed, never_closed(months, landed, month))
    for warning in check.warnings:
        progress(f"  warning: {warning}")
    return check


def validation_refusal(month: dt.date, warehouse: Path, report: ValidationReport) -> BillingError:
    """The refusal of a close whose marts fail validation; the failing values are written to
    `<warehouse folder>/.validation/<YYYY-MM>-refused.json` (no link followed)."""
    label = format_month(month)
    diagnosis = write_text_atomically(
        warehouse.parent / ".validation" / f"{label}-refused.json", report.to_json()
    )
    lines = "\n".join(f"  - expectation {f.describe()}" for f in report.blocking[:25])
    return BillingError(
        f"Validation refused to publish {label}: {len(report.blocking)} blocking expectation(s) "
        f"failed; nothing was written.\n{lines}",
        hint=f"read {diagnosis} for the failing values, fix their cause, and run the close again",
    )
