"""Unit tests of the demo / benchmark landing generators (automq_billing.generate)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
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


def _license_views(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    for view, dataset in (("lic", "licenses"), ("alloc", "license_allocations")):
        glob = str(root / dataset / "**" / "*.parquet").replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{glob}', "  # noqa: S608
            "union_by_name=true, hive_partitioning=false)"
        )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("landing")
    summary = generate_landing(root, [MONTH], ORGS, SEED)
    con = _con()
    _events_view(con, root)
    _license_views(con, root)
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
    digest = _digest(tmp_path / "a")
    assert digest == _digest(root)
    assert any(k.startswith("licenses/") for k in digest)
    assert any(k.startswith("license_allocations/") for k in digest)
    assert again.notes == summary.notes
    assert (again.licenses, again.license_allocations) == (
        summary.licenses,
        summary.license_allocations,
    )
    assert again.rows == summary.rows
    assert again.expected == summary.expected
    other = tmp_path / "b"
    generate_landing(other, [MONTH], ORGS, SEED + 1)
    assert _digest(other) != _digest(root)
    for dataset in ("licenses", "license_allocations"):
        assert _digest(other / dataset) != _digest(root / dataset)


def test_refuses_to_overwrite(landing) -> None:
    root, _, _ = landing
    with pytest.raises(ValueError, match="usage_events"):
        generate_landing(root, [MONTH], ORGS, SEED)
    with pytest.raises(ValueError, match="immutable"):
        generate_scale_landing(root, 1000, MONTH, SEED)


@pytest.mark.parametrize("dataset", ["licenses", "license_allocations"])
def test_refuses_to_overwrite_licenses(tmp_path: Path, landing, dataset: str) -> None:
    root, _, _ = landing
    src = sorted((root / dataset).rglob("*.parquet"))[0]
    (tmp_path / dataset / "old").mkdir(parents=True)
    (tmp_path / dataset / "old" / "x.parquet").write_bytes(src.read_bytes())
    with pytest.raises(ValueError, match=f"{dataset}.*immutable"):
        generate_landing(tmp_path, [MONTH], ORGS, SEED)
    assert not (tmp_path / "usage_events").exists()  # refused before writing anything


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
    # environments per org 1..6 (up to three, plus the prepaid-heavy environment or two or three
    # prepaid environments of the licence scenarios), instances per org 1..8
    shape = con.execute(
        "SELECT max(e), min(e), max(i), min(i) FROM (SELECT organization_id, "
        "count(DISTINCT environment_id) e, count(DISTINCT instance_id) i FROM ev "
        "WHERE organization_id IS NOT NULL AND environment_id IS NOT NULL "
        "GROUP BY ALL)"
    ).fetchone()
    assert shape[1] >= 1 and shape[0] <= 6 and shape[3] >= 1 and shape[2] <= 8
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


# ---------------------------------------------------------------------------- licences

LICENSE_TYPES = {
    "license_id": "string",
    "organization_id": "string",
    "channel": "string",
    "term": "string",
    "aku_quota": "int32",
    "start_date": "date32[day]",
    "end_date": "date32[day]",
    "price_per_aku": "decimal128(18, 6)",
    "currency": "string",
    "product_secret": "string",
    "purchased_at": "timestamp[us, tz=UTC]",
}
ALLOCATION_TYPES = {
    "license_id": "string",
    "environment_id": "string",
    "aku_allocated": "int32",
    "valid_from": "timestamp[us, tz=UTC]",
    "valid_to": "timestamp[us, tz=UTC]",
}
# the SPEC 1.2 term rules, with DuckDB's month arithmetic (day clamped to the month's end)
TERM_OK = (
    "CASE term"
    " WHEN 'monthly' THEN end_date = CAST(start_date + INTERVAL 1 MONTH AS DATE)"
    " WHEN 'yearly' THEN end_date = CAST(start_date + INTERVAL 12 MONTH AS DATE)"
    " WHEN 'trial' THEN end_date = start_date + 14 AND aku_quota <= 14"
    "   AND coalesce(price_per_aku, 0) = 0"
    " ELSE false END"
)
# required AKU per environment-hour (SPEC 4.3, 30/60 MiB/s per AKU, sum, min 3), in integers:
# w / (30 MiB/s) + r / (60 MiB/s) = (2w + r) / (60 MiB/s); a missing peak meter counts as 0
REQUIRED_SQL = """
    WITH peaks AS (
        SELECT environment_id, instance_id, hour_start, meter, max(quantity) AS q
        FROM ev
        WHERE pricing_mode = 'prepaid' AND quantity >= 0 AND environment_id IS NOT NULL
          AND instance_id IS NOT NULL AND minute(hour_start) = 0 AND hour_start <= emitted_at
          AND meter IN ('ingress_bytes', 'egress_bytes', 'retained_bytes', 'uptime_seconds',
                        'write_peak_bytes_per_s', 'read_peak_bytes_per_s')
        GROUP BY ALL
    ),
    inst AS (
        SELECT environment_id, instance_id, hour_start,
            CAST(coalesce(max(q) FILTER (WHERE meter = 'write_peak_bytes_per_s'), 0) AS HUGEINT)
                AS w,
            CAST(coalesce(max(q) FILTER (WHERE meter = 'read_peak_bytes_per_s'), 0) AS HUGEINT)
                AS r
        FROM peaks GROUP BY ALL
    ),
    req AS (
        SELECT environment_id, hour_start,
            sum(greatest(3, (2 * w + r + 62914559) // 62914560)) AS required
        FROM inst GROUP BY ALL
    )
    SELECT req.environment_id, req.hour_start, req.required,
        coalesce(sum(alloc.aku_allocated), 0) AS allocated
    FROM req LEFT JOIN alloc ON alloc.environment_id = req.environment_id
        AND alloc.valid_from <= req.hour_start
        AND (alloc.valid_to IS NULL OR req.hour_start < alloc.valid_to)
    GROUP BY ALL
"""


def test_license_files_and_schemas(landing) -> None:
    root, summary, con = landing
    lic_files = sorted((root / "licenses").rglob("*.parquet"))
    alloc_files = sorted((root / "license_allocations").rglob("*.parquet"))
    assert sorted(summary.license_files) == sorted(lic_files + alloc_files)
    assert lic_files and alloc_files
    for files, types in ((lic_files, LICENSE_TYPES), (alloc_files, ALLOCATION_TYPES)):
        for path in files:
            schema = pq.read_schema(path)
            assert {f.name: str(f.type) for f in schema} == types, path
    assert _one(con, "SELECT count(*) FROM lic") == summary.licenses
    assert _one(con, "SELECT count(*) FROM alloc") == summary.license_allocations
    assert 8 <= summary.licenses <= 60 and 8 <= summary.license_allocations <= 60
    assert _one(con, "SELECT count(DISTINCT license_id) = count(*) FROM lic")
    # usage files are written first and listed apart
    assert all("usage_events" in p.parts for p in summary.files)
    # allocations point to known licences and to prepaid environments of the licence's org
    orphans = _one(
        con,
        "SELECT count(*) FROM alloc LEFT JOIN lic USING (license_id) WHERE lic.license_id IS NULL",
    )
    assert orphans == 0
    foreign = _one(
        con,
        "SELECT count(*) FROM alloc JOIN lic USING (license_id) WHERE NOT EXISTS ("
        "  SELECT 1 FROM ev WHERE ev.environment_id = alloc.environment_id"
        "  AND ev.organization_id = lic.organization_id AND ev.pricing_mode = 'prepaid')",
    )
    assert foreign == 0
    assert _one(con, "SELECT count(*) FROM alloc WHERE valid_to IS NULL") >= 1
    assert _one(con, "SELECT min(aku_allocated) FROM alloc") >= 1
    orgs = {r[0] for r in con.execute("SELECT DISTINCT organization_id FROM lic").fetchall()}
    assert len(orgs) >= 3
    prepaid_envs = set(summary.notes["prepaid_environments"])
    allocated_envs = {
        r[0] for r in con.execute("SELECT DISTINCT environment_id FROM alloc").fetchall()
    }
    assert allocated_envs == prepaid_envs


def test_every_term_and_channel_present(landing) -> None:
    _, summary, con = landing
    terms = dict(con.execute("SELECT term, count(*) FROM lic GROUP BY 1").fetchall())
    channels = dict(con.execute("SELECT channel, count(*) FROM lic GROUP BY 1").fetchall())
    assert set(terms) == {"monthly", "yearly", "trial"}
    assert set(channels) == {
        "aws_marketplace",
        "azure_marketplace",
        "gcp_marketplace",
        "alibaba_marketplace",
        "offline_contract",
        "trial",
    }
    scenarios = summary.notes["license_scenarios"]
    assert {k: v for k, v in scenarios["by_term"].items() if v} == terms
    assert {k: v for k, v in scenarios["by_channel"].items() if v} == channels
    assert _one(con, "SELECT bool_and(currency = 'USD' AND aku_quota >= 1) FROM lic")


def test_term_rules_hold_except_for_one_invalid_license(landing) -> None:
    _, summary, con = landing
    bad = con.execute(f"SELECT license_id, term FROM lic WHERE NOT ({TERM_OK})").fetchall()  # noqa: S608
    assert bad == [(summary.notes["invalid_license"], "yearly")]
    start, end = con.execute(
        "SELECT start_date, end_date FROM lic WHERE license_id = ?",
        [summary.notes["invalid_license"]],
    ).fetchone()
    assert end == dt.date(start.year + (start.month > 6), (start.month + 5) % 12 + 1, start.day)
    # a month-end start is clamped like DuckDB does (2026-10-31 + 1 month = 2026-11-30)
    clamped = summary.notes["license_scenarios"]["clamped_end"]
    assert (clamped["start_date"], clamped["end_date"]) == ("2026-10-31", "2026-11-30")
    # licences start within or shortly before the month; bought a few days before they start
    first, after = MONTH, dt.date(2026, 11, 1)
    starts = con.execute(
        "SELECT min(start_date), max(start_date), "
        "bool_and(purchased_at < start_date AND purchased_at >= start_date - INTERVAL 7 DAY) "
        "FROM lic"
    ).fetchone()
    assert dt.date(2026, 4, 1) <= starts[0] < first <= starts[1] < after
    assert starts[2]
    # a yearly licence bought months before the first month still runs through it
    running = _one(
        con,
        "SELECT count(*) FROM lic WHERE term = 'yearly' AND start_date <= DATE '2026-07-01' "
        "AND end_date > DATE '2026-11-01'",
    )
    assert running >= 1


def test_trial_negotiated_and_list_price_licenses(landing) -> None:
    _, summary, con = landing
    trial = con.execute(
        "SELECT channel, term, aku_quota, end_date - start_date, price_per_aku FROM lic "
        "WHERE license_id = ?",
        [summary.notes["trial_license"]],
    ).fetchone()
    assert trial == ("trial", "trial", 14, 14, None)
    assert _one(con, "SELECT count(*) FROM lic WHERE channel = 'trial' OR term = 'trial'") == 1
    negotiated = con.execute(
        "SELECT channel, price_per_aku FROM lic WHERE license_id = ?",
        [summary.notes["negotiated_license"]],
    ).fetchone()
    assert negotiated == ("offline_contract", Decimal("960.000000"))
    priced = {
        r[0] for r in con.execute("SELECT license_id FROM lic WHERE price_per_aku > 0").fetchall()
    }
    assert priced == set(summary.notes["license_scenarios"]["negotiated"]["license_ids"])
    assert _one(con, "SELECT count(*) FROM lic WHERE price_per_aku IS NULL") >= 5


def test_product_secrets(landing) -> None:
    _, summary, con = landing
    rows = con.execute("SELECT license_id, product_secret FROM lic").fetchall()
    nulls = [lid for lid, secret in rows if secret is None]
    assert nulls == [summary.notes["null_secret_license"]]
    secrets = sorted(secret for _, secret in rows if secret is not None)
    assert secrets == summary.notes["secrets"]
    assert len(set(secrets)) == len(secrets) == len(rows) - 1
    assert all(re.fullmatch(r"amq_sk_[0-9a-f]{32}", s) for s in secrets)


def test_split_license(landing) -> None:
    _, summary, con = landing
    quota, n, envs, total = con.execute(
        "SELECT any_value(aku_quota), count(*), count(DISTINCT environment_id), "
        "sum(aku_allocated) FROM alloc JOIN lic USING (license_id) WHERE license_id = ?",
        [summary.notes["split_license"]],
    ).fetchone()
    assert (n, envs) == (2, 2)
    assert total <= quota


def test_renewal_chain(landing) -> None:
    _, summary, con = landing
    prev_id, next_id = summary.notes["renewal_licenses"]
    rows = con.execute(
        "SELECT license_id, organization_id, term, start_date, end_date FROM lic "
        "WHERE license_id IN (?, ?) ORDER BY start_date",
        [prev_id, next_id],
    ).fetchall()
    assert [r[0] for r in rows] == [prev_id, next_id]
    assert rows[0][1] == rows[1][1]
    assert rows[0][2] == rows[1][2] == "monthly"
    assert rows[1][3] == rows[0][4]  # the renewal starts when the previous licence ends
    assert rows[0][3] < MONTH <= rows[0][4] < dt.date(2026, 11, 1)
    envs = con.execute(
        "SELECT DISTINCT environment_id FROM alloc WHERE license_id IN (?, ?)", [prev_id, next_id]
    ).fetchall()
    assert envs == [(summary.notes["license_scenarios"]["renewal"]["environment_id"],)]


def test_allocation_breaches(landing) -> None:
    _, summary, con = landing
    # allocations of one licence above its quota at some instant (checked where one starts)
    over_quota = con.execute(
        "SELECT DISTINCT t.license_id "
        "FROM (SELECT DISTINCT license_id, valid_from AS at FROM alloc) t "
        "JOIN alloc b ON b.license_id = t.license_id AND b.valid_from <= t.at "
        "  AND (b.valid_to IS NULL OR t.at < b.valid_to) "
        "JOIN lic ON lic.license_id = t.license_id "
        "GROUP BY t.license_id, t.at, lic.aku_quota "
        "HAVING sum(b.aku_allocated) > lic.aku_quota"
    ).fetchall()
    outside_term = con.execute(
        "SELECT DISTINCT license_id FROM alloc JOIN lic USING (license_id) "
        "WHERE valid_from < start_date OR valid_to IS NULL OR valid_to > end_date"
    ).fetchall()
    breach = summary.notes["breach_license"]
    assert over_quota == [(breach,)]
    assert outside_term == [(breach,)]
    details = summary.notes["license_scenarios"]["breach"]
    assert details["over_quota"][1] == details["outside_term_from"]
    # the invalid licence has no allocation
    invalid = summary.notes["invalid_license"]
    assert con.execute("SELECT count(*) FROM alloc WHERE license_id = ?", [invalid]).fetchone() == (
        0,
    )


def test_capacity_over_and_within_allocation(landing) -> None:
    _, summary, con = landing
    rows = con.execute(REQUIRED_SQL).fetchall()
    hot = summary.notes["over_capacity_environment"]
    assert hot == summary.notes["prepaid_heavy_environment"]
    over = [r for r in rows if r[0] == hot and r[2] > r[3]]
    within = [r for r in rows if r[0] == hot and r[2] <= r[3]]
    assert len(over) >= 24 and len(within) >= 24
    assert all(r[3] > 0 for r in rows if r[0] == hot)  # allocated, just not enough
    assert summary.notes["license_scenarios"]["over_capacity"]["hours_over"] > 0
    comfortable = set(summary.notes["within_capacity_environments"])
    assert len(comfortable) >= 5
    assert comfortable | {hot} == set(summary.notes["prepaid_environments"])
    for env in comfortable:
        env_rows = [r for r in rows if r[0] == env]
        assert env_rows, env
        assert all(r[2] <= r[3] for r in env_rows), env


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
    # usage only: no licences
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["usage_events"]
    assert summary.licenses == summary.license_allocations == 0
    assert summary.license_files == []
