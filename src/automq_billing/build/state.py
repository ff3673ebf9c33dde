"""The control state of builds: which build ran last with which models (a full rebuild follows
a change), for which inputs (a close with the same inputs and no pending load reuses the
warehouse), and which loads a successful close build has processed. A reconcile builds without
recording: its loads stay pending (see reconcile.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb

# the loads no successful close build has processed yet (int_usage_loads_pending in dbt)
_PENDING_LOADS = """
    select distinct loaded.load_id
    from control.loaded_files as loaded
    anti join control.processed_loads as processed on loaded.load_id = processed.load_id
"""


def mark_loads_processed(con: duckdb.DuckDBPyConnection) -> None:
    """Every load is processed once a build has succeeded over it."""
    con.execute(
        f"insert into control.processed_loads select load_id, now() from ({_PENDING_LOADS})"  # noqa: S608
    ).fetchall()


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


def record(
    con: duckdb.DuckDBPyConnection, fingerprint: str, full_refresh: bool, inputs: str
) -> None:
    """A successful close build: the loads it processed, its models and its inputs."""
    mark_loads_processed(con)
    record_build(con, fingerprint, full_refresh)
    record_build_inputs(con, inputs)
