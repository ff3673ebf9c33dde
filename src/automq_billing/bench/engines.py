"""The `engines` scenario (SPEC 11): the same landing of ROWS rows for one month closed on DuckDB
and on Spark (a local session, `local[*]`), each as users run it (`automq-billing close
--engine ...`, documents included), with the wall time and peak memory of each, and whether both
published the same usage totals per organization. `make bench BENCH=engines ROWS=1000000` and
`ROWS=10000000` give the README's two rows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from automq_billing.bench.scenarios import Log, close, scale_landing

ENGINES = ("duckdb", "spark")


def engines(
    project_dir: Path, workdir: Path, rows: int, seed: int, month: dt.date, log: Log
) -> dict[str, Any]:
    # the small scenario's landing of the same size and seed, generated once
    landing = scale_landing(
        project_dir, workdir / "data" / f"small-{rows}-{seed}", rows, seed, month, log
    )
    run = workdir / "runs" / f"engines-{rows}"
    shutil.rmtree(run, ignore_errors=True)
    closes: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        log(f"closing {month:%Y-%m} ({rows:,} rows) on {engine}")
        warehouse = run / engine / ("spark" if engine == "spark" else "billing.duckdb")
        closes[engine] = close(
            landing,
            run / engine / "output",
            warehouse,
            month,
            project_dir,
            run / f"close-{engine}.log",
            engine=engine,
        )
        log(
            f"{engine}: {closes[engine]['wall_seconds']} s, "
            f"peak {closes[engine]['peak_rss_mib']} MiB"
        )
    totals = [closes[engine].pop("usage_totals", None) for engine in ENGINES]
    match = totals[0] is not None and totals[0] == totals[1]
    duck, spark = closes["duckdb"]["wall_seconds"], closes["spark"]["wall_seconds"]
    ratio = round(spark / duck, 2) if duck and spark else None
    return {
        "scenario": "engines",
        "rows": rows,
        "month": f"{month:%Y-%m}",
        "duckdb": closes["duckdb"],
        "spark": closes["spark"],
        "ratio_spark_over_duckdb": ratio,
        "totals_match": match,
        "summary": [
            f"engines: {rows:,} rows, {month:%Y-%m}",
            f"  duckdb close {duck} s (peak {closes['duckdb']['peak_rss_mib']} MiB), "
            f"spark close {spark} s (peak {closes['spark']['peak_rss_mib']} MiB), ratio {ratio}, "
            f"totals {'match' if match else 'DIFFER'}",
            f"  spark close stages (s): {closes['spark'].get('timings')}",
        ],
    }
