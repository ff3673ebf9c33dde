"""SPEC 1.1 record rules, end to end through dbt: one landing holds a case per rule (each on
its own instance), one `dbt build` classifies it, and each test checks its case."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automq_billing.landing import ALWAYS_REQUIRED_USAGE_COLUMNS
from conftest import USAGE_SCHEMA, dbt_build, hour, usage_row, write_usage

pytestmark = pytest.mark.slow

REQUIRED = list(ALWAYS_REQUIRED_USAGE_COLUMNS)


def case(name: str, **overrides) -> dict:
    """A valid row on instance `name`, event id `name-1` unless overridden."""
    values = {"instance_id": name, "event_id": f"{name}-1"}
    values.update(overrides)
    return usage_row(**values)


def landing_rows() -> tuple[list[dict], list[dict]]:
    main = [
        case("valid"),
        # 1. exact duplicates: the copy sits in the other file
        case("dup", quantity=500),
        # 2. event id conflict
        case("conflict", quantity=1),
        case("conflict", quantity=2),
        # 3. restatement: the later emitted_at wins
        case("restated", event_id="restated-1", quantity=100, emitted_at=hour(1, 1)),
        case("restated", event_id="restated-2", quantity=150, emitted_at=hour(1, 5)),
        # measurement conflict: latest emitted_at shared with different quantities
        case("mconflict", event_id="mconflict-0", quantity=5, emitted_at=hour(1, 1)),
        case("mconflict", event_id="mconflict-1", quantity=10, emitted_at=hour(1, 3)),
        case("mconflict", event_id="mconflict-2", quantity=20, emitted_at=hour(1, 3)),
        # a tie on the latest emitted_at with equal quantities is not a conflict
        case("tie", event_id="tie-b", quantity=7, emitted_at=hour(1, 3)),
        case("tie", event_id="tie-a", quantity=7, emitted_at=hour(1, 3)),
        # a restatement whose newer row is invalid: the older row stays rated
        case("badrestate", event_id="badrestate-1", quantity=300, emitted_at=hour(1, 1)),
        case("badrestate", event_id="badrestate-2", quantity=-1, emitted_at=hour(1, 4)),
        # an invalid row sharing an event id with a valid one takes no part in the rules
        case("shared", event_id="shared-1", quantity=40),
        case("shared-bad", event_id="shared-1", meter="bogus_meter", quantity=40),
        # validation reasons
        case("unknown-meter", meter="cpu_seconds"),
        case("unknown-mode", pricing_mode="free"),
        case("unknown-tier", cluster_tier="gold"),
        case("negative", quantity=-5),
        case("misaligned", hour_start=hour(1, 0, minute=30), emitted_at=hour(1, 2)),
        case("uptime-over", meter="uptime_seconds", quantity=3601),
        case("uptime-full", meter="uptime_seconds", quantity=3600),
        case("future", hour_start=hour(2, 0), emitted_at=hour(1, 23)),
        case("present", hour_start=hour(2, 0), emitted_at=hour(2, 0)),
        # cluster_tier is required only for usage-based uptime rows
        case("tierless-uptime", meter="uptime_seconds", quantity=3600, cluster_tier=None),
        case("tierless-ingress", cluster_tier=None),
        case(
            "tierless-prepaid",
            meter="uptime_seconds",
            quantity=3600,
            cluster_tier=None,
            pricing_mode="prepaid",
        ),
        # the first reason in SPEC order wins
        case("order-1", meter="bogus", quantity=-1),
        case("order-2", pricing_mode="free", cluster_tier="gold", quantity=-1),
        case("order-3", quantity=-1, hour_start=hour(1, 0, minute=5), emitted_at=hour(1, 2)),
    ]
    for column in REQUIRED:
        main.append(case(f"null-{column}", **{column: None}))
    other = [case("dup", quantity=500)]
    return main, other


@pytest.fixture(scope="module")
def classified(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("record_rules")
    landing = root / "landing"
    main, other = landing_rows()
    write_usage(landing / "usage_events" / "month=2026-10" / "a.parquet", main)
    write_usage(landing / "usage_events" / "b" / "deeper" / "b.parquet", other)
    # A file from another tool: naive timestamps, int32 quantity, reordered and extra columns.
    naive = pa.table(
        {
            "exporter_version": ["9.9"],
            "quantity": pa.array([77], pa.int32()),
            "meter": ["egress_bytes"],
            "hour_start": pa.array([hour(3, 4).replace(tzinfo=None)], pa.timestamp("ms")),
            "emitted_at": pa.array([hour(3, 6).replace(tzinfo=None)], pa.timestamp("ms")),
            "event_id": ["naive-1"],
            "organization_id": ["org-a"],
            "environment_id": ["env-a"],
            "instance_id": ["naive"],
            "cloud_provider": ["aws"],
            "region": ["us-east-1"],
            "pricing_mode": ["usage_based"],
            "cluster_tier": ["pro"],
        }
    )
    (landing / "usage_events" / "c").mkdir(parents=True)
    pq.write_table(naive, landing / "usage_events" / "c" / "naive.parquet")
    warehouse = root / "warehouse" / "billing.duckdb"
    dbt_build(landing, warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield con
    con.close()


def outcomes(con, instance_id: str) -> list[tuple]:
    return con.execute(
        """
        select event_id, quantity, outcome, quarantine_reason
        from intermediate.int_usage_events_classified
        where instance_id = ?
        order by event_id, quantity, outcome
        """,
        [instance_id],
    ).fetchall()


def test_a_valid_row_is_rated(classified):
    assert outcomes(classified, "valid") == [("valid-1", 1024, "rated", None)]


def test_identical_rows_in_two_files_keep_one(classified):
    assert sorted(o[2] for o in outcomes(classified, "dup")) == ["duplicate", "rated"]


def test_same_event_id_with_different_content_quarantines_all(classified):
    assert outcomes(classified, "conflict") == [
        ("conflict-1", 1, "quarantined", "event_id_conflict"),
        ("conflict-1", 2, "quarantined", "event_id_conflict"),
    ]


def test_latest_emitted_at_wins_a_restatement(classified):
    assert outcomes(classified, "restated") == [
        ("restated-1", 100, "superseded", None),
        ("restated-2", 150, "rated", None),
    ]


def test_shared_latest_emitted_at_with_different_quantities_quarantines_the_measurement(
    classified,
):
    assert outcomes(classified, "mconflict") == [
        ("mconflict-0", 5, "quarantined", "measurement_conflict"),
        ("mconflict-1", 10, "quarantined", "measurement_conflict"),
        ("mconflict-2", 20, "quarantined", "measurement_conflict"),
    ]


def test_a_tie_with_equal_quantities_keeps_the_smallest_event_id(classified):
    assert outcomes(classified, "tie") == [
        ("tie-a", 7, "rated", None),
        ("tie-b", 7, "superseded", None),
    ]


def test_a_restatement_whose_newer_row_is_invalid_keeps_the_older_value(classified):
    assert outcomes(classified, "badrestate") == [
        ("badrestate-1", 300, "rated", None),
        ("badrestate-2", -1, "quarantined", "negative_quantity"),
    ]


def test_quarantined_rows_take_no_part_in_event_id_rules(classified):
    assert outcomes(classified, "shared") == [("shared-1", 40, "rated", None)]
    assert outcomes(classified, "shared-bad") == [("shared-1", 40, "quarantined", "unknown_meter")]


@pytest.mark.parametrize(
    ("instance_id", "reason"),
    [
        ("unknown-meter", "unknown_meter"),
        ("unknown-mode", "unknown_pricing_mode"),
        ("unknown-tier", "unknown_cluster_tier"),
        ("negative", "negative_quantity"),
        ("misaligned", "misaligned_hour"),
        ("uptime-over", "uptime_out_of_range"),
        ("future", "future_hour"),
        ("tierless-uptime", "missing_field"),
        ("order-1", "unknown_meter"),
        ("order-2", "unknown_pricing_mode"),
        ("order-3", "negative_quantity"),
    ],
)
def test_validation_reason(classified, instance_id, reason):
    [(_, _, outcome, got)] = outcomes(classified, instance_id)
    assert (outcome, got) == ("quarantined", reason)


@pytest.mark.parametrize("column", REQUIRED)
def test_a_null_required_column_is_missing_field(classified, column):
    rows = classified.execute(
        """
        select outcome, quarantine_reason from intermediate.int_usage_events_classified
        where event_id is not distinct from ? and instance_id is not distinct from ?
        """,
        [
            None if column == "event_id" else f"null-{column}-1",
            None if column == "instance_id" else f"null-{column}",
        ],
    ).fetchall()
    assert rows == [("quarantined", "missing_field")]


@pytest.mark.parametrize(
    "instance_id", ["uptime-full", "present", "tierless-ingress", "tierless-prepaid"]
)
def test_boundary_values_are_valid(classified, instance_id):
    [(_, _, outcome, reason)] = outcomes(classified, instance_id)
    assert (outcome, reason) == ("rated", None)


def test_naive_timestamps_are_utc_and_drifted_files_are_read(classified):
    row = classified.execute(
        """
        select strftime(hour_start, '%Y-%m-%d %H:%M:%S%z'), quantity, outcome
        from intermediate.int_usage_events_classified where instance_id = 'naive'
        """
    ).fetchall()
    assert row == [("2026-10-03 04:00:00+00", 77, "rated")]


def test_rows_without_hour_start_have_no_month_and_are_kept(classified):
    [(month, reason, source_file)] = classified.execute(
        """
        select usage_month, reason, source_file from marts.fct_usage_quarantine
        where instance_id = 'null-hour_start'
        """
    ).fetchall()
    assert month is None and reason == "missing_field"
    assert Path(source_file).name == "a.parquet"


def test_conservation_holds_per_month_and_meter(classified):
    main, other = landing_rows()
    rows = classified.execute(
        """
        select sum(landed_rows), bool_and(is_balanced), count(*) filter (where usage_month is null)
        from marts.rpt_usage_conservation
        """
    ).fetchone()
    assert rows == (len(main) + len(other) + 1, True, 1)


def test_quarantine_keeps_every_landed_column(classified):
    columns = [c[0] for c in classified.execute("describe marts.fct_usage_quarantine").fetchall()]
    assert set(USAGE_SCHEMA.names) | {"reason", "source_file"} <= set(columns)
    expected = (
        sum(
            1
            for row in landing_rows()[0]
            if row["instance_id"]
            not in {
                "valid",
                "dup",
                "restated",
                "tie",
                "shared",
                "uptime-full",
                "present",
                "tierless-ingress",
                "tierless-prepaid",
            }
        )
        - 1
    )  # badrestate-1 stays rated
    assert classified.execute("select count(*) from marts.fct_usage_quarantine").fetchone() == (
        expected,
    )
