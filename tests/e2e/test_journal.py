"""Invoices and the journal over three issued months (SPEC 12), with the installed command.

September: two organizations AutoMQ invoices (one with a yearly offline licence) and one whose
only charge is an Azure Marketplace licence; closed and finalized. A licence that started on
20 September lands late: October's close books it as an adjustment of September, and its journal
recognises the licence's whole term at once. November restates September's usage of one
organization downwards: its only line is a negative adjustment, a credit note. Each month is
closed and finalized in turn; the invoice numbers run 1..5 without a gap across the months, and
each licence's deferred revenue opens at the closing balance of the month before.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_support import environment, run

from automq_billing.demo.licences import LICENSE_SCHEMA
from helpers import COMMAND, GIB, hour, licence_row, usage_row, write_rows

pytestmark = pytest.mark.e2e


def _usage(event: str, org: str, month: int, gib: int, emitted: dt.datetime | None = None):
    return usage_row(
        event_id=event,
        organization_id=org,
        environment_id=f"env-{org}",
        instance_id=f"inst-{org}",
        quantity=gib * GIB,
        hour_start=hour(2, month=month),
        emitted_at=emitted or hour(2, 1, month=month),
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("journal")
    landing, output = root / "landing", root / "output"
    env = environment(root / "tmp", HOME=str(root))

    def command(*args) -> str:
        result = run([str(COMMAND), *map(str, args)], root / "cwd", env, timeout=400)
        assert result.returncode == 0, result.text
        return result.stdout

    def close_and_finalize(month: str) -> str:
        command("close", "--month", month, "--landing", landing, "--output", output,
                "--warehouse", root / "wh.duckdb", "--no-documents", "--quiet")  # fmt: skip
        return command("finalize", "--month", month, "--output", output, "--approved-by", "QA")

    write_rows(
        landing / "usage_events" / "2026-09.parquet",
        [_usage("s-direct", "org-direct", 9, 100), _usage("s-b", "org-b", 9, 50)],
    )
    licences = [
        licence_row(license_id="lic-year", organization_id="org-direct", term="yearly",
                    aku_quota=20, start_date=dt.date(2026, 9, 15), end_date=dt.date(2027, 9, 15)),
        licence_row(license_id="lic-azure", organization_id="org-az", channel="azure_marketplace",
                    aku_quota=3, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 1)),
    ]  # fmt: skip
    write_rows(landing / "licenses" / "2026-09.parquet", licences, LICENSE_SCHEMA)
    said = {"2026-09": close_and_finalize("2026-09")}

    late = licence_row(license_id="lic-late", organization_id="org-direct",
                       start_date=dt.date(2026, 9, 20), end_date=dt.date(2026, 10, 20))  # fmt: skip
    write_rows(landing / "licenses" / "late.parquet", [late], LICENSE_SCHEMA)
    write_rows(landing / "usage_events" / "2026-10.parquet", [_usage("o", "org-direct", 10, 10)])
    said["2026-10"] = close_and_finalize("2026-10")

    restated = _usage("s-b-restated", "org-b", 9, 10, hour(20, month=10))  # 50 -> 10 GiB
    write_rows(landing / "usage_events" / "restated.parquet", [restated])
    write_rows(landing / "usage_events" / "2026-11.parquet", [_usage("n", "org-direct", 11, 10)])
    said["2026-11"] = close_and_finalize("2026-11")
    said["status"] = command("status", "--output", output)
    return {"output": output, "said": said}


def _final(output: Path, month: str) -> dict:
    return json.loads((output / month / "final.json").read_text())


def _rows(output: Path, month: str, name: str) -> list[dict]:
    return pq.read_table(output / month / "v1" / f"{name}.parquet").to_pylist()


def test_invoice_numbers_run_without_a_gap_across_months_with_a_credit_note(book):
    output = book["output"]
    invoices = [
        (month, i["organization_id"], i["invoice_number"], i["kind"], i["amount"])
        for month in ("2026-09", "2026-10", "2026-11")
        for i in _final(output, month)["invoices"]
    ]
    assert [number for _, _, number, _, _ in invoices] == [
        f"AMQ-INV-{n:06d}" for n in range(1, 6)
    ], invoices
    assert [(m, org, kind) for m, org, _, kind, _ in invoices] == [
        ("2026-09", "org-b", "invoice"),
        ("2026-09", "org-direct", "invoice"),  # org-az: invoiced by Azure Marketplace only
        ("2026-10", "org-direct", "invoice"),
        ("2026-11", "org-b", "credit_note"),
        ("2026-11", "org-direct", "invoice"),
    ]
    assert invoices[3][4] == "-2.00"  # 40 GiB less at 0.05
    for month, _, number, _, _ in invoices:
        assert (output / month / "invoices" / f"{number}.pdf").read_bytes().startswith(b"%PDF")
    assert "Invoices AMQ-INV-000004 to AMQ-INV-000005" in book["said"]["2026-11"]
    assert "invoices AMQ-INV-000001 to AMQ-INV-000002" in book["said"]["status"]
    # the version folders hold no invoice: finalize wrote beside them
    assert not list(output.glob("*/v*/AMQ-INV-*"))


def test_deferred_revenue_rolls_forward_and_the_late_licence_catches_up(book):
    output = book["output"]
    by_month = {
        month: {row["license_id"]: row for row in _rows(output, month, "deferred_revenue")}
        for month in ("2026-09", "2026-10", "2026-11")
    }
    assert by_month["2026-09"]["lic-year"]["recognised_amount"] == Decimal("1052.05")  # 16/365
    assert by_month["2026-09"]["lic-azure"]["closing_balance"] == Decimal("0.00")
    late = by_month["2026-10"]["lic-late"]
    assert (late["invoiced_amount"], late["recognised_amount"], late["closing_balance"]) == (
        Decimal("240.00"),
        Decimal("240.00"),  # September's and October's days at once
        Decimal("0.00"),
    )
    for before, month in (("2026-09", "2026-10"), ("2026-10", "2026-11")):
        for licence, row in by_month[month].items():
            opening = by_month[before].get(licence, {}).get("closing_balance", Decimal(0))
            assert row["opening_balance"] == opening, (month, licence)
            assert row["closing_balance"] == (
                row["opening_balance"] + row["invoiced_amount"] - row["recognised_amount"]
            )
    year = [by_month[m]["lic-year"]["recognised_amount"] for m in ("2026-09", "2026-10", "2026-11")]
    assert year == [Decimal("1052.05"), Decimal("2038.36"), Decimal("1972.60")]


def test_each_journal_balances_and_proves_the_statement_totals(book):
    output = book["output"]
    for month in ("2026-09", "2026-10", "2026-11"):
        manifest = json.loads((output / month / "v1" / "manifest.json").read_text())
        journal = manifest["journal"]
        assert journal["debit"] == journal["credit"], month
        lines = _rows(output, month, "journal")
        receivable = sum(
            (r["debit"] - r["credit"] for r in lines if r["account_code"].startswith("11")),
            Decimal(0),
        )
        assert receivable == Decimal(manifest["totals"]["total_amount"]), month
        with (output / month / "v1" / "journal.csv").open() as handle:
            header = next(csv.reader(handle))
        assert header == [
            "entry_id", "entry_date", "account_code", "account_name", "debit", "credit",
            "organization_id", "source", "reference", "memo", "currency",
        ]  # fmt: skip
    october = _rows(output, "2026-10", "journal")
    assert {r["source"] for r in october} == {"usage", "licence_recognised", "correction"}
    november = _rows(output, "2026-11", "journal")
    credit = [
        r for r in november if r["source"] == "correction" and r["organization_id"] == "org-b"
    ]
    assert [(r["account_code"], r["debit"], r["credit"]) for r in credit] == [
        ("4000", Decimal("2.00"), Decimal("0.00")),
        ("1100", Decimal("0.00"), Decimal("2.00")),
    ]
