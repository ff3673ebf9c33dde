"""Shared test helpers: landing rows and files, schemas, the conservation check."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
UTC = dt.UTC
COMMAND = Path(sys.executable).parent / "automq-billing"

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
LICENSE_SCHEMA = pa.schema(
    [
        ("license_id", pa.string()),
        ("organization_id", pa.string()),
        ("channel", pa.string()),
        ("term", pa.string()),
        ("aku_quota", pa.int32()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("price_per_aku", pa.decimal128(18, 6)),
        ("currency", pa.string()),
        ("product_secret", pa.string()),
        ("purchased_at", pa.timestamp("us", tz="UTC")),
    ]
)
ALLOCATION_SCHEMA = pa.schema(
    [
        ("license_id", pa.string()),
        ("environment_id", pa.string()),
        ("aku_allocated", pa.int32()),
        ("valid_from", pa.timestamp("us", tz="UTC")),
        ("valid_to", pa.timestamp("us", tz="UTC")),
    ]
)
GIB = 2**30


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


def licence_row(**overrides) -> dict:
    row = {
        "license_id": "lic-1",
        "organization_id": "org-prepaid",
        "channel": "offline_contract",
        "term": "monthly",
        "aku_quota": 2,
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 11, 1),
        "price_per_aku": None,
        "currency": "USD",
        "product_secret": None,
        "purchased_at": hour(1),
    }
    row.update(overrides)
    return row


def write_rows(path: Path, rows: Iterable[dict], schema: pa.Schema = USAGE_SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), path)
    return path


def write_usage(path: Path, rows: Iterable[dict], schema: pa.Schema = USAGE_SCHEMA) -> Path:
    return write_rows(path, rows, schema)


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
