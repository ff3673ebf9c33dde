"""The dbt project on Apache Spark (SPEC 11: the same models, target `spark` of profiles.yml, a
local session): one `dbt build` per test session on an empty Spark warehouse builds every seed
and model, passes every data test (on empty inputs) and every dbt unit test of the models.
Each test names what failed. Marker `spark`: needs pyspark and dbt-spark[session] and Java
17 (`make test` leaves it out; run `pytest -m spark tests/spark`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.spark

_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"


def _spark_available() -> str | None:
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        return f"dbt-spark[session] and pyspark are not installed ({error})"
    return None


def _dbt(root: Path, warehouse: Path, *arguments: str) -> list[dict]:
    """One dbt command on the Spark target (one Spark session): its run_results."""
    target = root / "target"
    env = {
        **os.environ,
        "AUTOMQ_BILLING_TARGET": "spark",
        "AUTOMQ_BILLING_SPARK_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    results_path = target / "run_results.json"
    results_path.unlink(missing_ok=True)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _DBT_MAIN,
            *arguments,
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(REPO),
            "--target-path",
            str(target),
            "--log-path",
            str(root / "logs"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if not results_path.exists():
        pytest.fail(f"dbt {arguments[0]} on Spark did not run:\n{completed.stdout[-4000:]}")
    return json.loads(results_path.read_text(encoding="utf-8"))["results"]


@pytest.fixture(scope="session")
def spark_build(tmp_path_factory) -> dict:
    """`dbt build` of the whole project on an empty Spark warehouse (the loaded tables are
    created empty by the on-run-start hook create_loaded_tables), then an incremental run of
    the incremental models on it (their is_incremental() SQL, the partition overwrite and its
    pre-hook): the two runs' results."""
    missing = _spark_available()
    if missing:
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("spark_dbt")
    warehouse = root / "warehouse"
    results = _dbt(root, warehouse, "build")
    incremental = _dbt(root, warehouse, "run", "--select", "config.materialized:incremental")
    return {"results": results, "incremental": incremental, "warehouse": warehouse}


def _failures(spark_build: dict, prefix: str) -> list[str]:
    return [
        f"{result['unique_id']}: {result['status']}: {(result.get('message') or '')[:300]}"
        for result in spark_build["results"]
        if result["unique_id"].startswith(prefix) and result["status"] not in {"success", "pass"}
    ]


def _count(spark_build: dict, prefix: str) -> int:
    return sum(1 for result in spark_build["results"] if result["unique_id"].startswith(prefix))


def test_every_seed_and_model_builds_on_spark(spark_build):
    assert _count(spark_build, "seed.") >= 5
    assert _count(spark_build, "model.") >= 70
    failed = _failures(spark_build, "seed.") + _failures(spark_build, "model.")
    assert not failed, "seeds or models that did not build on Spark:\n" + "\n".join(failed)


def test_incremental_models_build_incrementally_on_spark(spark_build):
    incremental = spark_build["incremental"]
    assert len(incremental) >= 10
    failed = [
        f"{result['unique_id']}: {result['status']}: {(result.get('message') or '')[:300]}"
        for result in incremental
        if result["status"] != "success"
    ]
    assert not failed, "incremental builds failing on Spark:\n" + "\n".join(failed)


def test_every_dbt_unit_test_passes_on_spark(spark_build):
    assert _count(spark_build, "unit_test.") >= 30
    failed = _failures(spark_build, "unit_test.")
    assert not failed, "dbt unit tests failing on Spark:\n" + "\n".join(failed)


def test_every_data_test_passes_on_an_empty_spark_warehouse(spark_build):
    assert _count(spark_build, "test.") >= 50
    failed = _failures(spark_build, "test.")
    assert not failed, "data tests failing on Spark:\n" + "\n".join(failed)


def _parquet_table(warehouse: Path, schema: str, table: str):
    import pyarrow.dataset as dataset

    folder = warehouse / "tables" / f"{schema}.db" / table
    return dataset.dataset(folder, format="parquet").to_table()


def test_empty_seed_cells_load_as_null_on_spark(spark_build):
    """dbt-spark's session cursor quotes every bound value, so an empty cell would load as the
    text 'None'; the project's spark__load_csv_rows writes a typed NULL instead."""
    dimensions = _parquet_table(spark_build["warehouse"], "reference", "marketplace_dimensions")
    cluster_tiers = dimensions.column("cluster_tier").to_pylist()
    assert None in cluster_tiers and "None" not in cluster_tiers, cluster_tiers
    tiers = _parquet_table(spark_build["warehouse"], "reference", "rate_card_tiers")
    assert None in tiers.column("upper_bound").to_pylist()


def test_seed_cells_load_as_written_on_spark(spark_build):
    """The session cursor pastes bound values into the SQL unescaped and makes decimals floats:
    spark__load_csv_rows writes each cell as an escaped literal cast to its type instead."""
    seller = _parquet_table(spark_build["warehouse"], "reference", "seller").to_pylist()
    assert seller[0]["address_line_2"] == "367-375 Queen's Road Central"
    tiers = _parquet_table(spark_build["warehouse"], "reference", "rate_card_tiers")
    assert str(tiers.column("unit_price").to_pylist()[1]) == "0.035000"
