"""Shared helpers and the test tiers.

Markers (pyproject.toml): `unit` (one module, in-process, no warehouse build; includes the dbt
unit tests of the models), `dbt` (data-level checks on one warehouse built once per session from
a small fixture landing), `e2e` (the installed command, whole closes). `make test-fast` runs the
unit tier, `make test` all three; each tier's time is printed at the end. Hypothesis example
counts come from a profile: `HYPOTHESIS_PROFILE=deep` (make test-deep) runs many more.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

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


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


# ---------------------------------------------------------------------------------------------
# Time per tier, printed at the end of the run

_TIER_SECONDS: dict[str, float] = defaultdict(float)
_TIER_COUNTS: dict[str, int] = defaultdict(int)
_TIERS = ("unit", "dbt", "e2e")


def _tier(item: pytest.Item) -> str:
    for tier in _TIERS:
        if item.get_closest_marker(tier):
            return tier
    return "unmarked"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.monotonic()
    yield
    _TIER_SECONDS[_tier(item)] += time.monotonic() - started
    _TIER_COUNTS[_tier(item)] += 1


def pytest_collection_modifyitems(items):
    unmarked = [item.nodeid for item in items if _tier(item) == "unmarked"]
    if unmarked:
        raise pytest.UsageError(f"tests without a tier marker (unit, dbt, e2e): {unmarked[:5]}")


def pytest_terminal_summary(terminalreporter):
    if not _TIER_COUNTS:
        return
    terminalreporter.write_sep("-", "time per tier")
    for tier in (*_TIERS, "unmarked"):
        if _TIER_COUNTS.get(tier):
            terminalreporter.write_line(
                f"{tier:>5}: {_TIER_COUNTS[tier]:4d} test(s) in {_TIER_SECONDS[tier]:7.1f} s"
            )
