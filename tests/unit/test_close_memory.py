"""The memory of a close's process tree at scale (issue 18): each DuckDB a close runs beside its
other processes (the load child, the dbt child, its own reads) gets the close's limit."""

from __future__ import annotations

import pytest

from automq_billing import warehouse
from automq_billing.dbt_runner import dbt_environment

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("project", "expected"),
    [("1500MB", "1100MB"), ("800MB", "800MB"), ("2GiB", "1100MB"), ("?", "1100MB")],
)
def test_the_close_limit_is_1100mb_or_the_projects_if_smaller(monkeypatch, project, expected):
    monkeypatch.delenv("AUTOMQ_BILLING_CLOSE_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(warehouse, "MEMORY_LIMIT", project)
    assert warehouse.close_memory_limit() == expected


def test_the_dbt_child_and_a_close_connection_use_it(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOMQ_BILLING_CLOSE_MEMORY_LIMIT", "700MB")
    assert dbt_environment(tmp_path / "billing.duckdb")["AUTOMQ_BILLING_MEMORY_LIMIT"] == "700MB"
    limit = warehouse.close_memory_limit()
    with warehouse.connect(tmp_path / "billing.duckdb", memory_limit=limit) as con:
        [(value,)] = con.execute("select current_setting('memory_limit')").fetchall()
    assert value.replace(" ", "") in {"667.5MiB", "700.0MB", "667.5MB"}
