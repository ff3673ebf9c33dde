"""Prepaid licences through a whole close: subscription lines, revenue, capacity, and the
product secret that must never leave staging."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from automq_billing.close import CloseOptions, run_close
from automq_billing.demo import generate_landing
from conftest import REPO, assert_secrets_nowhere

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepaid")
    landing = root / "landing"
    summary = generate_landing(landing, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)], orgs=5, seed=7)
    options = CloseOptions(
        month=dt.date(2026, 10, 1),
        landing=landing,
        output=root / "output",
        warehouse=root / "warehouse" / "billing.duckdb",
        project_dir=REPO,
    )
    result = run_close(options)
    return {"root": root, "options": options, "result": result, "notes": summary.notes}


def test_subscription_lines_are_on_the_statement_of_the_start_month(closed):
    folder = closed["result"].folder
    lines = pq.read_table(folder / "statement_lines.parquet").to_pylist()
    subscriptions = [line for line in lines if line["line_type"] == "subscription"]
    assert subscriptions, "the demo has licences starting in October"
    con = duckdb.connect(str(closed["options"].warehouse), read_only=True)
    starting = dict(
        con.execute(
            "select license_id, amount from marts.dim_licenses "
            "where invoice_month = date '2026-10-01'"
        ).fetchall()
    )
    assert {line["license_id"]: line["amount"] for line in subscriptions} == starting
    for line in subscriptions:
        assert line["billing_item"] == "aku_subscription" and line["unit"] == "AKU"
        assert line["amount"] == (line["quantity"] * line["unit_price"]).quantize(Decimal("0.01"))
    trial = closed["notes"]["trial_license"]
    negotiated = closed["notes"]["negotiated_license"]
    by_id = {line["license_id"]: line for line in subscriptions}
    if trial in by_id:
        assert by_id[trial]["amount"] == 0
    if negotiated in by_id:
        assert by_id[negotiated]["rate_card_version"] == "contract"
    statements = pq.read_table(folder / "statements.parquet").to_pylist()
    assert sum(s["subscription_amount"] for s in statements) == sum(
        line["amount"] for line in subscriptions
    )


def test_the_invalid_licence_is_quarantined_and_counted(closed):
    manifest = closed["result"].manifest
    assert manifest["licenses"]["quarantined"] == {"invalid_term": 1}
    quarantine = pq.read_table(closed["result"].folder / "license_quarantine.parquet")
    assert quarantine.column("license_id").to_pylist() == [closed["notes"]["invalid_license"]]
    assert "product_secret" not in quarantine.schema.names


def test_over_capacity_environment_is_reported(closed):
    manifest = closed["result"].manifest
    over = {env["environment_id"] for env in manifest["prepaid"]["environments_over_capacity"]}
    assert closed["notes"]["over_capacity_environment"] in over
    utilization = pq.read_table(closed["result"].folder / "aku_utilization.parquet").to_pylist()
    for row in utilization:
        if row["environment_id"] in closed["notes"]["within_capacity_environments"]:
            assert row["hours_over_capacity"] == 0


def test_revenue_recognised_in_the_month_matches_the_schedule(closed):
    revenue = pq.read_table(closed["result"].folder / "revenue_schedule.parquet")
    total = sum(revenue.column("recognized_amount").to_pylist(), Decimal(0))
    assert closed["result"].manifest["prepaid"]["recognized_revenue"] == f"{total:.2f}"


def test_the_breach_licence_is_in_the_compliance_report(closed):
    con = duckdb.connect(str(closed["options"].warehouse), read_only=True)
    breached = {
        row[0]
        for row in con.execute("select license_id from marts.rpt_license_compliance").fetchall()
    }
    assert closed["notes"]["breach_license"] in breached


def test_the_product_secret_is_nowhere(closed):
    secrets = closed["notes"]["secrets"]
    assert secrets and all(len(secret) > 16 for secret in secrets)
    # every table and view, and every file the close and dbt wrote: outputs, logs, compiled SQL,
    # the database file itself
    assert_secrets_nowhere(
        closed["options"].warehouse,
        [closed["options"].output, closed["options"].warehouse.parent],
        secrets,
    )
    manifest = json.loads((closed["result"].folder / "manifest.json").read_text())
    assert not any(secret in json.dumps(manifest) for secret in secrets)


def test_secret_hash_is_kept_for_matching(closed):
    con = duckdb.connect(str(closed["options"].warehouse), read_only=True)
    hashes = {
        row[0]
        for row in con.execute(
            "select product_secret_sha256 from marts.dim_licenses "
            "where product_secret_sha256 is not null"
        ).fetchall()
    }
    expected = {hashlib.sha256(s.encode()).hexdigest() for s in closed["notes"]["secrets"]}
    assert hashes <= expected and hashes
