"""The close report's plain tables (quarantine, corrections, AWS Marketplace, files): strings
only, amounts as people read them (thousands separators, two decimals); every landed value stays
text for the template to escape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from automq_billing.documents.text import money_text, quantity_text
from automq_billing.documents.version_folder import Row, VersionFolder
from automq_billing.vocabulary import RECONCILIATION_AMOUNTS

INPUTS_SHOWN = 10_000


def amount_text(value: Any, shown: Callable[[Decimal], str] = money_text) -> str:
    """A manifest or Parquet amount (Decimal or its text) as money_text prints it (or `shown`:
    quantity_text for a quantity); a value that is not a number stays as it is (the template
    escapes it), None is empty."""
    if value is None:
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return shown(number) if number.is_finite() else str(value)


@dataclass(frozen=True)
class Table:
    """A plain table of strings for the simpler sections."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()


def quarantine_table(quarantine: dict) -> Table:
    """Quarantined rows by reason with their estimated value (manifest `quarantine.by_reason`,
    either {reason: n} or {reason: {"rows": n, "estimated_value": "<decimal>"}})."""
    rows = []
    for reason, entry in sorted((quarantine.get("by_reason") or {}).items()):
        if isinstance(entry, dict):
            value = entry.get("estimated_value")
            rows.append((reason, f"{int(entry.get('rows', 0)):,}", amount_text(value)))
        else:
            rows.append((reason, f"{int(entry):,}", "not estimated"))
    return Table(("Reason", "Rows", "Estimated value (USD)"), tuple(rows), numeric=(1, 2))


def corrections_by_month(corrections: dict) -> Table:
    rows = tuple(
        (month, str(entry.get("lines", "")), amount_text(entry.get("amount")))
        for month, entry in sorted((corrections.get("by_month") or {}).items())
    )
    return Table(("Corrected month", "Adjustment lines", "Amount (USD)"), rows, numeric=(1, 2))


def corrections_basis(corrections: dict) -> Table:
    rows = tuple(
        (month, f"v{version}")
        for month, version in sorted((corrections.get("issued_basis") or {}).items())
    )
    return Table(("Final month", "Issued version compared against"), rows)


def corrections_outside(corrections: dict) -> Table:
    rows = tuple(
        (
            str(entry.get("month", "")),
            str(entry.get("organization_id", "")),
            str(entry.get("billing_item", "")),
            amount_text(entry.get("quantity"), quantity_text),
            amount_text(entry.get("amount")),
        )
        for entry in corrections.get("outside_window") or []
    )
    return Table(
        ("Month", "Organization", "Billing item", "Quantity", "Amount (USD)"),
        rows,
        numeric=(3, 4),
    )


def marketplace_present(close: VersionFolder) -> bool:
    return bool(
        close.reconciliation is not None
        or close.exceptions is not None
        or close.unmatched_events is not None
        or close.manifest.get("marketplace")
    )


def marketplace_counts(close: VersionFolder, key: str) -> dict[str, int]:
    block = (close.manifest.get("marketplace") or {}).get(key)
    if block:
        return {str(name): int(count) for name, count in block.items()}
    return dict(Counter(str(row.get(key)) for row in close.reconciliation or []))


def exception_counts(close: VersionFolder) -> dict[str, int]:
    block = (close.manifest.get("marketplace") or {}).get("cause")
    if block:
        return {str(name): int(count) for name, count in block.items()}
    return dict(close.exceptions or {})


def count_table(title: str, counts: dict[str, int]) -> Table:
    rows = tuple((name, f"{count:,}") for name, count in sorted(counts.items()))
    return Table((title, "Count"), rows, numeric=(1,))


def marketplace_amounts(close: VersionFolder) -> Table:
    amounts = (close.manifest.get("marketplace") or {}).get("amounts")
    if not amounts:
        amounts = {
            column: sum(
                (row[column] for row in close.reconciliation or [] if row.get(column)),
                Decimal("0.000000"),
            )
            for column in RECONCILIATION_AMOUNTS
        }
    rows = tuple(
        (column, "not issued" if value is None else amount_text(value))
        for column, value in amounts.items()
    )
    return Table(("Amount", "Sum over organizations (USD)"), rows, numeric=(1,))


def reconciliation_table(rows: list[Row]) -> Table:
    def cell(value: Any) -> str:
        return amount_text(value)

    body = tuple(
        (
            str(row.get("organization_id") or ""),
            str(row.get("status") or ""),
            str(row.get("customer_aws_account_id") or ""),
            cell(row.get("statement_usage_amount")),
            cell(row.get("issued_usage_amount")),
            cell(row.get("expected_metered_amount")),
            cell(row.get("accepted_metered_amount")),
            cell(row.get("invoiced_amount")),
            cell(row.get("rating_variance")),
            cell(row.get("metering_variance")),
            cell(row.get("invoicing_variance")),
        )
        for row in sorted(rows, key=lambda r: (str(r.get("status")), str(r["organization_id"])))
    )
    return Table(
        (
            "Organization",
            "Status",
            "AWS account",
            "Statement usage",
            "Issued usage",
            "Expected metered",
            "Accepted metered",
            "Invoiced",
            "Rating variance",
            "Metering variance",
            "Invoicing variance",
        ),
        body,
        numeric=(3, 4, 5, 6, 7, 8, 9, 10),
    )


def unmatched_events_table(rows: list[Row]) -> Table:
    """SPEC 9.3's billing events that no organization's reconciliation counts (landed text:
    the template escapes every cell)."""
    body = tuple(
        (
            str(row.get("cause") or ""),
            str(row.get("billing_event_id") or ""),
            str(row.get("end_user_account_id") or ""),
            str(row.get("product_id") or ""),
            str(row.get("transaction_type") or ""),
            amount_text(row.get("amount")),
            str(row.get("source_file") or ""),
        )
        for row in rows
    )
    return Table(
        ("Cause", "Billing event", "AWS account", "Product", "Type", "Amount (USD)", "File"),
        body,
        numeric=(5,),
    )


def inputs_table(inputs: list[dict]) -> Table:
    rows = tuple(
        (
            str(entry.get("dataset", "")),
            str(entry.get("path", "")),
            f"{int(entry.get('rows', 0)):,}",
            f"{int(entry.get('bytes', 0)):,}",
            str(entry.get("sha256", "")),
        )
        for entry in inputs[:INPUTS_SHOWN]
    )
    return Table(("Dataset", "File", "Rows", "Bytes", "sha256"), rows, numeric=(2, 3))


def outputs_table(outputs: dict) -> Table:
    rows = tuple(
        (
            name,
            f"{int(entry.get('rows', 0)):,}",
            f"{int(entry.get('bytes', 0)):,}",
            str(entry.get("sha256", "")),
        )
        for name, entry in sorted(outputs.items())
    )
    return Table(("File", "Rows", "Bytes", "sha256"), rows, numeric=(1, 2))
