"""Invoice numbers (SPEC 12.2): the part of an issued statement that AutoMQ invoices becomes an
invoice when finalize issues the month.

One gap-free sequence across all months, `AMQ-INV-000001`, `AMQ-INV-000002`, ...: the numbers a
month uses are recorded in its `final.json` (`invoices`), written atomically, and nowhere else;
the next number is one more than the highest any final.json of the output folder records. So a
finalize that fails before its final.json is in place has used no number, and two finalizes
(which hold the output folder's lock in turn) never share one. Within a month the numbers go in
organization_id order; a statement whose AutoMQ-invoiced amount is negative gets a credit note
in the same sequence, one whose amount is 0 gets nothing. The invoice date is the finalize date
(UTC), the due date the invoice date plus the billing profile's payment_terms_days (30 without
one).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pyarrow.parquet as pq

from automq_billing.book.folder import Month, Version

INVOICE_PREFIX = "AMQ-INV-"
INVOICE_NUMBER = re.compile(r"AMQ-INV-(?P<n>[0-9]{6,})")
INVOICES_FOLDER = "invoices"
DEFAULT_PAYMENT_TERMS_DAYS = 30


def invoice_number(n: int) -> str:
    return f"{INVOICE_PREFIX}{n:06d}"


def last_invoice_number(months: list[Month]) -> int:
    """The highest invoice number any final month records (0 when none)."""
    numbers = [0]
    for state in months:
        for invoice in state.final.invoices if state.final else ():
            match = INVOICE_NUMBER.fullmatch(str(invoice.get("invoice_number")))
            if match:
                numbers.append(int(match["n"]))
    return max(numbers)


def issued_invoice_numbers(months: list[Month]) -> dict[tuple[str, str], str]:
    """(YYYY-MM, organization_id) -> the invoice number a final month gave the statement."""
    return {
        (state.label, str(invoice["organization_id"])): str(invoice["invoice_number"])
        for state in months
        if state.final
        for invoice in state.final.invoices
    }


def automq_amounts(version: Version) -> dict[str, Decimal]:
    """Per organization of the version's statements, the amount of its lines AutoMQ invoices
    (statement_lines.parquet, column invoiced_by, SPEC 10.2). A version closed before that
    column existed (an older release) has none: it is issued without invoices, and finalize
    says so."""
    path = version.folder / "statement_lines.parquet"
    table = pq.read_table(path)
    if "invoiced_by" not in table.column_names:
        return {}
    amounts: dict[str, Decimal] = {}
    for row in table.select(["organization_id", "amount", "invoiced_by"]).to_pylist():
        total = amounts.setdefault(row["organization_id"], Decimal(0))
        if row["invoiced_by"] == "automq":
            amounts[row["organization_id"]] = total + row["amount"]
    return amounts


def payment_terms(version: Version) -> dict[str, int]:
    """Per organization, the payment terms of its billing profile in force (the version's
    billing_profiles.parquet); organizations without one are absent (30 days)."""
    path = version.folder / "billing_profiles.parquet"
    if not path.is_file() or "payment_terms_days" not in pq.read_schema(path).names:
        return {}
    rows = pq.read_table(path, columns=["organization_id", "payment_terms_days"]).to_pylist()
    return {
        row["organization_id"]: int(row["payment_terms_days"])
        for row in rows
        if row["payment_terms_days"] is not None and row["payment_terms_days"] >= 0
    }


def assign_invoices(version: Version, first_number: int, invoice_date: dt.date) -> list[dict]:
    """The invoices of the version's statements, numbered from `first_number` in organization_id
    order: final.json's `invoices` entries (amount as a decimal string, dates ISO)."""
    terms = payment_terms(version)
    invoices = []
    number = first_number
    for organization_id, amount in sorted(automq_amounts(version).items()):
        if amount == 0:
            continue
        days = terms.get(organization_id, DEFAULT_PAYMENT_TERMS_DAYS)
        invoices.append(
            {
                "organization_id": organization_id,
                "invoice_number": invoice_number(number),
                "kind": "credit_note" if amount < 0 else "invoice",
                "amount": f"{amount:.2f}",
                "invoice_date": invoice_date.isoformat(),
                "due_date": (invoice_date + dt.timedelta(days=days)).isoformat(),
                "payment_terms_days": days,
            }
        )
        number += 1
    return invoices
