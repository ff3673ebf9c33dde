"""The Spark tier (`make test-spark`, marker `spark`): one Spark session for the whole test
session, as a command has one (build.spark_session keeps one per process, its catalog in one
folder): every test that runs Spark uses the folder `spark_warehouse` gives."""

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
