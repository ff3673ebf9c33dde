"""Property tests of the whole close on hypothesis-generated landings: small files (1-40 rows in
one or two files) drawing every column from valid and invalid values (nulls, unknown meters,
negative and huge quantities, misaligned hours, event ids reused with the same or different
content, restatements with equal or different emitted_at). Whatever lands, the close either
publishes with conservation holding over exactly the rows written, or refuses with a
BillingError; it never raises anything else."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from automq_billing.close import CloseOptions, run_close
from automq_billing.errors import BillingError
from automq_billing.landing import METERS as LANDING_METERS
from conftest import REPO, assert_conservation, hour, write_usage

pytestmark = pytest.mark.slow

BIGINT_MAX = 2**63 - 1
METERS = list(LANDING_METERS)


def _maybe(strategy, null_weight: int = 1):
    """Mostly the strategy's values, sometimes null."""
    return st.one_of(*([strategy] * 6), *([st.none()] * null_weight))


aligned_hours = st.builds(lambda day, h: hour(day, h), st.integers(1, 3), st.integers(0, 3))
misaligned_hours = st.builds(
    lambda day, h, minute: hour(day, h, minute=minute),
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(1, 59),
)
quantities = st.one_of(
    st.sampled_from([0, 1, 1024, 3600, 3601, 5 * 2**30, BIGINT_MAX, BIGINT_MAX - 1, -1]),
    st.integers(0, 2**40),
    st.integers(-(2**63), BIGINT_MAX),
)

rows_strategy = st.fixed_dictionaries(
    {
        "event_id": _maybe(st.sampled_from([f"e{i}" for i in range(8)])),
        "organization_id": _maybe(st.sampled_from(["org-a", "org-b", "org'; --"])),
        "environment_id": _maybe(st.sampled_from(["env-a", "env-b"])),
        "instance_id": _maybe(st.sampled_from(["i1", "i2", "i3"])),
        "cloud_provider": _maybe(st.sampled_from(["aws", "gcp"])),
        "region": _maybe(st.just("us-east-1")),
        "pricing_mode": _maybe(
            st.sampled_from(["usage_based", "usage_based", "usage_based", "prepaid", "free"])
        ),
        "cluster_tier": st.sampled_from(["dev", "pro", "pro", "enterprise", None, "gold"]),
        "meter": _maybe(st.sampled_from([*METERS, *METERS, "cpu_seconds"])),
        "hour_start": st.one_of(aligned_hours, aligned_hours, aligned_hours, misaligned_hours)
        | st.none(),
        "quantity": _maybe(quantities),
        # a small pool, so restatements tie or differ, and some rows are emitted before their hour
        "emitted_at": _maybe(st.sampled_from([hour(1, 0), hour(2, 0), hour(4, 0), hour(4, 0)])),
    }
)


@st.composite
def landings(draw) -> list[list[dict]]:
    """One or two files of rows; some rows are exact copies of earlier ones (duplicates, in the
    same file or the other one), some re-use an earlier row's measurement or event id with a new
    quantity or emitted_at (restatements and conflicts)."""
    rows = draw(st.lists(rows_strategy, min_size=1, max_size=24))
    derived = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(rows) - 1),
                st.sampled_from(["copy", "restate", "conflict"]),
                quantities,
                st.sampled_from([hour(1, 0), hour(4, 0), hour(5, 0)]),
            ),
            max_size=16,
        )
    )
    for index, kind, quantity, emitted_at in derived:
        original = rows[index]
        if kind == "copy":
            rows.append(dict(original))
        elif kind == "restate":  # same measurement, new event id
            rows.append(
                {
                    **original,
                    "event_id": f"r{len(rows)}",
                    "quantity": quantity,
                    "emitted_at": emitted_at,
                }
            )
        else:  # same event id, different content
            rows.append({**original, "quantity": quantity})
    rows = rows[:40]
    split = draw(st.integers(0, len(rows))) if draw(st.booleans()) else len(rows)
    files = [rows[:split], rows[split:]]
    return [f for f in files if f]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(files=landings())
def test_any_landing_is_published_with_conservation_or_refused(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("landing_property")
    landing = root / "landing"
    for index, rows in enumerate(files):
        write_usage(landing / "usage_events" / f"part-{index}.parquet", rows)
    rows = [row for file_rows in files for row in file_rows]
    options = CloseOptions(
        month=dt.date(2026, 10, 1),
        landing=landing,
        output=root / "output",
        warehouse=root / "warehouse" / "billing.duckdb",
        project_dir=REPO,
    )
    try:
        result = run_close(options)
    except BillingError as error:
        # The one refusal a readable landing may get: every row lacks hour_start, so October
        # has no usage. Anything else (a failing dbt test, a build error) is a bug.
        event("refused")
        assert all(row["hour_start"] is None for row in rows), str(error)
        assert "No usage rows were landed for 2026-10" in str(error)
        assert not (root / "output").exists()
        return
    event("published")
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest == result.manifest
    assert_conservation(manifest)
    counts = manifest["usage_events"]
    assert counts["rows"]["landed"] == len(rows)
    expected_quantity: dict[str, int] = {}
    for row in rows:
        meter = row["meter"] if row["meter"] is not None else "(null)"
        expected_quantity[meter] = expected_quantity.get(meter, 0) + (row["quantity"] or 0)
    assert {m: block["landed"] for m, block in counts["quantity"].items()} == expected_quantity
    assert manifest["usage_events_scope"] == {
        "month_rows": sum(row["hour_start"] is not None for row in rows),
        "rows_without_month": sum(row["hour_start"] is None for row in rows),
    }
    quarantine = pq.read_table(result.folder / "quarantine.parquet")
    assert quarantine.num_rows == sum(counts["rows"]["quarantined"].values())
    statements = pq.read_table(result.folder / "statements.parquet").to_pylist()
    lines = pq.read_table(result.folder / "statement_lines.parquet").to_pylist()
    for statement in statements:
        own = [line for line in lines if line["organization_id"] == statement["organization_id"]]
        assert statement["total_amount"] == sum(line["amount"] for line in own)
