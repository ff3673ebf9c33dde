"""Benchmark the monthly close against a hand-written DuckDB "engine floor".

    python -m automq_billing.bench --rows N [--seed S] [--month 2026-10] [--workdir DIR]
                                   [--json PATH] [--keep-data] [--skip-close]

1. Generates (or reuses, keyed by rows/seed/month in ``<workdir>/data/<rows>/bench-data.json``) a
   scale landing with :func:`automq_billing.generate.generate_scale_landing`.
2. Runs the installed ``automq-billing close`` as a subprocess and measures its wall time and the
   peak resident memory of its whole process tree (VmRSS of the process and all descendants,
   sampled every 50 ms, maximum of the sum).
3. Runs the "engine floor" the same way: one DuckDB query, in a fresh Python process with the
   same memory/thread settings, that computes the usage-based statement totals per organization
   straight from the Parquet files (validation, duplicates, event-id conflicts, restatements,
   graduated tiers of the default ``2026-01`` rate card, round2 per line).
4. Prints both, their ratio, whether the grand totals match, and writes a JSON report
   (default ``<workdir>/results/bench-<rows>.json``).

Progress goes to stderr; the summary to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from automq_billing.demo import GenerateSummary, generate_scale_landing
from automq_billing.landing import METERS
from automq_billing.months import parse_month_range as parse_months

GENERATOR_VERSION = 1
DUCKDB_SETTINGS = (
    "SET memory_limit='1500MB'",
    "SET threads=2",
    "SET preserve_insertion_order=false",
    "SET TimeZone='UTC'",
)
GIB = 2**30
SAMPLE_SECONDS = 0.05

# default rate card "2026-01" (SPEC section 2): item, tier, lower, upper (NULL = unbounded), price
_DATA_TIERS = (
    ("data_ingress", ("0.050000", "0.035000", "0.025000", "0.015000")),
    ("data_egress", ("0.030000", "0.020000", "0.015000", "0.010000")),
    ("data_retention", ("0.020000", "0.015000", "0.010000", "0.007500")),
)
_TIER_BOUNDS = ((0, 10240), (10240, 102400), (102400, 1024000), (1024000, None))
_UPTIME_PRICES = (("dev", "0.100000"), ("pro", "0.400000"), ("enterprise", "1.200000"))


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the engine floor: one query
# --------------------------------------------------------------------------------------------


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def floor_sql(glob: str, month: dt.date) -> str:
    """One DuckDB query: usage-based total_amount per organization for ``month``."""
    m0 = dt.date(month.year, month.month, 1)
    m1 = dt.date(m0.year + (m0.month == 12), m0.month % 12 + 1, 1)
    hours = (m1 - m0).days * 24
    dec = "DECIMAL(38,6)"
    tier_rows = ",\n        ".join(
        f"('{item}', {k + 1}, {lo}::{dec}, "
        f"{'NULL' if hi is None else str(hi)}::{dec}, {price}::{dec})"
        for item, prices in _DATA_TIERS
        for k, ((lo, hi), price) in enumerate(zip(_TIER_BOUNDS, prices, strict=True))
    )
    uptime_rows = ", ".join(f"('{t}', {p}::{dec})" for t, p in _UPTIME_PRICES)
    meters = ", ".join(f"'{m}'" for m in METERS)
    half_gib, half_ret = GIB // 2, GIB * hours // 2
    return f"""
