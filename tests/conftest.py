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


def assert_conservation(manifest: dict) -> None:
    """SPEC 1.1 conservation in a close manifest: every landed row (and, per meter, every unit of
    quantity) is rated, duplicate, superseded or quarantined, exactly once."""
    counts = manifest["usage_events"]
    blocks = [("rows", counts["rows"])] + [
        (f"quantity[{meter}]", block) for meter, block in counts["quantity"].items()
    ]
    for name, block in blocks:
        assert isinstance(block["landed"], int), name
        accounted = (
            block["rated"]
            + block["duplicate"]
            + block["superseded"]
            + sum(block["quarantined"].values())
        )
        assert block["landed"] == accounted, f"{name}: landed {block['landed']} != {accounted}"


def assert_secrets_nowhere(warehouse: Path, folders: Iterable[Path], secrets: list[str]) -> None:
    """No VARCHAR column of any table or view in the warehouse, and no file below `folders`
    (outputs, logs, compiled SQL, the database file itself), holds any of the secrets."""
    import duckdb

    assert secrets
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        assert len(relations) > 20
        searched = 0
        for schema, table in relations:
            columns = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? and data_type = 'VARCHAR'",
                [schema, table],
            ).fetchall()
            for (column,) in columns:
                condition = " or ".join(f'contains("{column}", ?)' for _ in secrets)
                found = con.execute(
                    f'select count(*) from "{schema}"."{table}" where {condition}',  # noqa: S608
                    secrets,
                ).fetchone()[0]
                searched += 1
                assert found == 0, f"a secret is in {schema}.{table}.{column}"
        assert searched > 100
    written = [path for base in folders for path in Path(base).rglob("*") if path.is_file()]
    assert any(path.suffix == ".parquet" for path in written)
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path}"
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for field in table.schema:
                if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                    values = set(table.column(field.name).to_pylist())
                    assert not values & set(secrets), f"a secret is in {path}:{field.name}"
