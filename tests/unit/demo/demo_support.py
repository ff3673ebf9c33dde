"""What the demo generator's tests share: the `make demo` arguments, the landing as a test sees
it (`Demo`), a DuckDB connection with a view per landed dataset, file digests."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from automq_billing.demo import GenerateSummary

REPO = Path(__file__).resolve().parents[3]
# the arguments of `make demo`
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
ORGS = 12
SEED = 42


@dataclass(frozen=True)
class Demo:
    root: Path
    summary: GenerateSummary
    con: duckdb.DuckDBPyConnection

    @property
    def notes(self) -> dict:
        return self.summary.notes

    def one(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).fetchone()[0]

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()


def digest(root: Path) -> dict[str, str]:
    """sha256 of every file below root, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """Views over the landing's datasets, each with its file's path as `file`: `usage` (hour_start
    and emitted_at as TIMESTAMPTZ), `licenses`, `allocations`, `customers`, `metering`, and
    `billing_events` (all varchar, as delivered). Datasets without files get no view."""
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("SET threads=2")
    views = {
        "usage_landed": ("usage_events", "parquet"),
        "licenses": ("licenses", "parquet"),
        "allocations": ("license_allocations", "parquet"),
        "customers": ("marketplace_customers", "parquet"),
        "metering": ("marketplace_metering", "parquet"),
        "billing_events": ("marketplace_billing_events", "csv"),
    }
    for view, (dataset, suffix) in views.items():
        if not any((root / dataset).rglob(f"*.{suffix}")):
            continue
        glob = str(root / dataset / "**" / f"*.{suffix}").replace("'", "''")
        reader = (
            f"read_parquet('{glob}', union_by_name=true"
            if suffix == "parquet"
            else f"read_csv('{glob}', all_varchar=true"
        )
        con.execute(
            f"CREATE VIEW {view} AS SELECT * FROM {reader}, hive_partitioning=false, "  # noqa: S608
            "filename='file')"
        )
    if any((root / "usage_events").rglob("*.parquet")):  # naive timestamps are UTC
        con.execute(
            "CREATE VIEW usage AS SELECT * REPLACE (CAST(hour_start AS TIMESTAMPTZ) AS "
            "hour_start, CAST(emitted_at AS TIMESTAMPTZ) AS emitted_at) FROM usage_landed"
        )
    return con
