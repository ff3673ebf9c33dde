"""SPEC 11: the same landing closed on DuckDB and on Spark publishes the same statement data.

The demo's corrections story on a small landing (two organizations, with AWS Marketplace
customers, metering and billing events): September is closed and issued as the landing stood on
6 October, then the later files land and October is closed with September's corrections. Both
engines close both months in this process (one Spark session for the whole test session, as a
command has); every Parquet file of each version folder must hold the same columns, types, rows
and values (decimals exact, scale included), and the manifests the same counts and totals. Only
engine names, versions, timings and paths may differ.

`make test-spark` (marker `spark`); skipped where pyspark is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

from engine_parity import MANIFEST_FREE, differences  # noqa: E402

pytestmark = pytest.mark.spark

ENGINES = ("duckdb", "spark")


@pytest.fixture(scope="module")
def closed(duck_closed, spark_closed) -> dict[str, dict[str, Path]]:
    """{engine: {"2026-09": v1 folder, "2026-10": v1 folder}}: the corrections story closed on
    both engines, September issued before October is closed (tests/spark/conftest.py)."""
    months = ("2026-09", "2026-10")
    return {
        "duckdb": {month: duck_closed[month] for month in months},
        "spark": {month: spark_closed[month] for month in months},
    }


@pytest.mark.parametrize("month", ["2026-09", "2026-10"])
def test_every_parquet_output_holds_the_same_rows_and_values(closed, month):
    duck, spark = closed["duckdb"][month], closed["spark"][month]
    names = sorted(p.relative_to(duck).as_posix() for p in duck.rglob("*.parquet"))
    assert names == sorted(p.relative_to(spark).as_posix() for p in spark.rglob("*.parquet"))
    assert "statement_lines.parquet" in names and "marketplace_reconciliation.parquet" in names
    problems = {
        name: found
        for name in names
        if (found := differences(pq.read_table(duck / name), pq.read_table(spark / name)))
    }
    assert problems == {}


@pytest.mark.parametrize("month", ["2026-09", "2026-10"])
def test_the_manifests_counts_and_totals_are_the_same(closed, month):
    duck, spark = (
        json.loads((closed[engine][month] / "manifest.json").read_text("utf-8"))
        for engine in ENGINES
    )
    assert duck["tools"]["engine"] == "duckdb" and spark["tools"]["engine"] == "spark"
    for key in sorted(set(duck) | set(spark)):
        if key not in MANIFEST_FREE:
            assert duck.get(key) == spark.get(key), key
    rows = {name: entry.get("rows") for name, entry in duck["outputs"].items()}
    assert rows == {name: entry.get("rows") for name, entry in spark["outputs"].items()}


def test_october_corrects_the_issued_september_and_reconciles_marketplace(closed):
    """The corrections month and the Marketplace month are not empty cases on either engine."""
    for engine in ENGINES:
        manifest = json.loads((closed[engine]["2026-10"] / "manifest.json").read_text("utf-8"))
        assert manifest["corrections"]["issued_basis"], engine
        assert manifest["corrections"]["by_month"], engine
        assert manifest["marketplace"], engine
        lines = pq.read_table(closed[engine]["2026-10"] / "statement_lines.parquet")
        assert "adjustment" in lines.column("line_type").to_pylist(), engine
