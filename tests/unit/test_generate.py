"""Unit tests of the demo / benchmark landing generators (automq_billing.generate)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from automq_billing.bench import compare_totals, floor_sql
from automq_billing.generate import (
    QUARANTINE_REASONS,
    REQUIRED_COLUMNS,
    generate_landing,
    generate_scale_landing,
    parse_months,
)

MONTH = dt.date(2026, 10, 1)
ORGS = 5
SEED = 7


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("SET threads=2")
    return con


def _events_view(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    glob = str(root / "usage_events" / "**" / "*.parquet").replace("'", "''")
    con.execute(
        f"""CREATE OR REPLACE VIEW ev AS
        SELECT event_id, organization_id, environment_id, instance_id, cloud_provider, region,
               pricing_mode, cluster_tier, meter, CAST(hour_start AS TIMESTAMPTZ) AS hour_start,
               quantity, CAST(emitted_at AS TIMESTAMPTZ) AS emitted_at, filename
        FROM read_parquet('{glob}', union_by_name=true, hive_partitioning=false, filename=true)
        """  # noqa: S608
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("landing")
    summary = generate_landing(root, [MONTH], ORGS, SEED)
    con = _con()
    _events_view(con, root)
    return root, summary, con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


# ---------------------------------------------------------------------------- parse_months


def test_parse_months_single_and_range() -> None:
    assert parse_months("2026-10") == [dt.date(2026, 10, 1)]
    assert parse_months("2026-09:2026-10") == [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert parse_months("2026-11:2027-02") == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
    ]
    assert parse_months(" 2026-10:2026-10 ") == [dt.date(2026, 10, 1)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-13", "01..12"),
        ("2026-00", "01..12"),
        ("2026-10:2026-09", "reversed"),
        ("", "empty"),
        ("2026/10", "YYYY-MM"),
        ("2026-10-01", "YYYY-MM"),
        ("2026-09:2026-10:2026-11", "YYYY-MM:YYYY-MM"),
        ("october", "YYYY-MM"),
    ],
)
def test_parse_months_rejects_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_months(text)


# ---------------------------------------------------------------------------- demo landing


def test_deterministic_same_seed_and_different_seed(tmp_path: Path, landing) -> None:
    root, summary, _ = landing
    again = generate_landing(tmp_path / "a", [MONTH], ORGS, SEED)
    assert _digest(tmp_path / "a") == _digest(root)
    assert again.rows == summary.rows
    assert again.expected == summary.expected
    other = tmp_path / "b"
    generate_landing(other, [MONTH], ORGS, SEED + 1)
    assert _digest(other) != _digest(root)


def test_refuses_to_overwrite(landing) -> None:
    root, _, _ = landing
    with pytest.raises(ValueError, match="usage_events"):
        generate_landing(root, [MONTH], ORGS, SEED)
    with pytest.raises(ValueError, match="immutable"):
        generate_scale_landing(root, 1000, MONTH, SEED)


def test_file_layout_and_schemas(landing) -> None:
    root, summary, _ = landing
    files = sorted((root / "usage_events").rglob("*.parquet"))
    assert sorted(summary.files) == files
    assert len(files) >= 4
    rel = [p.relative_to(root / "usage_events").as_posix() for p in files]
    assert any(r.startswith("month=2026-10/") for r in rel)  # hive folders
    assert any(r.count("/") >= 2 for r in rel)  # nested deeper
    naive = extra = reordered = 0
    codecs: set[str] = set()
    for path in files:
        schema = pq.read_schema(path)
        assert set(REQUIRED_COLUMNS) <= set(schema.names), path
        assert str(schema.field("quantity").type) == "int64"
        for col in ("event_id", "organization_id", "meter", "cluster_tier"):
            assert str(schema.field(col).type) == "string", (path, col)
        tz = {schema.field(c).type.tz for c in ("hour_start", "emitted_at")}
        assert len(tz) == 1
        naive += tz == {None}
        assert tz in ({None}, {"UTC"}) or tz == {"+00:00"}
        extra += "exporter_version" in schema.names
        reordered += [n for n in schema.names if n in REQUIRED_COLUMNS] != list(REQUIRED_COLUMNS)
        meta = pq.read_metadata(path)
        codecs |= {meta.row_group(0).column(0).compression}
    assert naive >= 1 and extra >= 1 and reordered >= 1
    assert len(codecs) >= 2


def test_hour_start_is_utc_for_naive_files(landing) -> None:
    _, _, con = landing
    # every file holds hours of the generated month only (plus a few null hour_start rows)
    bad = _one(
        con,
        "SELECT count(*) FROM ev WHERE hour_start < TIMESTAMPTZ '2026-10-01 00:00:00+00' "
        "OR hour_start >= TIMESTAMPTZ '2026-11-01 00:00:00+00'",
    )
    assert bad == 0


def test_every_quarantine_reason_present(landing) -> None:
    _, summary, con = landing
    checks = {
        "missing_null_hour": "hour_start IS NULL",
        "missing_other": "hour_start IS NOT NULL AND (event_id IS NULL OR organization_id IS NULL "
        "OR environment_id IS NULL OR instance_id IS NULL OR cloud_provider IS NULL "
        "OR region IS NULL OR pricing_mode IS NULL OR meter IS NULL OR quantity IS NULL "
        "OR emitted_at IS NULL)",
        "missing_tier": "cluster_tier IS NULL AND pricing_mode = 'usage_based' "
        "AND meter = 'uptime_seconds'",
        "unknown_meter": "meter NOT IN ('ingress_bytes', 'egress_bytes', 'retained_bytes', "
        "'uptime_seconds', 'write_peak_bytes_per_s', 'read_peak_bytes_per_s')",
        "unknown_pricing_mode": "pricing_mode NOT IN ('usage_based', 'prepaid')",
        "unknown_cluster_tier": "cluster_tier NOT IN ('dev', 'pro', 'enterprise')",
        "negative_quantity": "quantity < 0",
        "misaligned_hour": "minute(hour_start) <> 0",
        "uptime_out_of_range": "meter = 'uptime_seconds' AND quantity > 3600",
        "future_hour": "hour_start > emitted_at",
    }
    for name, cond in checks.items():
        assert _one(con, f"SELECT count(*) FROM ev WHERE {cond}") > 0, name  # noqa: S608
    conflicts = _one(
        con,
        "SELECT count(*) FROM (SELECT event_id FROM ev WHERE event_id IS NOT NULL "
        "GROUP BY event_id HAVING count(DISTINCT quantity) > 1)",
    )
    assert conflicts > 0
    measurement_conflicts = _one(
        con,
        "SELECT count(*) FROM (SELECT instance_id, hour_start, meter, emitted_at FROM ev "
        "WHERE quantity >= 0 GROUP BY ALL "
        "HAVING count(DISTINCT event_id) > 1 AND count(DISTINCT quantity) > 1)",
    )
    assert measurement_conflicts > 0
    assert all(summary.quarantined[r] > 0 for r in QUARANTINE_REASONS)


def test_duplicates_and_restatements_present(landing) -> None:
    _, summary, con = landing
    dup_groups, cross_file = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE files > 1) FROM ("
        "  SELECT count(DISTINCT filename) AS files FROM ev WHERE event_id IS NOT NULL"
        "  GROUP BY event_id, organization_id, environment_id, instance_id, cloud_provider,"
        "  region, pricing_mode, cluster_tier, meter, hour_start, quantity, emitted_at"
        "  HAVING count(*) > 1)"
    ).fetchone()
    base = summary.base_rows
    assert 0.01 * base < dup_groups < 0.06 * base
    assert 0 < cross_file < dup_groups
    restated = _one(
        con,
        "SELECT count(*) FROM (SELECT instance_id, hour_start, meter FROM ev "
        "WHERE quantity >= 0 AND minute(hour_start) = 0 AND hour_start <= emitted_at "
        "GROUP BY ALL HAVING count(DISTINCT emitted_at) > 1)",
    )
    assert 0.01 * base < restated < 0.06 * base
    # restatements come later: emitted_at is normally hour_start + 1h + a few minutes
    normal = _one(
        con,
        "SELECT avg(CASE WHEN emitted_at - hour_start BETWEEN INTERVAL 61 MINUTE "
        "AND INTERVAL 76 MINUTE THEN 1 ELSE 0 END) FROM ev WHERE hour_start IS NOT NULL",
    )
    assert normal > 0.9


def test_organisation_sizes_cross_ingress_tiers(landing) -> None:
    _, summary, con = landing
    gib = dict(
        con.execute(
            "SELECT organization_id, sum(quantity) / 2^30 FROM ev "
            "WHERE meter = 'ingress_bytes' AND pricing_mode = 'usage_based' AND quantity >= 0 "
            "GROUP BY organization_id"
        ).fetchall()
    )
    assert len(gib) == ORGS
    assert max(gib.values()) > 102400  # tier 3
    assert sum(v > 10240 for v in gib.values()) >= 2  # tier 2 (or more)
    assert min(gib.values()) < 10240  # tier 1 only
    assert gib[summary.notes["tier3_ingress_organization"]] > 102400
    assert gib[summary.notes["tier1_only_organization"]] < 10240


def test_world_shapes(landing) -> None:
    _, summary, con = landing
    # environments per org 1..4 (one extra prepaid-heavy environment), instances per org 1..8
    shape = con.execute(
        "SELECT max(e), min(e), max(i), min(i) FROM (SELECT organization_id, "
        "count(DISTINCT environment_id) e, count(DISTINCT instance_id) i FROM ev "
        "WHERE organization_id IS NOT NULL AND environment_id IS NOT NULL "
        "GROUP BY ALL)"
    ).fetchone()
    assert shape[1] >= 1 and shape[0] <= 4 and shape[3] >= 1 and shape[2] <= 8
    # partial first/last hours and short clusters
    partial = _one(
        con,
        "SELECT count(*) FROM ev WHERE meter = 'uptime_seconds' AND quantity BETWEEN 1 AND 3599",
    )
    assert partial >= 3
    # the tier upgrade: one instance is pro, then enterprise from an hour boundary
    up = summary.notes["tier_upgrade"]
    tiers = con.execute(
        "SELECT cluster_tier, min(hour_start), max(hour_start) FROM ev "
        "WHERE instance_id = ? AND meter = 'uptime_seconds' AND cluster_tier IN ('pro', "
        "'enterprise') GROUP BY 1 ORDER BY 2",
        [up["instance_id"]],
    ).fetchall()
    assert [t[0] for t in tiers] == ["pro", "enterprise"]
    assert tiers[0][2] < tiers[1][1]
    assert tiers[1][1] == dt.datetime.fromisoformat(up["from_hour"])
    # prepaid instances emit peaks; one environment needs many AKUs
    heavy = con.execute(
        "SELECT max(ceil(w / (30 * 2^20) + coalesce(r, 0) / (60 * 2^20))) FROM ("
        "  SELECT instance_id, hour_start,"
        "    max(quantity) FILTER (WHERE meter = 'write_peak_bytes_per_s') AS w,"
        "    max(quantity) FILTER (WHERE meter = 'read_peak_bytes_per_s') AS r"
        "  FROM ev WHERE pricing_mode = 'prepaid' AND environment_id = ? GROUP BY ALL)",
        [summary.notes["prepaid_heavy_environment"]],
    ).fetchone()[0]
    assert heavy > 6
    providers = {r[0] for r in con.execute("SELECT DISTINCT cloud_provider FROM ev").fetchall()}
    assert "aws" in providers


def _classify(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The SPEC 1.1 classification of every row, computed independently in SQL."""
    rows = con.execute(
        """
        WITH checked AS (
            SELECT *, row_number() OVER () AS rid, CASE
                WHEN event_id IS NULL OR organization_id IS NULL OR environment_id IS NULL
                  OR instance_id IS NULL OR cloud_provider IS NULL OR region IS NULL
                  OR pricing_mode IS NULL OR meter IS NULL OR hour_start IS NULL
                  OR quantity IS NULL OR emitted_at IS NULL
                  OR (cluster_tier IS NULL AND pricing_mode = 'usage_based'
                      AND meter = 'uptime_seconds') THEN 'missing_field'
                WHEN meter NOT IN ('ingress_bytes', 'egress_bytes', 'retained_bytes',
                    'uptime_seconds', 'write_peak_bytes_per_s', 'read_peak_bytes_per_s')
                    THEN 'unknown_meter'
                WHEN pricing_mode NOT IN ('usage_based', 'prepaid') THEN 'unknown_pricing_mode'
                WHEN cluster_tier NOT IN ('dev', 'pro', 'enterprise') THEN 'unknown_cluster_tier'
                WHEN quantity < 0 THEN 'negative_quantity'
                WHEN date_trunc('hour', hour_start) <> hour_start THEN 'misaligned_hour'
                WHEN meter = 'uptime_seconds' AND quantity > 3600 THEN 'uptime_out_of_range'
                WHEN hour_start > emitted_at THEN 'future_hour'
            END AS reason
            FROM ev
        ),
        valid AS (
            SELECT *, row_number() OVER (PARTITION BY event_id, organization_id, environment_id,
                instance_id, cloud_provider, region, pricing_mode, cluster_tier, meter,
                hour_start, quantity, emitted_at ORDER BY rid) AS copy,
                count(DISTINCT quantity::VARCHAR || emitted_at::VARCHAR || coalesce(cluster_tier,
                    '-')) OVER (PARTITION BY event_id) AS contents
            FROM checked WHERE reason IS NULL
        ),
        firsts AS (
            SELECT *, max(emitted_at) OVER m AS latest FROM valid
            WHERE copy = 1 AND contents = 1
            WINDOW m AS (PARTITION BY instance_id, hour_start, meter)
        ),
        measured AS (
            SELECT *, count(DISTINCT quantity) FILTER (WHERE emitted_at = latest) OVER
                (PARTITION BY instance_id, hour_start, meter) AS nq
            FROM firsts
        )
        SELECT reason, count(*) FROM checked WHERE reason IS NOT NULL GROUP BY 1
        UNION ALL SELECT 'event_id_conflict', count(*) FROM valid WHERE contents > 1
        UNION ALL SELECT 'duplicate', count(*) FROM valid WHERE contents = 1 AND copy > 1
        UNION ALL SELECT 'measurement_conflict', count(*) FROM measured WHERE nq > 1
        UNION ALL SELECT 'superseded', count(*) FROM measured WHERE nq = 1 AND emitted_at < latest
        UNION ALL SELECT 'rated', count(*) FROM measured WHERE nq = 1 AND emitted_at = latest
        """
    ).fetchall()
    return {k: v for k, v in rows if v}


