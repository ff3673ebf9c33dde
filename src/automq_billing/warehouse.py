"""The DuckDB warehouse file: connections in UTC, and what a run writes into it before dbt runs
(the run's context, the ledger of issued lines) and after (the loads a build has processed).

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


def _configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("set TimeZone = 'UTC'").fetchall()
    con.execute(f"set memory_limit = '{MEMORY_LIMIT.replace(chr(39), '')}'").fetchall()
    con.execute(f"set threads = {int(THREADS)}").fetchall()
    con.execute("set preserve_insertion_order = false").fetchall()
    return con


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC with the project's memory settings, or BillingError saying why the
    file cannot be opened (held by another process, unwritable, not a DuckDB file)."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise _open_error(path, error) from None
    try:
        yield _configure(con)
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


# what the last close wrote for its build, and what the analyses read after it (issue 16): a
# reconcile builds with its own month and ledger, then puts the close's back
CLOSE_STATE = (
    "control.run_context",
    "ledger.final_months",
    "ledger.issued_statement_lines",
    "ledger.issued_rate_cards",
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


# the loads no successful close build has processed yet (int_usage_loads_pending in dbt)
_PENDING_LOADS = """
    select distinct loaded.load_id
    from control.loaded_files as loaded
    anti join control.processed_loads as processed on loaded.load_id = processed.load_id
"""


def unchecked_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loads whose files no close's landing checks have looked at yet."""
    rows = con.execute(
        "select distinct load_id from control.loaded_files where load_id not in "
        "(select load_id from control.checked_loads) order by load_id"
    ).fetchall()
    return [int(row[0]) for row in rows]


def mark_loads_processed(con: duckdb.DuckDBPyConnection) -> None:
    """Every load is processed once a build has succeeded over it."""
    con.execute(
        f"insert into control.processed_loads select load_id, now() from ({_PENDING_LOADS})"  # noqa: S608
    ).fetchall()


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


def needs_full_rebuild(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """True when the last successful build ran other models than these (or none ran yet)."""
    rows = con.execute(
        "select fingerprint from control.builds order by built_at desc limit 1"
    ).fetchall()
    return not rows or rows[0][0] != fingerprint


def record_build(con: duckdb.DuckDBPyConnection, fingerprint: str, full_refresh: bool) -> None:
    con.execute(
        "insert into control.builds values ($fingerprint, now(), $full)",
        {"fingerprint": fingerprint, "full": full_refresh},
    ).fetchall()


def build_inputs(con: duckdb.DuckDBPyConnection, fingerprint: str, close_month: dt.date) -> str:
    """A digest of what a close's build reads besides the landed rows: the models and seeds
    (their fingerprint), the month being closed and the ledger of issued months (written by
    write_ledger just before)."""
    digest = hashlib.sha256(f"{fingerprint}|{close_month.isoformat()}".encode())
    for table in (
        "ledger.final_months",
        "ledger.issued_statement_lines",
        "ledger.issued_rate_cards",
    ):
        rows = con.execute(f"select * from {table} order by all")  # noqa: S608 (constant names)
        digest.update(f"|{table}|{[column[0] for column in rows.description]}|".encode())
        for row in rows.fetchall():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def built_for(con: duckdb.DuckDBPyConnection, inputs: str) -> bool:
    """True when every loaded file has been processed and the last thing that ran dbt on the
    warehouse was a successful close build with these inputs: building again would write the
    same tables."""
    pending = con.execute(f"select count(*) from ({_PENDING_LOADS})").fetchall()[0][0]  # noqa: S608
    recorded = con.execute("select inputs from control.build_inputs").fetchall()
    return pending == 0 and recorded == [(inputs,)]


def record_build_inputs(con: duckdb.DuckDBPyConnection, inputs: str) -> None:
    con.execute("delete from control.build_inputs").fetchall()
    con.execute("insert into control.build_inputs values ($inputs, now())", {"inputs": inputs})


def reset_processed_loads(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from control.processed_loads").fetchall()
