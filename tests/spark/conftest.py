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