WITH src AS (
    SELECT event_id, organization_id, environment_id, instance_id, cloud_provider, region,
           pricing_mode, cluster_tier, meter,
           CAST(hour_start AS TIMESTAMPTZ) AS hour_start,
           CAST(quantity AS BIGINT) AS quantity,
           CAST(emitted_at AS TIMESTAMPTZ) AS emitted_at
    FROM read_parquet({_sql_str(glob)}, union_by_name = true, hive_partitioning = false)
),
checked AS (
    SELECT *, CASE
        WHEN event_id IS NULL OR organization_id IS NULL OR environment_id IS NULL
          OR instance_id IS NULL OR cloud_provider IS NULL OR region IS NULL
          OR pricing_mode IS NULL OR meter IS NULL OR hour_start IS NULL
          OR quantity IS NULL OR emitted_at IS NULL
          OR (cluster_tier IS NULL AND pricing_mode = 'usage_based'
              AND meter = 'uptime_seconds') THEN 'missing_field'
        WHEN meter NOT IN ({meters}) THEN 'unknown_meter'
        WHEN pricing_mode NOT IN ('usage_based', 'prepaid') THEN 'unknown_pricing_mode'
        WHEN cluster_tier IS NOT NULL
          AND cluster_tier NOT IN ('dev', 'pro', 'enterprise') THEN 'unknown_cluster_tier'
        WHEN quantity < 0 THEN 'negative_quantity'
        WHEN date_trunc('hour', hour_start) <> hour_start THEN 'misaligned_hour'
        WHEN meter = 'uptime_seconds' AND quantity > 3600 THEN 'uptime_out_of_range'
        WHEN hour_start > emitted_at THEN 'future_hour'
    END AS reason
    FROM src
),
valid AS (SELECT * EXCLUDE (reason) FROM checked WHERE reason IS NULL),
distinct_rows AS (SELECT DISTINCT * FROM valid),
unique_ids AS (
    SELECT * FROM distinct_rows QUALIFY count(*) OVER (PARTITION BY event_id) = 1
),
latest AS (
    SELECT * FROM unique_ids
    QUALIFY emitted_at = max(emitted_at) OVER (PARTITION BY instance_id, hour_start, meter)
),
rated AS (
    SELECT instance_id, hour_start, meter,
           min(organization_id) AS organization_id, min(pricing_mode) AS pricing_mode,
           min(cluster_tier) AS cluster_tier, min(quantity) AS quantity
    FROM latest
    GROUP BY instance_id, hour_start, meter
    HAVING count(DISTINCT quantity) = 1
),
usage AS (
    SELECT * FROM rated
    WHERE pricing_mode = 'usage_based'
      AND hour_start >= TIMESTAMPTZ '{m0} 00:00:00+00'
      AND hour_start < TIMESTAMPTZ '{m1} 00:00:00+00'
),
data_micro AS (
    SELECT organization_id,
           CASE meter WHEN 'ingress_bytes' THEN 'data_ingress'
                      WHEN 'egress_bytes' THEN 'data_egress'
                      ELSE 'data_retention' END AS item,
           CASE WHEN meter = 'retained_bytes'
                THEN (sum(quantity)::HUGEINT * 1000000 + {half_ret}) // {GIB * hours}
                ELSE (sum(quantity)::HUGEINT * 1000000 + {half_gib}) // {GIB}
           END AS micro
    FROM usage
    WHERE meter IN ('ingress_bytes', 'egress_bytes', 'retained_bytes')
    GROUP BY organization_id, meter
),
data_qty AS (
    SELECT organization_id, item, micro::DECIMAL(38,0) * 0.000001::{dec} AS q FROM data_micro
),
tiers(item, tier, lower_b, upper_b, price) AS (
    VALUES
        {tier_rows}
),
uptime_prices(cluster_tier, price) AS (VALUES {uptime_rows}),
lines AS (
    SELECT d.organization_id,
           round((least(d.q, coalesce(t.upper_b, d.q)) - t.lower_b) * t.price, 2) AS amount
    FROM data_qty d JOIN tiers t ON t.item = d.item AND t.lower_b < d.q
    UNION ALL
    SELECT u.organization_id, round(count(*)::{dec} * p.price, 2) AS amount
    FROM usage u JOIN uptime_prices p ON p.cluster_tier = u.cluster_tier
    WHERE u.meter = 'uptime_seconds' AND u.quantity > 0
    GROUP BY u.organization_id, u.cluster_tier, p.price
)
SELECT organization_id, CAST(sum(amount) AS DECIMAL(38,2)) AS total_amount
FROM lines
GROUP BY organization_id
ORDER BY organization_id
"""  # noqa: S608 (constants and a quoted path only)


_FLOOR_CODE = """
import json, sys, duckdb
sql_path, out_path, tmp_dir, settings = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
con = duckdb.connect()
for s in json.loads(settings):
    con.execute(s)
