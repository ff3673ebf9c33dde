"""`automq-billing reconcile` (SPEC 9.5) on the demo landing: September is closed and issued, then
AWS's feed keeps arriving; each reconciliation is a new r<N>, and no statement folder changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from automq_billing.demo import generate_landing
from helpers import COMMAND, REPO

pytestmark = pytest.mark.e2e
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMMAND), *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory):
    root = tmp_path_factory.mktemp("reconcile")
    landing = root / "landing"
    paths = [
        "--landing",
        str(landing),
        "--output",
        str(root / "output"),
        "--warehouse",
        str(root / "wh" / "billing.duckdb"),
    ]
    generate_landing(
        landing, MONTHS, orgs=12, seed=42, as_of=dt.date(2026, 10, 6), project_dir=REPO
    )
    closed = run("close", "--month", "2026-09", *paths, "--no-documents", cwd=root)
    assert closed.returncode == 0, closed.stderr
    assert (
        run("finalize", "--month", "2026-09", "--output", str(root / "output"), cwd=root).returncode
        == 0
    )
    month = root / "output" / "2026-09"
    before = {**digests(month / "v1"), "final.json": digests(month)["final.json"]}
    first = run("reconcile", "--month", "2026-09", *paths, cwd=root)
    generate_landing(
        landing, MONTHS, orgs=12, seed=42, as_of=dt.date(2026, 11, 6), project_dir=REPO
    )
    second = run("reconcile", "--month", "2026-09", *paths, cwd=root)
    after = {**digests(month / "v1"), "final.json": digests(month)["final.json"]}
    october = run("close", "--month", "2026-10", *paths, "--no-documents", cwd=root)
    return {
        "root": root,
        "month": month,
        "first": first,
        "second": second,
        "before": before,
        "after": after,
        "closed": closed,
        "october": october,
        "paths": paths,
    }


def test_each_reconciliation_is_a_new_folder(reconciled):
    for result in (reconciled["first"], reconciled["second"]):
        assert result.returncode == 0, result.stderr
    runs = reconciled["month"] / "reconciliation"
    assert sorted(p.name for p in runs.iterdir()) == ["numbering.json", "r1", "r2"]
    assert json.loads((runs / "numbering.json").read_text()) == {"last": 2}
    for name in ("r1", "r2"):
        files = sorted(p.name for p in (runs / name).iterdir())
        assert files == [
            "manifest.json",
            "marketplace_exceptions.csv",
            "marketplace_exceptions.parquet",
            "marketplace_journal.csv",  # SPEC 12.3: listing fees and disbursements
            "marketplace_journal.parquet",
            "marketplace_reconciliation.csv",
            "marketplace_reconciliation.parquet",
            "marketplace_unmatched_billing_events.csv",
            "marketplace_unmatched_billing_events.parquet",
            "validation.json",
        ]
    assert "Reconciled 2026-09 as r2" in reconciled["second"].stdout


def test_an_issued_month_is_reconciled_without_touching_its_statements(reconciled):
    assert reconciled["after"] == reconciled["before"]


def test_the_manifest_lists_inputs_and_counts(reconciled):
    manifest = json.loads(
        (reconciled["month"] / "reconciliation" / "r2" / "manifest.json").read_text()
    )
    datasets = {entry["dataset"] for entry in manifest["inputs"]}
    assert {
        "usage_events",
        "marketplace_customers",
        "marketplace_metering",
        "marketplace_billing_events",
    } <= datasets
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"])
    block = manifest["marketplace"]
    reconciliation = pq.read_table(
        reconciled["month"] / "reconciliation" / "r2" / "marketplace_reconciliation.parquet"
    ).to_pylist()
    assert sum(block["status"].values()) == len(reconciliation)
    assert manifest["validation"]["success"]
    # SPEC 12.3: the Marketplace journal posts the listing fees and disbursements, balanced
    journal = pq.read_table(
        reconciled["month"] / "reconciliation" / "r2" / "marketplace_journal.parquet"
    ).to_pylist()
    assert manifest["journal"]["debit"] == manifest["journal"]["credit"]
    assert manifest["journal"]["lines"] == len(journal)
    fees = sum((row["debit"] for row in journal if row["source"] == "listing_fee"), Decimal(0))
    listing = -sum((Decimal(row["listing_fee_amount"]) for row in reconciliation), Decimal(0))
    assert abs(fees - listing) <= Decimal("0.01") * max(1, len(reconciliation))


def test_the_identity_holds_in_every_row(reconciled):
    rows = pq.read_table(
        reconciled["month"] / "reconciliation" / "r2" / "marketplace_reconciliation.parquet"
    ).to_pylist()
    assert rows
    for row in rows:
        assert row["statement_usage_amount"] == (
            row["invoiced_amount"]
            + row["rating_variance"]
            + row["metering_variance"]
            + row["invoicing_variance"]
        )


def test_a_reconciliation_of_an_issued_month_shows_the_issued_usage(reconciled):
    """SPEC 9.4 (amended): issued_usage_amount is the usage_amount of the final version's
    statement, organization by organization (0 for one without a statement), beside the
    statement_usage_amount of September (inside the window: re-rated, with the feed's late
    usage); the close of September, an open month then, had none."""
    issued = {
        row["organization_id"]: row["usage_amount"]
        for row in pq.read_table(reconciled["month"] / "v1" / "statements.parquet").to_pylist()
    }
    for name in ("r1", "r2"):
        rows = pq.read_table(
            reconciled["month"] / "reconciliation" / name / "marketplace_reconciliation.parquet"
        ).to_pylist()
        assert rows
        for row in rows:
            assert row["issued_usage_amount"] == issued.get(row["organization_id"], 0), row
        manifest = json.loads(
            (reconciled["month"] / "reconciliation" / name / "manifest.json").read_text()
        )
        total = sum((row["issued_usage_amount"] for row in rows), Decimal(0))
        assert manifest["marketplace"]["amounts"]["issued_usage_amount"] == f"{total:.6f}"
    first = pq.read_table(
        reconciled["month"] / "reconciliation" / "r1" / "marketplace_reconciliation.parquet"
    ).to_pylist()
    assert any(row["issued_usage_amount"] == row["statement_usage_amount"] != 0 for row in first)
    closed = pq.read_table(
        reconciled["month"] / "v1" / "marketplace_reconciliation.parquet"
    ).to_pylist()
    assert closed and all(row["issued_usage_amount"] is None for row in closed)


def test_unmatched_billing_events_are_listed_and_counted(reconciled):
    """SPEC 9.3 (amended): the demo's staging account is in no marketplace_customers row; its
    invoiced 2.40 USD is listed (close and reconciliation) and counted in the manifest."""
    for folder in (reconciled["month"] / "v1", reconciled["month"] / "reconciliation" / "r2"):
        rows = pq.read_table(folder / "marketplace_unmatched_billing_events.parquet").to_pylist()
        staging = [
            row
            for row in rows
            if row["cause"] == "unknown_customer" and row["transaction_type"] == "SELLER_REV_SHARE"
        ]
        assert [row["amount"] for row in staging] == [Decimal("2.400000")], rows
        assert (folder / "marketplace_unmatched_billing_events.csv").is_file()
        manifest = json.loads((folder / "manifest.json").read_text())
        counted = manifest["marketplace"]["unmatched_billing_events"]["unknown_customer"]
        listed = [row for row in rows if row["cause"] == "unknown_customer"]
        assert counted == {
            "events": len(listed),
            "amount": f"{sum((row['amount'] for row in listed), Decimal(0)):.6f}",
        }
    assert "billing event(s) unknown_customer" in reconciled["second"].stdout


def test_the_close_wrote_the_marketplace_files_and_block(reconciled):
    folder = reconciled["month"] / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["marketplace"]) >= {"status", "cause", "amounts"}
    assert "Marketplace: " in reconciled["closed"].stdout
    for name in ("marketplace_reconciliation", "marketplace_exceptions"):
        assert (folder / f"{name}.parquet").is_file() and (folder / f"{name}.csv").is_file()


def test_the_files_a_reconciliation_loaded_still_reach_the_next_close(reconciled):
    """The reconciliation builds only what the Marketplace reports need, so the files it loaded
    stay pending for the close: October's close counts every row of the late files (in its
    quarantine and conservation) exactly as a full rebuild of the same landing does."""
    october = reconciled["october"]
    assert october.returncode == 0, october.stderr
    root = reconciled["root"]
    full = run(
        "close",
        "--month",
        "2026-10",
        *reconciled["paths"],
        "--no-documents",
        "--full-refresh",
        cwd=root,
    )
    assert full.returncode == 0, full.stderr
    folder = root / "output" / "2026-10"
    for name in ("quarantine.parquet", "usage_daily.parquet", "statements.parquet"):
        assert (folder / "v1" / name).read_bytes() == (folder / "v2" / name).read_bytes(), name
    incremental, rebuilt = (
        json.loads((folder / v / "manifest.json").read_text()) for v in ("v1", "v2")
    )
    for block in ("usage_events", "quarantine"):
        assert incremental[block] == rebuilt[block], block


def _what_analyses_read(warehouse: Path) -> dict[str, list]:
    """The close's run context and ledger, and the issued positions the analyses compare with."""
    import duckdb

    tables = (
        "control.run_context",
        "ledger.final_months",
        "ledger.issued_statement_lines",
        "intermediate.int_issued_positions",
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}  # noqa: S608


