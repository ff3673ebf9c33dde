"""The DuckDB warehouse file: connections in UTC, and what a run writes into it before dbt runs
(the run's context, the ledger of issued lines); the control state of builds is `build.state`.

Only one process may write the file at a time: these connections are opened and closed around
dbt, never while it runs. Readers open it read-only once dbt has exited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from automq_billing.errors import BillingError

MEMORY_LIMIT = os.environ.get("AUTOMQ_BILLING_MEMORY_LIMIT", "1500MB")
THREADS = os.environ.get("AUTOMQ_BILLING_THREADS", "2")
# the limit of each DuckDB a close runs beside its other processes (the load child, the dbt child,
# its own reads): the close (about 200 MiB) and dbt's interpreter (about 250 MiB) share the
# machine with it, and the whole process tree is to stay under 2 GiB at 50 million rows (issue
# 18; above 10 million landed rows the validation worker starts only after dbt). DuckDB's
# resident memory runs about a fifth over its limit: at 1100MB the dbt child peaked at 1,570 MiB
# at 50 million rows; at 1000MB dbt's unique check of 50 million landed rows ran out of memory.
# Never above MEMORY_LIMIT.
CLOSE_MEMORY_LIMIT_DEFAULT = "1100MB"
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(size: str) -> float | None:
    text = size.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    try:
        return float(number) * _UNITS[text[len(number) :]]
    except (ValueError, KeyError):
        return None


def close_memory_limit() -> str:
    """The memory_limit of each DuckDB a close runs beside its other processes:
    AUTOMQ_BILLING_CLOSE_MEMORY_LIMIT when set, else the smaller of 1100MB and the project's
    limit (AUTOMQ_BILLING_MEMORY_LIMIT, 1500MB)."""
    chosen = os.environ.get("AUTOMQ_BILLING_CLOSE_MEMORY_LIMIT")
    if chosen:
        return chosen
    ours, default = _bytes(MEMORY_LIMIT), _bytes(CLOSE_MEMORY_LIMIT_DEFAULT)
    if ours is not None and default is not None and ours < default:
        return MEMORY_LIMIT
    return CLOSE_MEMORY_LIMIT_DEFAULT


def _configure(
    con: duckdb.DuckDBPyConnection, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    limit = (memory_limit or MEMORY_LIMIT).replace(chr(39), "")
    con.execute("set TimeZone = 'UTC'").fetchall()
    con.execute(f"set memory_limit = '{limit}'").fetchall()
    con.execute(f"set threads = {int(THREADS)}").fetchall()
    con.execute("set preserve_insertion_order = false").fetchall()
    return con


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC with the project's memory settings (`memory_limit` instead of the
    project's limit when given), or BillingError saying why the file cannot be opened (held by
    another process, unwritable, not a DuckDB file)."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise _open_error(path, error) from None
    try:
        yield _configure(con, memory_limit)
    except duckdb.Error as error:
        if _damaged(error, path):  # a damaged block is found when read, not when the file opens
            raise _damaged_error(path, error) from None
        raise
    finally:
        con.close()


def _damaged(error: duckdb.Error, path: Path) -> bool:
    """What DuckDB says of a database file that is truncated or whose blocks do not match their
    checksums (a landed Parquet file's problems are the load's, named by it)."""
    text = str(error).lower()
    return (
        "corrupt database file" in text
        or ("checksum" in text and "block" in text)
        or "not a valid duckdb database" in text
        or ("could not read enough bytes" in text and str(path).lower() in text)
    )


def _damaged_error(path: Path, error: duckdb.Error) -> BillingError:
    return BillingError(
        f"The warehouse {path} is damaged (truncated or corrupt: "
        f"{str(error).splitlines()[0][:160]}); nothing was written.",
        hint=f"move {path} away (and its .wal file, if any) and run the close again with "
        "--full-refresh: the warehouse is rebuilt from the landing zone, which holds everything "
        "it had",
    )


def _open_error(path: Path, error: duckdb.Error) -> BillingError:
    text = str(error)
    if _damaged(error, path):
        return _damaged_error(path, error)
    if "could not set lock" in text.lower() or "conflicting lock" in text.lower():
        return BillingError(
            f"The warehouse {path} is open in another process (DuckDB allows one writer at a "
            "time).",
            hint="close the other program that has it open (a DuckDB shell, a notebook, dbt) and "
            "run again",
        )
    if "permission" in text.lower() or "read-only" in text.lower():
        return BillingError(
            f"The warehouse {path} cannot be written by this user.",
            hint=f"make {path} and its folder writable, or pass another --warehouse",
        )
    return BillingError(
        f"The warehouse {path} cannot be opened: {text.splitlines()[0][:200]}",
        hint="pass --warehouse pointing at a DuckDB file this project created (or a new path)",
    )


def check_writable(path: Path) -> None:
    """Refuses at once when the warehouse cannot be written (before any work is done)."""
    folder = path.parent
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BillingError(
            f"The warehouse folder {folder} cannot be created or written by this user.",
            hint="pass a --warehouse in a writable folder",
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise BillingError(
            f"The warehouse {path} is read-only for this user.",
            hint=f"make {path} writable, or pass another --warehouse",
        )


def write_run_context(
    con: duckdb.DuckDBPyConnection, close_month: dt.date | None, run_id: str
) -> None:
    con.execute("delete from control.run_context").fetchall()
    con.execute(
        "insert into control.run_context values ($month, $run, now())",
        {"month": close_month, "run": run_id},
    ).fetchall()


def write_ledger(
    con: duckdb.DuckDBPyConnection, final_months: list[tuple], issued_lines: pa.Table
) -> None:
    """The final months before the month being closed, and the lines of their final versions."""
    con.execute("delete from ledger.final_months").fetchall()
    con.execute("delete from ledger.issued_statement_lines").fetchall()
    if final_months:
        con.executemany(
            "insert into ledger.final_months values (?, ?, ?, ?)", final_months
        ).fetchall()
    if issued_lines.num_rows:
        con.register("issued_lines", issued_lines)
        try:
            con.execute(
                "insert into ledger.issued_statement_lines by name select * from issued_lines"
            ).fetchall()
        finally:
            con.unregister("issued_lines")


def write_issued_rate_cards(con: duckdb.DuckDBPyConnection, rate_cards: pa.Table) -> None:
    """The rate cards the final months were issued at (ledger.issued_rate_cards)."""
    con.execute("delete from ledger.issued_rate_cards").fetchall()
    if rate_cards.num_rows:
        con.register("issued_rate_cards", rate_cards)
        try:
            con.execute(
                "insert into ledger.issued_rate_cards by name select * from issued_rate_cards"
            ).fetchall()
        finally:
            con.unregister("issued_rate_cards")


def write_issued_deferred_revenue(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """The final months' issued deferred revenue roll-forwards (ledger.issued_deferred_revenue)."""
    con.execute("delete from ledger.issued_deferred_revenue").fetchall()
    if rows.num_rows:
        con.register("issued_deferred_revenue", rows)
        try:
            con.execute(
                "insert into ledger.issued_deferred_revenue by name "
                "select * from issued_deferred_revenue"
            ).fetchall()
        finally:
            con.unregister("issued_deferred_revenue")


