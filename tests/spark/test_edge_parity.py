"""SPEC 11 on hostile input: the data tier's fixture landing (tests/data/conftest.py: a case per
record rule and per bad value, SQL-looking, unicode and 10,000-character ids, BIGINT extremes,
licences and their allocations) closed on DuckDB and on Spark publishes the same files and the
same manifest counts. Spark wraps an overflowing BIGINT and turns a bad cast into NULL where
DuckDB would stop (ANSI mode off), so this is where the engines could part.

The Spark close runs on the tier's one warehouse with a full refresh, after the corrections
story's closes (their folders are read by then)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

from automq_billing.close import CloseOptions, run_close  # noqa: E402
from data.conftest import write_fixture_landing  # noqa: E402
from engine_parity import MANIFEST_FREE, differences  # noqa: E402
from helpers import REPO  # noqa: E402

pytestmark = pytest.mark.spark
OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def closed(spark_closed, spark_warehouse, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("edge_parity")
    landing = root / "landing"
    write_fixture_landing(landing)
    folders = {}
    for engine, warehouse in (
        ("duckdb", root / "duckdb" / "billing.duckdb"),
        ("spark", spark_warehouse),
    ):
        options = CloseOptions(
            OCTOBER,
            landing,
            root / engine / "output",
            warehouse,
            REPO,
            full_refresh=True,
            documents=False,
            engine=engine,
        )
        folders[engine] = run_close(options).folder
    return folders


def test_every_parquet_output_is_the_same_on_hostile_input(closed):
    duck, spark = closed["duckdb"], closed["spark"]
    names = sorted(p.relative_to(duck).as_posix() for p in duck.rglob("*.parquet"))
    assert names == sorted(p.relative_to(spark).as_posix() for p in spark.rglob("*.parquet"))
    problems = {
        name: found
        for name in names
        if (found := differences(pq.read_table(duck / name), pq.read_table(spark / name)))
    }
    assert problems == {}
    quarantine = pq.read_table(duck / "quarantine.parquet")
    assert quarantine.num_rows > 20  # the fixture's bad rows are there to compare


def test_the_manifests_count_the_same_on_hostile_input(closed):
    duck, spark = (
        json.loads((closed[engine] / "manifest.json").read_text("utf-8"))
        for engine in ("duckdb", "spark")
    )
    for key in sorted(set(duck) | set(spark)):
        if key not in MANIFEST_FREE:
            assert duck.get(key) == spark.get(key), key
    # the landed extremes sum past 2^63: exact on both (wide_sum)
    landed = int(duck["usage_events"]["quantity"]["ingress_bytes"]["landed"])
    assert landed > 2**63