def test_a_reconcile_changes_nothing_the_analyses_read(reconciled):
    """After October's close (September final), a reconciliation of September with nothing new
    leaves the run context, the ledger and September's issued position as the close wrote them:
    issued_vs_rerated gives the same answer (it used to list the corrections October booked)."""
    warehouse = reconciled["root"] / "wh" / "billing.duckdb"
    before = _what_analyses_read(warehouse)
    assert before["ledger.final_months"] and before["intermediate.int_issued_positions"]
    again = run("reconcile", "--month", "2026-09", *reconciled["paths"], cwd=reconciled["root"])
    assert again.returncode == 0, again.stderr
    assert _what_analyses_read(warehouse) == before


def test_the_october_close_writes_a_focus_dataset_that_agrees_with_the_statements(reconciled):
    """SPEC 10: October (Marketplace customers, licences of every channel, September's
    corrections) as a FOCUS 1.2 dataset: the manifest block, the identities of 10.3, the invoicing
    party of every statement line and of the reconciliation, the CSV twin, the FinOps
    Foundation's validator."""
    from focus_validation import focus_validator_failures

    assert reconciled["october"].returncode == 0, reconciled["october"].stderr
    assert "FOCUS 1.2: " in reconciled["october"].stdout
    folder = reconciled["root"] / "output" / "2026-10" / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    focus = pq.read_table(folder / "focus.parquet").to_pylist()
    lines = pq.read_table(folder / "statement_lines.parquet").to_pylist()
    statements = pq.read_table(folder / "statements.parquet").to_pylist()
    revenue = pq.read_table(folder / "revenue_schedule.parquet").to_pylist()
    reconciliation = pq.read_table(folder / "marketplace_reconciliation.parquet").to_pylist()
    assert manifest["focus"] == {
        "version": "1.2",
        "rows": len(focus),
        "billed_cost": f"{sum(r['BilledCost'] for r in focus):.2f}",
        "effective_cost": f"{sum(r['EffectiveCost'] for r in focus):.2f}",
    }
    for name in ("focus.parquet", "focus.csv"):
        assert (
            manifest["outputs"][name]["sha256"]
            == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        )
    kinds = {r["x_LineType"] for r in focus}
    assert kinds == {"usage", "subscription", "amortization", "adjustment"}
    # per organization: EffectiveCost = usage and usage corrections + recognised licence amounts;
    # BilledCost on its statement number = its total minus what marketplaces invoice
    for statement in statements:
        org = statement["organization_id"]
        own = [line for line in lines if line["organization_id"] == org]
        expected = sum(
            (line["amount"] for line in own if line["billing_item"] != "aku_subscription"),
            Decimal(0),
        ) + sum(
            (r["recognized_amount"] for r in revenue if r["organization_id"] == org), Decimal(0)
        )
        assert sum(r["EffectiveCost"] for r in focus if r["BillingAccountId"] == org) == expected
        marketplace = sum(
            (line["amount"] for line in own if line["invoiced_by"] != "automq"), Decimal(0)
        )
        billed = [r for r in focus if r["BillingAccountId"] == org and r["InvoiceId"]]
        assert sum((r["BilledCost"] for r in billed), Decimal(0)) == (
            statement["total_amount"] - marketplace
        )
        assert len({r["InvoiceId"] for r in billed}) <= 1
        assert all(re.fullmatch(r"AMQ-2026-10-[0-9a-f]{8}-v1", r["InvoiceId"]) for r in billed)
    # per usage line: its rows sum to its quantity and amount; every line's party is the rows'
    issuers = {
        "automq": "AutoMQ",
        "aws_marketplace": "Amazon Web Services",
        "azure_marketplace": "Microsoft",
        "gcp_marketplace": "Google",
        "alibaba_marketplace": "Alibaba Cloud",
    }
    for line in lines:
        rows = [
            r
            for r in focus
            if r["BillingAccountId"] == line["organization_id"]
            and r["x_LineType"] == line["line_type"]
            and r["x_BillingItem"] == line["billing_item"]
            and r["x_Tier"] == line["tier"]
            and r["x_ClusterTier"] == line["cluster_tier"]
            and r["x_LicenseId"] == line["license_id"]
            and r["x_AdjustedMonth"] == line["adjusted_month"]
        ]
        assert rows, line
        assert {r["InvoiceIssuerName"] for r in rows} == {issuers[line["invoiced_by"]]}
        assert sum(r["PricingQuantity"] for r in rows) == line["quantity"]
        if line["line_type"] == "usage":
            assert sum(r["EffectiveCost"] for r in rows) == line["amount"]
    # the reconciliation's Marketplace customers are the organizations AWS invoices usage for
    on_marketplace = {
        r["organization_id"] for r in reconciliation if r["status"] != "off_marketplace"
    }
    aws_usage = {
        r["BillingAccountId"]
        for r in focus
        if r["x_LineType"] == "usage" and r["InvoiceIssuerName"] == "Amazon Web Services"
    }
    assert (
        aws_usage
        == {r["BillingAccountId"] for r in focus if r["x_LineType"] == "usage"} & on_marketplace
    )
    header = (folder / "focus.csv").read_text().splitlines()[:2]
    assert header[0].startswith('"BilledCost","BillingAccountId"')
    assert '"2026-10-01T00:00:00Z"' in header[1] or ",2026-10-01T00:00:00Z," in header[1]
    assert focus_validator_failures(folder / "focus.parquet") == []
