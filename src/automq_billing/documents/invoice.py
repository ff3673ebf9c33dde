"""Invoice PDFs (SPEC 12.2), typeset by finalize for the invoices it numbers, from the issued
version's files alone: the statement lines (who invoices each, SPEC 10.2), the billing profile in
force (billing_profiles.parquet) and the seller (seller.parquet).

One page per invoice (or credit note): seller and buyer blocks, number, dates, payment terms, the
lines AutoMQ invoices, the lines marketplaces invoice listed apart ("invoiced by <marketplace>,
not payable here"), the amount due and, on an adjustment line, the invoice (or statement) of the
month it corrects. Every landed value is text: the templates escape it (jinja autoescape and
`html.escape`), so a legal name with markup prints as characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from automq_billing.book.folder import Month, Version
from automq_billing.book.invoices import issued_invoice_numbers
from automq_billing.documents.pdf import PdfJob, write_pdfs
from automq_billing.documents.pdf_cache import PdfCache
from automq_billing.documents.text import (
    _MARKETPLACES,
    CLUSTER_TIER_TITLES,
    ITEM_TITLES,
    long_date,
    money_text,
    month_title,
    price_text,
    quantity_text,
    service_period_bounds,
    statement_number,
)
from automq_billing.months import format_month


@dataclass
class InvoiceLine:
    description: str
    detail: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    negative: bool


@dataclass
class Invoice:
    number: str
    title: str  # "Invoice" or "Credit note"
    organization_id: str
    statement: str
    month_title: str
    period_bounds: tuple[str, str]
    invoice_date: str
    due_date: str
    payment_terms: str
    issued_iso: str
    seller: dict
    buyer: dict
    buyer_address: list[str]
    lines: list[InvoiceLine] = field(default_factory=list)
    marketplace_groups: list[dict] = field(default_factory=list)
    total: str = "0.00"
    amount_due: str = "0.00"
    credit: str = "0.00"  # a credit note's amount in the customer's favour
    is_credit: bool = False
    currency: str = "USD"
    profile_note: str = ""


def _describe(line: dict) -> tuple[str, str]:
    item = ITEM_TITLES.get(line["billing_item"], line["billing_item"])
    if line["billing_item"] == "aku_subscription":
        item, detail = "AKU subscription", f"Licence {line['license_id']}"
    elif line["billing_item"] == "cluster_uptime":
        detail = f"{CLUSTER_TIER_TITLES.get(line['cluster_tier'], line['cluster_tier'])} clusters"
    else:
        detail = f"Tier {line['tier']}" if line["tier"] is not None else ""
    return item, detail


def _correction_note(
    line: dict, organization_id: str, issued: dict, versions: dict[str, int]
) -> str:
    corrected = line["adjusted_month"]
    if corrected is None:
        return ""
    label = format_month(corrected)
    number = issued.get((label, organization_id))
    if number:
        return f"Corrects {month_title(corrected)}, invoice {number}"
    if label in versions:
        return (
            f"Corrects {month_title(corrected)}, statement "
            f"{statement_number(corrected, organization_id, versions[label])}"
        )
    return f"Corrects {month_title(corrected)}"


def build_invoices(
    months: list[Month], state: Month, version: Version, final: dict
) -> list[Invoice]:
    """The invoices of final.json's `invoices`, from the version's files."""
    lines = pq.read_table(version.folder / "statement_lines.parquet").to_pylist()
    profiles = _rows_by_organization(version.folder / "billing_profiles.parquet")
    sellers = _rows(version.folder / "seller.parquet")
    seller = sellers[0] if sellers else {}
    issued = issued_invoice_numbers(months)
    versions = {m.label: m.final.version for m in months if m.final}
    invoices = []
    for entry in final["invoices"]:
        organization_id = entry["organization_id"]
        own = [line for line in lines if line["organization_id"] == organization_id]
        profile = profiles.get(organization_id, {})
        amount = Decimal(entry["amount"])
        invoice = Invoice(
            number=entry["invoice_number"],
            title="Credit note" if amount < 0 else "Invoice",
            organization_id=organization_id,
            statement=statement_number(state.month, organization_id, version.number),
            month_title=month_title(state.month),
            period_bounds=service_period_bounds(state.month),
            invoice_date=long_date(dt.date.fromisoformat(entry["invoice_date"])),
            due_date=long_date(dt.date.fromisoformat(entry["due_date"])),
            payment_terms=f"{entry['payment_terms_days']} days net",
            issued_iso=final["finalized_at"],
            seller=seller,
            buyer=profile,
            buyer_address=str(profile.get("billing_address") or "").splitlines(),
            total=money_text(amount),
            amount_due=money_text(max(amount, Decimal(0))),
            credit=money_text(abs(amount)),
            is_credit=amount < 0,
            profile_note=_profile_note(profile),
        )
        by_marketplace: dict[str, list[InvoiceLine]] = {}
        sums: dict[str, Decimal] = {}
        for line in own:
            item, detail = _describe(line)
            note = _correction_note(line, organization_id, issued, versions)
            row = InvoiceLine(
                description=f"{item} (correction)" if note else item,
                detail="; ".join(part for part in (detail, note) if part),
                quantity=quantity_text(line["quantity"]),
                unit=line["unit"],
                unit_price=price_text(line["unit_price"]),
                amount=money_text(line["amount"]),
                negative=line["amount"] < 0,
            )
            if line["invoiced_by"] == "automq":
                invoice.lines.append(row)
            else:
                by_marketplace.setdefault(line["invoiced_by"], []).append(row)
                sums[line["invoiced_by"]] = (
                    sums.get(line["invoiced_by"], Decimal(0)) + (line["amount"])
                )
        invoice.marketplace_groups = [
            {
                "title": f"Invoiced by {_MARKETPLACES.get(key, key)}, not payable here",
                "rows": rows,
                "subtotal": money_text(sums[key]),
            }
            for key, rows in sorted(by_marketplace.items())
        ]
        invoices.append(invoice)
    return invoices


def _profile_note(profile: dict) -> str:
    status = profile.get("profile_status")
    if status == "profile_conflict":
        return "Two different billing profiles are on file for this month; none is used."
    if status != "in_force":
        return "No billing profile is on file for this organization."
    return ""


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist() if path.is_file() else []


def _rows_by_organization(path: Path) -> dict[str, dict]:
    return {row["organization_id"]: row for row in _rows(path)}


def invoice_html(invoice: Invoice) -> str:
    from automq_billing.documents.render import _templates

    return _templates().get_template("invoice.html.j2").render(i=invoice)


def write_invoice_pdfs(
    months: list[Month], state: Month, version: Version, final: dict, folder: Path
) -> None:
    """finalize's invoice writer: one `<invoice_number>.pdf` per invoice into `folder` (the
    hidden temporary finalize renames into place), through the output folder's PDF cache."""
    jobs = [
        PdfJob(invoice_html(invoice), folder / f"{invoice.number}.pdf", invoice.number)
        for invoice in build_invoices(months, state, version, final)
    ]
    write_pdfs(jobs, PdfCache.for_output(state.folder.parent))


__all__ = ["build_invoices", "invoice_html", "write_invoice_pdfs"]