con.execute("SET temp_directory=" + "'" + tmp_dir.replace("'", "''") + "'")
rows = con.execute(open(sql_path).read()).fetchall()
with open(out_path, "w") as f:
    json.dump({"totals": [[o, str(t)] for o, t in rows]}, f)
"""


# --------------------------------------------------------------------------------------------
# measuring a process tree
# --------------------------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        try:
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS (KiB) of ``root`` and all its descendants."""
    children = _children_map()
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack.extend(children.get(pid, ()))
    return total


def run_measured(cmd: list[str], log_path: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd``; return wall seconds, peak tree RSS and the child's own max RSS."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        last_note = start
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            peak = max(peak, tree_rss_kib(proc.pid))
            now = time.perf_counter()
            if now - last_note >= 30:
                _log(f"  ... {now - start:.0f}s, peak RSS so far {peak / 1024:.0f} MiB")
                last_note = now
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "command": cmd,
        "returncode": proc.returncode,
        "wall_seconds": round(wall, 3),
        "peak_rss_mib": round(peak / 1024, 1),
        "child_maxrss_mib": round(usage.ru_maxrss / 1024, 1),
        "rusage_children_maxrss_mib": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "log": str(log_path),
    }


# --------------------------------------------------------------------------------------------
# data, close, floor
# --------------------------------------------------------------------------------------------


def ensure_data(data_dir: Path, rows: int, seed: int, month: dt.date) -> tuple[dict, bool, float]:
    """Generate the scale landing in ``data_dir`` unless a matching one is cached there."""
    key = {"rows": rows, "seed": seed, "month": f"{month:%Y-%m}", "generator": GENERATOR_VERSION}
    meta_path = data_dir / "bench-data.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
        files = [Path(p) for p in meta.get("summary", {}).get("files", [])]
        if meta.get("key") == key and files and all(p.exists() for p in files):
            _log(f"reusing landing in {data_dir} ({meta['summary']['rows']} rows)")
            return meta["summary"], True, 0.0
    events = data_dir / "usage_events"
    if events.exists():
        _log(f"removing stale benchmark landing {events}")
        shutil.rmtree(events)
    meta_path.unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    _log(f"generating ~{rows} rows for {month:%Y-%m} (seed {seed}) in {data_dir}")
    t0 = time.perf_counter()
    summary: GenerateSummary = generate_scale_landing(
        data_dir, rows, month, seed, progress=lambda m: _log("  " + m)
    )
    seconds = time.perf_counter() - t0
    d = summary.to_dict()
    d["generate_seconds"] = round(seconds, 3)
    meta_path.write_text(json.dumps({"key": key, "summary": d}, indent=2) + "\n")
    _log(f"generated {summary.rows} rows in {seconds:.1f}s")
    return d, False, seconds


def close_totals(statements: Path) -> dict[str, Decimal]:
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        "SELECT organization_id, CAST(sum(total_amount) AS DECIMAL(38,2)) "
        "FROM read_parquet(?) GROUP BY organization_id",
        [str(statements)],
    ).fetchall()
    return {o: Decimal(t) for o, t in rows}


def compare_totals(close: dict[str, Decimal], floor: dict[str, Decimal]) -> dict[str, Any]:
    orgs = set(close) | set(floor)
    mismatched = sorted(
        o for o in orgs if close.get(o, Decimal("0.00")) != floor.get(o, Decimal("0.00"))
    )
    close_total = sum(close.values(), Decimal("0.00"))
    floor_total = sum(floor.values(), Decimal("0.00"))
    return {
        "close_grand_total": str(close_total),
        "floor_grand_total": str(floor_total),
        "grand_totals_match": close_total == floor_total,
        "organizations_compared": len(orgs),
        "organizations_mismatched": len(mismatched),
        "mismatched_examples": [
            {"organization_id": o, "close": str(close.get(o)), "floor": str(floor.get(o))}
            for o in mismatched[:10]
        ],
    }