def test_expected_counts_match_an_independent_classification(landing) -> None:
    _, summary, con = landing
    got = _classify(con)
    month = summary.expected["2026-10"]["rows"]
    no_month = summary.expected["no_month"]["rows"]
    want = {"rated": month["rated"], "duplicate": month["duplicate"]}
    want["superseded"] = month["superseded"]
    for reason in QUARANTINE_REASONS:
        n = month["quarantined"].get(reason, 0) + no_month["quarantined"].get(reason, 0)
        if n:
            want[reason] = n
    assert got == want
    assert month["landed"] + no_month["landed"] == summary.rows
    assert no_month["landed"] >= 3


def test_floor_query_runs_on_demo_landing(landing) -> None:
    root, _, con = landing
    glob = str(root / "usage_events" / "**" / "*.parquet")
    totals = {o: Decimal(t) for o, t in con.execute(floor_sql(glob, MONTH)).fetchall()}
    assert len(totals) == ORGS
    assert all(v > 0 for v in totals.values())
    assert compare_totals(totals, dict(totals))["grand_totals_match"]


# ---------------------------------------------------------------------------- scale landing


def test_scale_landing_small(tmp_path: Path) -> None:
    summary = generate_scale_landing(tmp_path / "a", 20_000, MONTH, 3)
    assert 19_000 <= summary.rows <= 21_000
    con = _con()
    _events_view(con, tmp_path / "a")
    n, ids, hex_ok, months = con.execute(
        "SELECT count(*), count(DISTINCT event_id), "
        "bool_and(regexp_full_match(event_id, '[0-9a-f]{32}')), "
        "count(DISTINCT date_trunc('month', hour_start)) FROM ev"
    ).fetchone()
    assert n == summary.rows
    assert hex_ok
    assert months == 1
    assert 0.005 * n < n - ids < 0.04 * n  # ~2% duplicates
    assert summary.restatements > 0 and summary.duplicates > 0
    invalid = _one(con, "SELECT count(*) FROM ev WHERE quantity < 0 OR minute(hour_start) <> 0")
    assert invalid > 0
    generate_scale_landing(tmp_path / "b", 20_000, MONTH, 3)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
