"""The Spark tier (`make test-spark`, marker `spark`): one Spark session for the whole test
session, as a command has one (build.spark_session keeps one per process, its catalog in one
folder): every test that runs Spark uses the folder `spark_warehouse` gives.

The tier's one Spark build is the corrections story closed on Spark (`spark_closed`): the
parity tests compare its files with DuckDB's, the dbt tests read its seeds, its incremental
October build and run the dbt unit tests on its warehouse, all in this process. It runs first,
before any test writes other tables into the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spark_warehouse(tmp_path_factory) -> Path:
    pytest.importorskip("pyspark")
    return tmp_path_factory.mktemp("spark") / "warehouse"


@pytest.fixture(scope="session")
def duck_closed(tmp_path_factory) -> dict:
    """The demo's corrections story on a small landing, closed on DuckDB: September issued as the
    landing stood on 6 October, then October closed with the later files (its corrections and
    its AWS Marketplace reconciliation)."""
    import datetime as dt

    from automq_billing.book.commands import run_finalize
    from automq_billing.close import CloseOptions, run_close
    from automq_billing.demo import generate_landing
    from helpers import REPO

    root = tmp_path_factory.mktemp("duckdb_closes")
    landing, output, duck = root / "landing", root / "output", root / "billing.duckdb"
    months = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    folders = {}
    for month, as_of in zip(months, (dt.date(2026, 10, 6), dt.date(2026, 11, 6)), strict=True):
        generate_landing(landing, months, orgs=2, seed=42, as_of=as_of, project_dir=REPO)
        options = CloseOptions(month, landing, output, duck, REPO, documents=False)
        folders[f"{month:%Y-%m}"] = run_close(options).folder
        if month == months[0]:
            run_finalize(output, month, None, approved_by="parity test")
    return {"root": root, "landing": landing, "output": output, "warehouse": duck, **folders}


@pytest.fixture(scope="session")
def spark_closed(spark_warehouse, tmp_path_factory) -> dict:
    """The same story closed on Spark (its own copy of the landing: the generator writes the
    same files for the same arguments): {"2026-09": folder, "2026-10": folder, "warehouse":
    the Spark warehouse, "october_build": the run results of October's dbt build (incremental
    on September's), "unit_tests": those of every dbt unit test run on that warehouse}."""
    import datetime as dt
    import json

    pytest.importorskip("dbt.adapters.spark")
    from automq_billing.book.commands import run_finalize
    from automq_billing.close import CloseOptions, run_close
    from automq_billing.demo import generate_landing
    from helpers import REPO

    root = tmp_path_factory.mktemp("spark_closes")
    landing, output = root / "landing", root / "output"
    months = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    closed: dict = {"warehouse": spark_warehouse}
    for month, as_of in zip(months, (dt.date(2026, 10, 6), dt.date(2026, 11, 6)), strict=True):
        generate_landing(landing, months, orgs=2, seed=42, as_of=as_of, project_dir=REPO)
        options = CloseOptions(
            month, landing, output, spark_warehouse, REPO, documents=False, engine="spark"
        )
        closed[f"{month:%Y-%m}"] = run_close(options).folder
        if month == months[0]:
            run_finalize(output, month, None, approved_by="parity test")
    results = spark_warehouse / ".dbt" / "target" / "run_results.json"
    closed["october_build"] = json.loads(results.read_text(encoding="utf-8"))["results"]
    closed["unit_tests"] = _dbt_unit_tests(spark_warehouse, root / "unit_tests")
    return closed


def _dbt_unit_tests(warehouse: Path, work: Path) -> list[dict]:
    """`dbt test --select test_type:unit` on the Spark warehouse the closes built, in this
    process: the run's results, failures included."""
    import json

    from automq_billing.build.spark_dbt import run_dbt_in_session
    from automq_billing.errors import BillingError
    from helpers import REPO

    work.mkdir()
    try:
        run_dbt_in_session(
            ["test", "--select", "test_type:unit"],
            project_dir=REPO,
            warehouse=warehouse,
            work_dir=work,
        )
    except BillingError:
        pass  # the results name each failing test
    return json.loads((work / "target" / "run_results.json").read_text("utf-8"))["results"]
