"""Shared fixtures: the repository, landing files written from Python rows, and dbt builds."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from automq_billing.dbt_runner import run_dbt  # noqa: E402

UTC = dt.UTC

USAGE_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("organization_id", pa.string()),
        ("environment_id", pa.string()),
        ("instance_id", pa.string()),
        ("cloud_provider", pa.string()),
        ("region", pa.string()),
        ("pricing_mode", pa.string()),
        ("cluster_tier", pa.string()),
        ("meter", pa.string()),
        ("hour_start", pa.timestamp("us", tz="UTC")),
        ("quantity", pa.int64()),
        ("emitted_at", pa.timestamp("us", tz="UTC")),
    ]
)


def hour(day: int, hour_of_day: int = 0, month: int = 10, year: int = 2026, minute: int = 0):
    return dt.datetime(year, month, day, hour_of_day, minute, tzinfo=UTC)


def usage_row(**overrides) -> dict:
    """A valid usage row (org-a, inst-a, ingress, 2026-10-01 00:00), with overrides."""
    row = {
        "event_id": "evt-1",
        "organization_id": "org-a",
        "environment_id": "env-a",
        "instance_id": "inst-a",
        "cloud_provider": "aws",
        "region": "us-east-1",
        "pricing_mode": "usage_based",
        "cluster_tier": "pro",
        "meter": "ingress_bytes",
        "hour_start": hour(1),
        "quantity": 1024,
        "emitted_at": hour(1, 1),
    }
    row.update(overrides)
    return row


def write_usage(path: Path, rows: Iterable[dict], schema: pa.Schema = USAGE_SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


def dbt_build(landing: Path, warehouse: Path, select: str | None = None) -> None:
    args = ["build"] + (["--select", select] if select else [])
    run_dbt(
        args,
        project_dir=REPO,
        landing=landing,
        warehouse=warehouse,
        work_dir=warehouse.parent / ".dbt",
    )


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
