"""Invoices at finalize (SPEC 12.2), in process: one gap-free sequence across months in
organization_id order, credit notes for negative amounts, nothing for a statement AutoMQ does
not invoice, due dates from the billing profile; a finalize that fails half-way uses no number
and leaves no file, one killed after final.json is completed by the next run; hostile profile
text is escaped in the invoice HTML and PDF and neutralised in CSV and xlsx (SPEC 12.1)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from automq_billing.book.commands import finalize, status_lines
from automq_billing.book.folder import month_state, read_output
from automq_billing.book.issued import STATEMENT_LINE_TYPES, issued_basis
from automq_billing.book.publish import remove_final_temporaries
from automq_billing.close.export import write_table
from automq_billing.documents.invoice import build_invoices, invoice_html
from automq_billing.documents.pdf import PdfRenderer
from automq_billing.documents.version_folder import read_version_manifest
from automq_billing.documents.workbook import write_workbook

pytestmark = pytest.mark.unit
SEPTEMBER, OCTOBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
LINES = STATEMENT_LINE_TYPES.append(pa.field("invoiced_by", pa.string()))
HOSTILE = {
    "organization_id": "org-a",
    "profile_status": "in_force",
    "legal_name": 'Harbour & Sons <b>Trading</b> "HK" Ltd',
    "billing_address": "Suite 1\n<script>alert(1)</script>\nHong Kong",
    "country": "HK",
    "tax_id": None,
    "billing_email": "@pay@example.invalid",
    "payment_terms_days": 45,
    "purchase_order": '=HYPERLINK("http://example.invalid","PO")',
    "valid_from": dt.date(2026, 1, 1),
}


def _line(month, org, amount, invoiced_by="automq", **extra) -> dict:
    return {
        "statement_month": month,
        "organization_id": org,
        "line_type": "usage",
        "billing_item": "data_ingress",
        "tier": 1,
        "quantity": Decimal("10"),
        "unit": "GiB",
        "unit_price": Decimal("0.05"),
        "amount": Decimal(amount),
        "currency": "USD",
        "rate_card_version": "2026-01",
        "invoiced_by": invoiced_by,
        **extra,
    }


def close_month(output: Path, month: dt.date, lines: list[dict], profiles=None) -> Path:
    """What a close leaves for finalize: the statement files, the profiles and a manifest."""
    basis = issued_basis(read_output(output), month)
    folder = output / f"{month:%Y-%m}" / "v1"
    folder.mkdir(parents=True)
    outputs = write_table(folder, "statement_lines", pa.Table.from_pylist(lines, schema=LINES))
    statements = pa.Table.from_pylist([{"statement_month": month, "total_amount": Decimal(0)}])
    outputs.update(write_table(folder, "statements", statements))
    if profiles:
        outputs.update(write_table(folder, "billing_profiles", pa.Table.from_pylist(profiles)))
    seller = [{"statement_month": month, "legal_name": "AutoMQ HK Limited", "country": "HK"}]
    outputs.update(write_table(folder, "seller", pa.Table.from_pylist(seller)))
    manifest = {
        "month": f"{month:%Y-%m}",
        "version": 1,
        "closed_at": dt.datetime.now(dt.UTC).isoformat(),
        "outputs": outputs,
        "totals": {"total_amount": "0.00", "organizations": 0, "statement_lines": len(lines)},
        "corrections": {"issued_basis": basis},
        "landed_months": {f"{month:%Y-%m}": {"usage_rows": 1, "licences": 0}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _numbers(final: dict) -> list[tuple[str, str, str, str]]:
    return [
        (i["organization_id"], i["invoice_number"], i["kind"], i["amount"])
        for i in final["invoices"]
    ]


def _writer(calls: list):
    def write(months, state, version, final, folder: Path) -> None:
        calls.append([i["invoice_number"] for i in final["invoices"]])
        for invoice in final["invoices"]:
            (folder / f"{invoice['invoice_number']}.pdf").write_bytes(b"%PDF-test")

    return write


def test_numbers_are_one_gap_free_sequence_across_months_with_credit_notes(tmp_path):
    close_month(
        tmp_path,
        SEPTEMBER,
        [
            _line(SEPTEMBER, "org-b", "20.00"),
            _line(SEPTEMBER, "org-a", "10.00"),
            _line(SEPTEMBER, "org-m", "99.00", "aws_marketplace"),  # a marketplace invoices it
            _line(SEPTEMBER, "org-z", "0.00"),  # nothing to invoice
        ],
        [HOSTILE],
    )
    calls: list = []
    _, september = finalize(tmp_path, SEPTEMBER, invoice_pdfs=_writer(calls))
    assert _numbers(september) == [
        ("org-a", "AMQ-INV-000001", "invoice", "10.00"),
        ("org-b", "AMQ-INV-000002", "invoice", "20.00"),
    ]
    today = dt.date.fromisoformat(september["finalized_at"][:10])
    assert september["invoices"][0]["due_date"] == (today + dt.timedelta(days=45)).isoformat()
    assert september["invoices"][1]["due_date"] == (today + dt.timedelta(days=30)).isoformat()
    close_month(
        tmp_path,
        OCTOBER,
        [
            _line(OCTOBER, "org-a", "-4.00", line_type="adjustment", adjusted_month=SEPTEMBER),
            _line(OCTOBER, "org-c", "5.00"),
            _line(OCTOBER, "org-c", "7.00", "azure_marketplace", billing_item="aku_subscription"),
        ],
    )
    _, october = finalize(tmp_path, OCTOBER, invoice_pdfs=_writer(calls))
    assert _numbers(october) == [
        ("org-a", "AMQ-INV-000003", "credit_note", "-4.00"),
        ("org-c", "AMQ-INV-000004", "invoice", "5.00"),
    ]
    assert sorted(p.name for p in (tmp_path / "2026-10" / "invoices").iterdir()) == [
        "AMQ-INV-000003.pdf",
        "AMQ-INV-000004.pdf",
    ]
    assert not list((tmp_path / "2026-10").glob(".invoices.tmp-*"))
    months = read_output(tmp_path)
    assert [i["invoice_number"] for i in month_state(months, OCTOBER).final.invoices] == [
        "AMQ-INV-000003",
        "AMQ-INV-000004",
    ]
    [october_line] = [line for line in status_lines(months) if line.startswith("2026-10")]
    assert ", invoices AMQ-INV-000003 to AMQ-INV-000004 (1 invoice(s), 1 credit note(s))" in (
        october_line
    )


def test_a_finalize_that_fails_half_way_uses_no_number_and_leaves_no_file(tmp_path):
    close_month(tmp_path, SEPTEMBER, [_line(SEPTEMBER, "org-a", "10.00")])

    def broken(months, state, version, final, folder: Path) -> None:
        (folder / "AMQ-INV-000001.pdf").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        finalize(tmp_path, SEPTEMBER, invoice_pdfs=broken)
    month = tmp_path / "2026-09"
    assert sorted(p.name for p in month.iterdir()) == ["v1"]  # no final.json, no invoice
    _, final = finalize(tmp_path, SEPTEMBER, invoice_pdfs=_writer([]))
    assert _numbers(final) == [("org-a", "AMQ-INV-000001", "invoice", "10.00")]


def test_invoices_of_a_finalize_killed_after_final_json_are_put_in_place(tmp_path):
    close_month(tmp_path, SEPTEMBER, [_line(SEPTEMBER, "org-a", "10.00")])
    finalize(tmp_path, SEPTEMBER, invoice_pdfs=_writer([]))
    month = tmp_path / "2026-09"
    (month / "invoices").rename(month / ".invoices.tmp-999999")  # killed before the rename
    remove_final_temporaries(tmp_path)
    assert (month / "invoices" / "AMQ-INV-000001.pdf").is_file()
    # a draft month's leftover (final.json never written) is removed
    close_month(tmp_path, OCTOBER, [_line(OCTOBER, "org-a", "10.00")])
    leftover = tmp_path / "2026-10" / ".invoices.tmp-999999"
    leftover.mkdir()
    (leftover / "AMQ-INV-000002.pdf").write_bytes(b"%PDF")
    remove_final_temporaries(tmp_path)
    assert not leftover.exists() and not (tmp_path / "2026-10" / "invoices").exists()


def test_an_invoices_folder_in_a_draft_month_is_refused(tmp_path):
    close_month(tmp_path, SEPTEMBER, [_line(SEPTEMBER, "org-a", "10.00")])
    (tmp_path / "2026-09" / "invoices").mkdir()
    with pytest.raises(Exception, match="invoices exists though 2026-09 is not final"):
        finalize(tmp_path, SEPTEMBER, invoice_pdfs=_writer([]))


def _hostile_invoice(tmp_path: Path):
    lines = [
        _line(SEPTEMBER, "org-a", "10.00"),
        _line(SEPTEMBER, "org-a", "8.00", "gcp_marketplace", billing_item="cluster_uptime"),
    ]
    close_month(tmp_path, SEPTEMBER, lines, [HOSTILE])
    _, final = finalize(tmp_path, SEPTEMBER)
    months = read_output(tmp_path)
    state = month_state(months, SEPTEMBER)
    [invoice] = build_invoices(months, state, state.versions[0], final)
    return invoice


def test_hostile_profile_text_is_escaped_in_the_invoice_html_and_pdf(tmp_path):
    invoice = _hostile_invoice(tmp_path)
    html = invoice_html(invoice)
    assert "<b>Trading</b>" not in html and "<script>" not in html
    assert "Harbour &amp; Sons &lt;b&gt;Trading&lt;/b&gt; &#34;HK&#34; Ltd" in html or (
        "Harbour &amp; Sons &lt;b&gt;Trading&lt;/b&gt; &quot;HK&quot; Ltd" in html
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Invoiced by Google Cloud Marketplace, not payable here" in html
    assert "Amount due by" in html and "10.00 USD" in html
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(PdfRenderer().render(html, invoice.number))
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "<b>Trading</b>" in text and "<script>alert(1)</script>" in text
        assert invoice.number in text


def test_hostile_profile_text_is_neutralised_in_csv_and_xlsx(tmp_path):
    folder = close_month(tmp_path, SEPTEMBER, [_line(SEPTEMBER, "org-a", "1.00")], [HOSTILE])
    csv_text = (folder / "billing_profiles.csv").read_text()
    assert "'=HYPERLINK" in csv_text and "'@pay@example.invalid" in csv_text
    target = tmp_path / "close.xlsx"
    write_workbook(target, read_version_manifest(folder), dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    with zipfile.ZipFile(target) as book:
        strings = "".join(
            book.read(name).decode() for name in book.namelist() if name.endswith(".xml")
        )
    assert "'=HYPERLINK" in strings and "'@pay@example.invalid" in strings
    assert "&lt;b&gt;Trading&lt;/b&gt;" in strings  # text, never markup