def run_floor(landing: Path, month: dt.date, run_dir: Path) -> tuple[dict, dict[str, Decimal]]:
    glob = str(landing / "usage_events" / "**" / "*.parquet")
    sql_path = run_dir / "floor.sql"
    out_path = run_dir / "floor-totals.json"
    tmp_dir = run_dir / "floor-tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    sql_path.write_text(floor_sql(glob, month))
    cmd = [
        sys.executable,
        "-c",
        _FLOOR_CODE,
        str(sql_path),
        str(out_path),
        str(tmp_dir),
        json.dumps(list(DUCKDB_SETTINGS)),
    ]
    _log("running the engine floor (one DuckDB query)")
    res = run_measured(cmd, run_dir / "floor.log")
    res["command"] = [sys.executable, "-c", "<floor query>", str(sql_path)]
    totals: dict[str, Decimal] = {}
    if res["returncode"] == 0:
        data = json.loads(out_path.read_text())
        totals = {o: Decimal(t) for o, t in data["totals"]}
        res["grand_total"] = str(sum(totals.values(), Decimal("0.00")))
    _log(f"floor: rc={res['returncode']} {res['wall_seconds']}s peak {res['peak_rss_mib']} MiB")
    return res, totals


def close_command() -> Path:
    return Path(sys.executable).parent / "automq-billing"


def run_close(
    landing: Path, month: dt.date, run_dir: Path, project_dir: Path | None
) -> tuple[dict, dict[str, Decimal] | None]:
    exe = close_command()
    out, wh = run_dir / "close-output", run_dir / "close-warehouse" / "billing.duckdb"
    wh.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(exe),
        "close",
        "--month",
        f"{month:%Y-%m}",
        "--landing",
        str(landing),
        "--output",
        str(out),
        "--warehouse",
        str(wh),
    ]
    if project_dir is not None:
        cmd += ["--project-dir", str(project_dir)]
    if not exe.exists():
        _log(f"close: {exe} not found (install the project into this interpreter's environment)")
        return {"command": cmd, "error": f"{exe} not found"}, None
    _log("running the close: " + " ".join(cmd))
    res = run_measured(cmd, run_dir / "close.log")
    totals = None
    statements = out / f"{month:%Y-%m}" / "v1" / "statements.parquet"
    if res["returncode"] == 0 and statements.exists():
        totals = close_totals(statements)
        res["grand_total"] = str(sum(totals.values(), Decimal("0.00")))
        res["statements"] = str(statements)
    elif res["returncode"] == 0:
        res["error"] = f"{statements} not found"
    _log(f"close: rc={res['returncode']} {res['wall_seconds']}s peak {res['peak_rss_mib']} MiB")
    return res, totals


def machine_info() -> dict[str, Any]:
    mem_kib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "total_memory_mib": round(mem_kib / 1024) if mem_kib else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "dbt_core": version("dbt-core"),
        "dbt_duckdb": version("dbt-duckdb"),
        "pyarrow": version("pyarrow"),
        "automq_billing": version("automq-billing"),
    }


