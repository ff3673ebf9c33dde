"""The engine floor: one hand-written DuckDB query that computes the usage-based statement totals
per organization for a month straight from the landed files, under the close's DuckDB settings.

It is an independent reading of SPEC 1.1 and 3 (the benchmark's, not the warehouse's): the
meters, pricing modes and cluster tiers come from the vocabulary and the prices from the seeds,
the rules are written once more in plain SQL. The benchmark checks that it and the close agree
to the cent."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

from automq_billing.bench.measure import run_measured
from automq_billing.landing.load import glob_escaped
from automq_billing.months import days_in_month, next_month
from automq_billing.vocabulary import load_vocabulary, read_seed

DUCKDB_SETTINGS = (
    "SET memory_limit='1500MB'",
    "SET threads=2",
    "SET preserve_insertion_order=false",
    "SET TimeZone='UTC'",
)
GIB = 2**30
CONTENT = (
    "organization_id, environment_id, instance_id, cloud_provider, region, pricing_mode, "
    "cluster_tier, meter, hour_start, quantity, emitted_at"
)


def _in_force(rows: list[dict], month: dt.date, key: str) -> list[dict]:
    """The rows of the newest version whose effective_from is on or before the month."""
    versions = sorted({r["effective_from"] for r in rows if r["effective_from"] <= month})
    if not versions:
        raise ValueError(f"no {key} version in force for {month:%Y-%m}")
    return [r for r in rows if r["effective_from"] == versions[-1]]


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, Decimal | int):
        return f"{value}::DECIMAL(38,6)"
    return "'" + str(value).replace("'", "''") + "'"


def _strings(values: list[str]) -> str:
    return ", ".join(_literal(v) for v in values)


def floor_sql(project_dir: Path, month: dt.date) -> str:
    vocabulary = load_vocabulary(project_dir)
    first, after = month.replace(day=1), next_month(month)
    hours = days_in_month(first) * 24
    tiers = _in_force(read_seed(project_dir, "rate_card_tiers"), first, "rate_card_tiers")
    uptime = _in_force(read_seed(project_dir, "rate_card_uptime"), first, "rate_card_uptime")
    tier_rows = ",\n        ".join(
        f"({_literal(t['billing_item'])}, {_literal(t['tier_mode'])}, {t['tier']}, "
        f"{_literal(t['lower_bound'])}, {_literal(t['upper_bound'])}, {_literal(t['unit_price'])})"
        for t in tiers
    )
    uptime_rows = ", ".join(
        f"({_literal(u['cluster_tier'])}, {_literal(u['hourly_price'])})" for u in uptime
    )
    items = vocabulary.meter_billing_items
    return f"""
