"""The close end to end, as a user runs it: the installed command, called by its full path from
another folder, on generated demo data."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from automq_billing.demo import generate_landing
from automq_billing.landing import sha256_file
from conftest import REPO, USAGE_SCHEMA, usage_row, write_usage

pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).parent / "automq-billing"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMQ_BILLING_")}
    env["PATH"] = "/usr/bin:/bin"  # no virtual environment on the PATH
    return subprocess.run(
        [str(COMMAND), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def run_close_cli(
    month: str, landing: Path, root: Path, *extra: str
) -> subprocess.CompletedProcess:
    """`automq-billing close` with output and warehouse under `root`, run from `root`."""
    return run_cli(
        "close",
        "--month",
        month,
        "--landing",
        str(landing),
        "--output",
        str(root / "output"),
        "--warehouse",
        str(root / "wh" / "billing.duckdb"),
        *extra,
        cwd=root,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("close")
    landing = root / "landing"
    summary = generate_landing(landing, [dt.date(2026, 10, 1)], orgs=4, seed=7)
    paths = {
        "root": root,
        "landing": landing,
        "output": root / "output",
        "warehouse": root / "warehouse" / "billing.duckdb",
        "summary": summary,
    }
    elsewhere = root / "somewhere-else"
    elsewhere.mkdir()
    args = [
        "close",
        "--month",
        "2026-10",
        "--landing",
        str(landing),
        "--output",
        str(paths["output"]),
        "--warehouse",
        str(paths["warehouse"]),
    ]
    paths["first"] = run_cli(*args, cwd=elsewhere)
    paths["second"] = run_cli(*args, cwd=elsewhere)
    return paths


def test_close_succeeds_from_any_folder_and_prints_a_summary(demo):
    first = demo["first"]
    assert first.returncode == 0, first.stderr
    assert "Closed 2026-10 as v1" in first.stdout
    assert "organization(s)" in first.stdout and "quarantined" in first.stdout
    assert "fct_statements" in first.stderr  # progress while dbt runs


def test_close_writes_every_output(demo):
    folder = demo["output"] / "2026-10" / "v1"
    assert sorted(p.name for p in folder.iterdir()) == [
        "aku_utilization.parquet",
        "license_quarantine.parquet",
        "manifest.json",
        "quarantine.parquet",
        "revenue_schedule.parquet",
        "statement_lines.csv",
        "statement_lines.parquet",
        "statements.csv",
        "statements.parquet",
        "validation",
    ]
    lines = pq.read_table(folder / "statement_lines.parquet")
    assert lines.schema.names == [
        "statement_month",
        "organization_id",
        "line_type",
        "billing_item",
        "tier",
        "cluster_tier",
        "license_id",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "currency",
        "rate_card_version",
    ]
    assert str(lines.schema.field("amount").type) == "decimal128(38, 2)"
    assert str(lines.schema.field("quantity").type) == "decimal128(38, 6)"
    statements = pq.read_table(folder / "statements.parquet").to_pylist()
    assert len(statements) == 4
    for statement in statements:
        own = [
            line
            for line in lines.to_pylist()
            if line["organization_id"] == statement["organization_id"]
        ]
        assert statement["total_amount"] == sum(line["amount"] for line in own)
        assert statement["line_count"] == len(own)
    csv = pacsv.read_csv(folder / "statements.csv").to_pylist()
    assert [Decimal(str(row["total_amount"])) for row in csv] == [
        s["total_amount"] for s in statements
    ]


def test_manifest_records_inputs_counts_and_totals(demo):
    folder = demo["output"] / "2026-10" / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["month"] == "2026-10" and manifest["version"] == 1
    assert {"dbt-core", "duckdb", "dbt-duckdb"} <= set(manifest["tools"])
    assert manifest["project"]["version"]
    for entry in manifest["inputs"]:
        assert entry["sha256"] == sha256_file(demo["landing"] / entry["path"])
    counts = manifest["usage_events"]
    rows = counts["rows"]
    assert rows["landed"] == (
        rows["rated"] + rows["duplicate"] + rows["superseded"] + sum(rows["quarantined"].values())
    )
    for meter, quantity in counts["quantity"].items():
        assert isinstance(quantity["landed"], int), meter
        assert quantity["landed"] == (
            quantity["rated"]
            + quantity["duplicate"]
            + quantity["superseded"]
            + sum(quantity["quarantined"].values())
        )
    expected = demo["summary"].to_dict()["expected"]
    month_rows = expected["2026-10"]["rows"]
    no_month = expected.get("no_month", {}).get("rows", {"landed": 0})
    assert rows["landed"] == month_rows["landed"] + no_month["landed"]
    assert rows["rated"] == month_rows["rated"]
    statements = pq.read_table(folder / "statements.parquet")
    total = sum(statements.column("total_amount").to_pylist())
    assert manifest["totals"]["total_amount"] == f"{total:.2f}"
    quarantine = pq.read_table(folder / "quarantine.parquet")
    assert manifest["quarantine"]["rows"] == quarantine.num_rows
    assert sum(rows["quarantined"].values()) == quarantine.num_rows
    assert {"reason", "source_file", "event_id", "hour_start"} <= set(quarantine.schema.names)


def test_a_second_close_writes_v2_with_identical_statement_data(demo):
    assert demo["second"].returncode == 0, demo["second"].stderr
    first = demo["output"] / "2026-10" / "v1"
    second = demo["output"] / "2026-10" / "v2"
    for name in ("statement_lines", "statements", "quarantine"):
        assert pq.read_table(first / f"{name}.parquet").equals(
            pq.read_table(second / f"{name}.parquet")
        ), name
        if name != "quarantine":
            assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes()
    assert not [p for p in (demo["output"]).rglob("*tmp*")]


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO / name, destination / name)
    for folder in ("models", "seeds", "macros", "tests/dbt", "analysis"):
        shutil.copytree(REPO / folder, destination / folder)
    return destination


def test_a_failing_test_writes_nothing(tmp_path, demo):
    project = copy_project(tmp_path / "project")
    tiers = project / "seeds" / "rate_card_tiers.csv"
    tiers.write_text(tiers.read_text().replace("0.035000", "0.055000"))  # price rises
    output = tmp_path / "output"
    result = run_close_cli("2026-10", demo["landing"], tmp_path, "--project-dir", str(project))
    assert result.returncode == 2
    assert "int_rate_card_problems" in result.stderr
    assert "nothing was written" in result.stderr
    assert not output.exists()


def test_an_unreadable_file_stops_the_close_before_dbt(tmp_path):
    landing = tmp_path / "landing"
    write_usage(landing / "usage_events" / "good.parquet", [usage_row()])
    (landing / "usage_events" / "broken.parquet").write_bytes(b"this is not parquet")
    write_usage(
        landing / "usage_events" / "short.parquet",
        [{k: v for k, v in usage_row().items() if k != "quantity"}],
        schema=USAGE_SCHEMA.remove(10),
    )
    output = tmp_path / "output"
    result = run_close_cli("2026-10", landing, tmp_path)
    assert result.returncode == 2
    assert "broken.parquet: not a readable Parquet file" in result.stderr
    assert "short.parquet: required column 'quantity' is missing" in result.stderr
    assert not output.exists() and not (tmp_path / "wh").exists()


def test_a_month_without_usage_is_refused(tmp_path, demo):
    output = tmp_path / "output"
    result = run_close_cli("2026-03", demo["landing"], tmp_path)
    assert result.returncode == 2
    assert "No usage rows were landed for 2026-03" in result.stderr
    assert not output.exists()


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-10", "2026/10", "", "2026-10-01"])
def test_month_is_validated_strictly(tmp_path, month):
    result = run_cli("close", "--month", month, cwd=tmp_path)
    assert result.returncode == 2
    assert "--month must be a month written YYYY-MM" in result.stderr
    assert "What to do" in result.stderr


def test_missing_landing_folder_says_what_to_do(tmp_path):
    result = run_cli(
        "close", "--month", "2026-10", "--landing", str(tmp_path / "nope"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "make demo" in result.stderr


def test_the_close_publishes_its_validation_results_and_data_docs(demo):
    folder = demo["output"] / "2026-10" / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    validation = manifest["validation"]
    assert validation["success"] is True and validation["blocking_failures"] == []
    assert validation["expectations"] >= 40
    assert (folder / validation["data_docs"]).is_file()
    results = json.loads((folder / validation["results"]).read_text())
    suites = {result["suite_name"] for result in results["results"]}
    assert {
        "landing_files",
        "usage_events_files",
        "usage_events_sample",
        "statements",
        "statement_lines",
        "usage_conservation",
        "statement_coverage",
        "revenue_schedule",
        "aku_utilization",
        "environment_capacity",
    } <= suites
    html = (folder / validation["data_docs"]).read_text()
    assert "statement_lines" in html


def test_a_failing_blocking_expectation_refuses_to_publish(tmp_path, demo, monkeypatch):
    import pandas as pd

    from automq_billing import close as close_module
    from automq_billing.errors import BillingError
    from automq_billing.validation import Suite, expect

    real = close_module.mart_suites

    def with_a_bad_statement(con, month):
        bad = pd.DataFrame({"organization_id": ["org-x", "org-y"], "usage_cents": [100, -250]})
        rule = expect("ExpectColumnValuesToBeBetween", column="usage_cents", min_value=0)
        return [*real(con, month), Suite("injected_statements", bad, [rule], "organization_id")]

    monkeypatch.setattr(close_module, "mart_suites", with_a_bad_statement)
    options = close_module.CloseOptions(
        month=dt.date(2026, 10, 1),
        landing=demo["landing"],
        output=tmp_path / "output",
        warehouse=tmp_path / "wh" / "billing.duckdb",
        project_dir=REPO,
    )
    with pytest.raises(BillingError) as refused:
        close_module.run_close(options)
    message = str(refused.value)
    assert "Validation refused to publish 2026-10" in message
    assert "expect_column_values_to_be_between(usage_cents)" in message
    assert "org-y: -250" in message
    assert not (tmp_path / "output").exists()
    diagnosis = tmp_path / "wh" / ".validation" / "2026-10-refused"
    assert (diagnosis / "data_docs" / "index.html").is_file()
    assert json.loads((diagnosis / "results.json").read_text())["summary"]["success"] is False


def test_validate_checks_the_landing_alone(tmp_path, demo):
    good = run_cli(
        "validate", "--landing", str(demo["landing"]), "--docs", str(tmp_path / "v"), cwd=tmp_path
    )
    assert good.returncode == 0, good.stderr
    assert "ready for a close" in good.stdout
    assert (tmp_path / "v" / "landing" / "data_docs" / "index.html").is_file()
    landing = tmp_path / "bad-landing"
    write_usage(landing / "usage_events" / "good.parquet", [usage_row()])
    (landing / "usage_events" / "notes.parquet").write_text("not parquet at all")
    bad = run_cli(
        "validate", "--landing", str(landing), "--docs", str(tmp_path / "v2"), cwd=tmp_path
    )
    assert bad.returncode == 2
    assert "notes.parquet: not a readable Parquet file" in bad.stderr