# what the last close wrote for its build, and what the analyses read after it (issue 16): a
# reconcile builds with its own month and ledger, then puts the close's back
CLOSE_STATE = (
    "control.run_context",
    "ledger.final_months",
    "ledger.issued_statement_lines",
    "ledger.issued_rate_cards",
    "ledger.issued_deferred_revenue",
)


def saved_close_state(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    return {table: con.sql(f"select * from {table}").to_arrow_table() for table in CLOSE_STATE}  # noqa: S608


def restore_close_state(con: duckdb.DuckDBPyConnection, saved: dict[str, pa.Table]) -> None:
    con.execute("begin transaction").fetchall()
    for table, rows in saved.items():
        con.execute(f"delete from {table}").fetchall()  # noqa: S608 (constant names)
        if rows.num_rows:
            con.register("saved_rows", rows)
            try:
                con.execute(f"insert into {table} by name select * from saved_rows").fetchall()  # noqa: S608
            finally:
                con.unregister("saved_rows")
    con.execute("commit").fetchall()


def unchecked_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loads whose files no close's landing checks have looked at yet."""
    rows = con.execute(
        "select distinct load_id from control.loaded_files where load_id not in "
        "(select load_id from control.checked_loads) order by load_id"
    ).fetchall()
    return [int(row[0]) for row in rows]


# What dbt reads besides the folders dbt_project.yml names (dbt's defaults for those it omits)
_DBT_FILES = (
    "dbt_project.yml",
    "profiles.yml",
    "packages.yml",
    "dependencies.yml",
    "selectors.yml",
)
_DBT_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "macro-paths": ["macros"],
    "analysis-paths": ["analyses"],
    "snapshot-paths": ["snapshots"],
    "docs-paths": [],
}


def dbt_project_files(project_dir: Path) -> list[Path]:
    """Every file dbt reads from the project: dbt_project.yml, the profile, and every file under
    the model, seed, test (data tests and unit-test fixtures), macro, analysis, snapshot and docs
    paths dbt_project.yml names, in a fixed order."""
    try:
        config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise BillingError(
            f"{project_dir / 'dbt_project.yml'} cannot be read ({error}).",
            hint="pass --project-dir pointing at a copy of the automq-billing repository",
        ) from None
    config = config if isinstance(config, dict) else {}
    folders = {
        str(folder)
        for key, default in _DBT_PATHS.items()
        for folder in (config.get(key) or default)
    }
    files = {project_dir / name for name in _DBT_FILES if (project_dir / name).is_file()}
    for folder in folders:
        files.update(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return sorted(files)


def code_fingerprint(project_dir: Path) -> str:
    """sha256 over every file dbt reads from the project (dbt_project_files: models, macros,
    seeds, data tests, analyses, ...): what a build computes and checks with. A change to any of
    them (an upgrade, an edited model, a new rate card version, a new data test) rebuilds every
    table and runs every test, so no month keeps rows computed by other rules or prices and no
    new check is skipped by a close that reuses the warehouse."""
    digest = hashlib.sha256()
    for path in dbt_project_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