WITH src AS (
    SELECT CAST(event_id AS VARCHAR) AS event_id,
        CAST(organization_id AS VARCHAR) AS organization_id,
        CAST(environment_id AS VARCHAR) AS environment_id,
        CAST(instance_id AS VARCHAR) AS instance_id,
        CAST(cloud_provider AS VARCHAR) AS cloud_provider, CAST(region AS VARCHAR) AS region,
        CAST(pricing_mode AS VARCHAR) AS pricing_mode,
        CAST(cluster_tier AS VARCHAR) AS cluster_tier,
        CAST(meter AS VARCHAR) AS meter, CAST(hour_start AS TIMESTAMPTZ) AS hour_start,
        CAST(quantity AS BIGINT) AS quantity, CAST(emitted_at AS TIMESTAMPTZ) AS emitted_at
    FROM read_parquet($files, union_by_name = true, hive_partitioning = false)
),
valid AS (
    SELECT * FROM src
    WHERE event_id IS NOT NULL AND organization_id IS NOT NULL AND environment_id IS NOT NULL
      AND instance_id IS NOT NULL AND cloud_provider IS NOT NULL AND region IS NOT NULL
      AND pricing_mode IS NOT NULL AND meter IS NOT NULL AND hour_start IS NOT NULL
      AND quantity IS NOT NULL AND emitted_at IS NOT NULL
      AND NOT (cluster_tier IS NULL AND pricing_mode = 'usage_based' AND meter = 'uptime_seconds')
      AND NOT list_bool_or([
          v = '' OR regexp_matches(v, '^[\\s\\pZ]|[\\s\\pZ]$|[\\x00-\\x1f\\x7f-\\x9f]')
          FOR v IN [event_id, organization_id, environment_id, instance_id]])
      AND meter IN ({_strings(vocabulary.usage_meters)})
      AND pricing_mode IN ({_strings(vocabulary.pricing_modes)})
      AND (cluster_tier IS NULL OR cluster_tier IN ({_strings(vocabulary.cluster_tiers)}))
      AND quantity >= 0
      AND date_trunc('hour', hour_start) = hour_start
      AND NOT (meter = 'uptime_seconds' AND quantity > 3600)
      AND hour_start <= emitted_at
),
distinct_rows AS (SELECT DISTINCT * FROM valid),
unique_ids AS (SELECT * FROM distinct_rows QUALIFY count(*) OVER (PARTITION BY event_id) = 1),
latest AS (
    SELECT * FROM unique_ids
    QUALIFY emitted_at = max(emitted_at) OVER (PARTITION BY instance_id, hour_start, meter)
),
rated AS (
    SELECT instance_id, hour_start, meter, any_value(organization_id) AS organization_id,
        any_value(pricing_mode) AS pricing_mode, any_value(cluster_tier) AS cluster_tier,
        any_value(quantity) AS quantity
    FROM latest
    GROUP BY instance_id, hour_start, meter
    HAVING count(DISTINCT row({CONTENT})) = 1
),
usage AS (
    SELECT * FROM rated
    WHERE pricing_mode = 'usage_based'
      AND hour_start >= TIMESTAMPTZ '{first} 00:00:00+00'
      AND hour_start < TIMESTAMPTZ '{after} 00:00:00+00'
),
data_micro AS (
    SELECT organization_id,
        CASE meter {" ".join(f"WHEN '{m}' THEN '{i}'" for m, i in items.items())} END AS item,
        CASE WHEN meter = 'retained_bytes'
             THEN (sum(quantity)::HUGEINT * 1000000 + {GIB * hours // 2}) // {GIB * hours}
             ELSE (sum(quantity)::HUGEINT * 1000000 + {GIB // 2}) // {GIB}
        END AS micro
    FROM usage
    WHERE meter IN ('ingress_bytes', 'egress_bytes', 'retained_bytes')
    GROUP BY organization_id, meter
),
data_qty AS (
    SELECT organization_id, item, micro::DECIMAL(38,0) * 0.000001::DECIMAL(38,6) AS q
    FROM data_micro WHERE micro > 0
),
tiers(item, tier_mode, tier, lower_b, upper_b, price) AS (
    VALUES
        {tier_rows}
),
uptime_prices(cluster_tier, price) AS (VALUES {uptime_rows}),
lines AS (
    SELECT d.organization_id,
        round(CASE WHEN t.tier_mode = 'volume' THEN d.q
                   ELSE least(d.q, coalesce(t.upper_b, d.q)) - t.lower_b END * t.price, 2) AS amount
    FROM data_qty d JOIN tiers t ON t.item = d.item
     AND ((t.tier_mode = 'graduated' AND t.lower_b < d.q)
       OR (t.tier_mode = 'volume' AND t.lower_b <= d.q AND (t.upper_b IS NULL OR d.q < t.upper_b)))
    UNION ALL
    SELECT u.organization_id, round(count(*)::DECIMAL(38,6) * p.price, 2)
    FROM usage u JOIN uptime_prices p ON p.cluster_tier = u.cluster_tier
    WHERE u.meter = 'uptime_seconds' AND u.quantity > 0
    GROUP BY u.organization_id, u.cluster_tier, p.price
)
SELECT organization_id, CAST(sum(amount) AS DECIMAL(38,2)) AS total_amount
FROM lines GROUP BY organization_id ORDER BY organization_id
"""  # noqa: S608 (constants from the seeds and the vocabulary; the files are a bound parameter)


_FLOOR_PROCESS = """
import json, sys, duckdb
sql_path, files_path, out_path, tmp_dir, settings = sys.argv[1:6]
con = duckdb.connect()
for statement in json.loads(settings):
    con.execute(statement).fetchall()
con.execute("SET temp_directory = '" + tmp_dir.replace("'", "''") + "'").fetchall()
files = json.load(open(files_path))
rows = con.execute(open(sql_path).read(), {"files": files}).fetchall()
json.dump({"totals": [[o, str(t)] for o, t in rows]}, open(out_path, "w"))
"""


def run_floor(
    project_dir: Path, landing: Path, month: dt.date, run_dir: Path
) -> tuple[dict, dict[str, Decimal]]:
    """Runs the floor query in a fresh process (same settings as the close); returns the
    measurement and the totals per organization."""
    run_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in (landing / "usage_events").rglob("*.parquet"))
    (run_dir / "floor.sql").write_text(floor_sql(project_dir, month))
    (run_dir / "floor-files.json").write_text(json.dumps([glob_escaped(Path(f)) for f in files]))
    (run_dir / "floor-tmp").mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-c",
        _FLOOR_PROCESS,
        str(run_dir / "floor.sql"),
        str(run_dir / "floor-files.json"),
        str(run_dir / "floor-totals.json"),
        str(run_dir / "floor-tmp"),
        json.dumps(list(DUCKDB_SETTINGS)),
    ]
    result = run_measured(command, run_dir / "floor.log")
    totals: dict[str, Decimal] = {}
    if result["returncode"] == 0:
        data = json.loads((run_dir / "floor-totals.json").read_text())
        totals = {o: Decimal(t) for o, t in data["totals"]}
        result["grand_total"] = str(sum(totals.values(), Decimal("0.00")))
    return result, totals