def _dir_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def _per_second(rows: int, res: dict) -> float | None:
    wall = res.get("wall_seconds")
    if not wall or res.get("returncode") != 0:
        return None
    return round(rows / wall, 1)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m automq_billing.bench",
        description="Time the monthly close against a one-query DuckDB engine floor.",
    )
    p.add_argument("--rows", type=int, required=True, help="about how many usage rows to land")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--month", default="2026-10", help="YYYY-MM (default 2026-10)")
    p.add_argument("--workdir", type=Path, default=Path("bench"), help="default ./bench")
    p.add_argument(
        "--json", type=Path, help="report path (default <workdir>/results/bench-<rows>.json)"
    )
    p.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the close output, warehouse and floor files in <workdir>/runs/ "
        "(default: a temporary folder removed at the end; the landing is always kept as a cache)",
    )
    p.add_argument("--skip-close", action="store_true", help="time the engine floor only")
    p.add_argument("--project-dir", type=Path, help="passed to `automq-billing close`")
    args = p.parse_args(argv)
    if args.rows < 1:
        p.error("--rows must be >= 1")
    try:
        (month,) = parse_months(args.month)
    except ValueError as e:
        p.error(str(e))

    workdir: Path = args.workdir.resolve()
    data_dir = workdir / "data" / str(args.rows)
    summary, reused, gen_seconds = ensure_data(data_dir, args.rows, args.seed, month)
    landed = int(summary["rows"])

    if args.keep_data:
        run_dir = workdir / "runs" / f"{args.rows}-{args.seed}-{month:%Y-%m}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        cleanup = None
    else:
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        cleanup = tempfile.TemporaryDirectory(prefix="bench-run-", dir=workdir / "tmp")
        run_dir = Path(cleanup.name)

    try:
        floor_res, floor_totals = run_floor(data_dir, month, run_dir)
        if args.skip_close:
            close_res, close_tot = {"skipped": True}, None
        else:
            close_res, close_tot = run_close(data_dir, month, run_dir, args.project_dir)
        failed_run = any(
            r.get("returncode") not in (0, None) or "error" in r for r in (floor_res, close_res)
        )
        if not args.keep_data:
            for res in (floor_res, close_res):
                log = Path(res.pop("log", "") or run_dir / "missing")
                if failed_run and log.exists():
                    kept = workdir / "results" / f"bench-{args.rows}-{log.name}"
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(log, kept)
                    res["log"] = str(kept)
                    _log(f"kept the failing run's log: {kept}")
    finally:
        if cleanup is not None:
            cleanup.cleanup()

    floor_res["rows_per_second"] = _per_second(landed, floor_res)
    close_res["rows_per_second"] = _per_second(landed, close_res)
    comparison = (
        compare_totals(close_tot, floor_totals)
        if close_tot is not None and floor_res.get("returncode") == 0
        else None
    )
    report = {
        "benchmark": "automq-billing close vs one-query DuckDB floor",
        "month": f"{month:%Y-%m}",
        "seed": args.seed,
        "requested_rows": args.rows,
        "landed_rows": landed,
        "landing": {
            "path": str(data_dir),
            "files": len(summary["files"]),
            "parquet_bytes": _dir_bytes(data_dir),
            "reused": reused,
            "generate_seconds": summary.get("generate_seconds")
            if reused
            else round(gen_seconds, 3),
            "organizations": summary["organizations"],
            "instances": summary["instances"],
        },
        "duckdb_settings": list(DUCKDB_SETTINGS),
        "machine": machine_info(),
        "close": close_res,
        "floor": floor_res,
        "ratio_close_over_floor": {
            "wall": _ratio(close_res.get("wall_seconds"), floor_res.get("wall_seconds")),
            "peak_rss": _ratio(close_res.get("peak_rss_mib"), floor_res.get("peak_rss_mib")),
        },
        "totals": comparison,
    }
    json_path: Path = args.json or (workdir / "results" / f"bench-{args.rows}.json")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n")

    def line(name: str, res: dict) -> str:
        if res.get("skipped"):
            return f"{name:<6} skipped"
        if "wall_seconds" not in res:
            return f"{name:<6} not run: {res.get('error')}"
        rps = res.get("rows_per_second")
        return (
            f"{name:<6} rc={res['returncode']} wall {res['wall_seconds']:>9.2f} s  "
            f"peak RSS {res['peak_rss_mib']:>8.1f} MiB  "
            f"{(f'{rps:,.0f}' if rps else '-'):>12} rows/s  total {res.get('grand_total', '-')}"
        )

    print(f"benchmark {month:%Y-%m}: {landed:,} landed rows ({len(summary['files'])} files)")
    print(line("close", close_res))
    print(line("floor", floor_res))
    r = report["ratio_close_over_floor"]
    print(f"ratio close/floor: wall {r['wall']}  peak RSS {r['peak_rss']}")
    if comparison is not None:
        verdict = "MATCH" if comparison["grand_totals_match"] else "MISMATCH"
        print(
            f"grand totals: close {comparison['close_grand_total']} "
            f"floor {comparison['floor_grand_total']} -> {verdict} "
            f"({comparison['organizations_mismatched']} of "
            f"{comparison['organizations_compared']} organizations differ)"
        )
    print(f"report: {json_path}")
    failed = failed_run
    if comparison is not None and not comparison["grand_totals_match"]:
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
