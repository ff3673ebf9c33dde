"""The control state of builds, one table (control.builds, one row per build a close ran): which
models the last successful build ran (a full rebuild follows a change), for which inputs (a close
with the same inputs and no pending load reuses the warehouse), and which loads it processed
(every load up to its processed_through). "Processed" means that a successful close build covered
the load. A reconcile builds without recording: its loads stay pending (see reconcile.py). A full
refresh empties the table with the register (landing.load), so the next build is a full one."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb

# every load up to this one a successful build has processed (int_usage_loads_pending in dbt)
_PENDING_LOADS = """
    select distinct load_id from control.loaded_files
    where load_id > (
        select coalesce(max(processed_through), 0) from control.builds
        where status = 'succeeded'
    )
"""


def pending_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loads no successful close build has processed yet."""
    rows = con.execute(f"{_PENDING_LOADS} order by load_id").fetchall()  # noqa: S608
    return [int(row[0]) for row in rows]


def needs_full_rebuild(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """True when the last successful build ran other models than these (or none ran yet)."""
    rows = con.execute(
        "select fingerprint from control.builds where status = 'succeeded' "
        "order by build_id desc limit 1"
    ).fetchall()
    return not rows or rows[0][0] != fingerprint


def build_inputs(con: duckdb.DuckDBPyConnection, fingerprint: str, close_month: dt.date) -> str:
    """A digest of what a close's build reads besides the landed rows: the models and seeds
    (their fingerprint), the month being closed and the ledger of issued months (written by
    write_ledger just before)."""
    digest = hashlib.sha256(f"{fingerprint}|{close_month.isoformat()}".encode())
    for table in (
        "ledger.final_months",
        "ledger.issued_statement_lines",
        "ledger.issued_rate_cards",
        "ledger.issued_deferred_revenue",
    ):
        rows = con.execute(f"select * from {table} order by all")  # noqa: S608 (constant names)
        digest.update(f"|{table}|{[column[0] for column in rows.description]}|".encode())
        for row in rows.fetchall():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def built_for(con: duckdb.DuckDBPyConnection, inputs: str) -> bool:
    """True when every loaded file has been processed and the last thing that ran dbt on the
    warehouse was a successful close build with these inputs (every dbt run clears the digests
    first): building again would write the same tables."""
    if pending_loads(con):
        return False
    last = con.execute(
        "select status, inputs from control.builds order by build_id desc limit 1"
    ).fetchall()
    return last == [("succeeded", inputs)]


def start_build(con: duckdb.DuckDBPyConnection, fingerprint: str, full_refresh: bool) -> int:
    """Records a build as running; returns its id."""
    [(build_id,)] = con.execute(
        "insert into control.builds (build_id, fingerprint, full_refresh, started_at, status) "
        "select coalesce(max(build_id), 0) + 1, $fingerprint, $full, now(), 'running' "
        "from control.builds returning build_id",
        {"fingerprint": fingerprint, "full": full_refresh},
    ).fetchall()
    return int(build_id)


def finish_build(
    con: duckdb.DuckDBPyConnection, build_id: int, *, succeeded: bool, inputs: str = ""
) -> None:
    """Records how a build ended; a successful one processed every load loaded (the lock on the
    warehouse kept any other load out while it ran) and was built for `inputs`."""
    con.execute(
        "update control.builds set finished_at = now(), "
        "status = case when $ok then 'succeeded' else 'failed' end, "
        "processed_through = case when $ok then "
        "(select coalesce(max(load_id), 0) from control.loaded_files) end, "
        "inputs = case when $ok then $inputs end "
        "where build_id = $id",
        {"ok": succeeded, "inputs": inputs, "id": build_id},
    ).fetchall()


def record(
    con: duckdb.DuckDBPyConnection, fingerprint: str, full_refresh: bool, inputs: str
) -> None:
    """A successful close build at once: the loads it processed, its models and its inputs."""
    finish_build(con, start_build(con, fingerprint, full_refresh), succeeded=True, inputs=inputs)
