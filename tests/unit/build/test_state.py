"""One control table of builds (control.builds, automq_billing.build.state): a load is processed
once a successful close build covered it; a failed or running build processes nothing; every dbt
run clears the inputs digests (the hook in dbt_project.yml), so only a close's own build can be
reused; an old warehouse drops the three tables it replaces and builds once in full."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from automq_billing import build
from automq_billing.book.issued import issued_ledger, issued_rate_cards
from automq_billing.build import state
from automq_billing.landing.load import create_loaded_tables
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO

pytestmark = pytest.mark.unit
VOCABULARY = load_vocabulary(REPO)
MONTH = dt.date(2026, 10, 1)


def _warehouse(tmp_path: Path, loads: list[int]) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        create_loaded_tables(con, VOCABULARY)
        _land(con, loads)
    return path


def _land(con: duckdb.DuckDBPyConnection, loads: list[int]) -> None:
    for load_id in loads:
        con.execute(
            "insert into control.loaded_files (dataset, path, load_id) "
            "values ('usage_events', $path, $id)",
            {"path": f"usage_events/{load_id}.parquet", "id": load_id},
        )


def test_a_load_is_processed_once_a_successful_close_build_covers_it(tmp_path):
    with duckdb.connect(str(_warehouse(tmp_path, [1, 2]))) as con:
        assert state.pending_loads(con) == [1, 2]
        assert state.needs_full_rebuild(con, "f1")
        running = state.start_build(con, "f1", True)
        assert state.pending_loads(con) == [1, 2]  # running: nothing processed yet
        state.finish_build(con, running, succeeded=False)
        assert state.pending_loads(con) == [1, 2]
        assert state.needs_full_rebuild(con, "f1")  # a failed full refresh stays pending
        done = state.start_build(con, "f1", True)
        state.finish_build(con, done, succeeded=True, inputs="x")
        assert state.pending_loads(con) == []
        assert not state.needs_full_rebuild(con, "f1")
        assert state.needs_full_rebuild(con, "f2")
        assert state.built_for(con, "x") and not state.built_for(con, "y")
        _land(con, [3])
        assert state.pending_loads(con) == [3]
        assert not state.built_for(con, "x")  # a reuse needs no pending load
        rows = con.execute(
            "select build_id, status, full_refresh, processed_through, inputs, "
            "finished_at >= started_at from control.builds order by build_id"
        ).fetchall()
    assert rows == [(1, "failed", True, None, None, True), (2, "succeeded", True, 2, "x", True)]


def test_every_dbt_run_clears_the_digests_so_the_next_close_builds(tmp_path):
    hooks = yaml.safe_load((REPO / "dbt_project.yml").read_text(encoding="utf-8"))["on-run-start"]
    assert [hook for hook in hooks if "forget_build_inputs()" in hook]
    # the hook's DuckDB implementation (default__forget_build_inputs; Spark's rewrites the table)
    clear = "update control.builds set inputs = null where inputs is not null"
    assert clear in (REPO / "macros" / "loaded_tables.sql").read_text(encoding="utf-8")
    with duckdb.connect(str(_warehouse(tmp_path, [1]))) as con:
        state.record(con, "f1", False, "x")
        assert state.built_for(con, "x")
        con.execute(clear)  # a reconcile, `make build` or dbt by hand
        assert not state.built_for(con, "x")
        assert state.pending_loads(con) == []  # what was processed stays processed
        assert not state.needs_full_rebuild(con, "f1")


def test_an_old_warehouse_drops_the_tables_control_builds_replaces(tmp_path):
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema control")
        con.execute("create table control.builds (fingerprint varchar, built_at timestamptz)")
        con.execute("insert into control.builds values ('f1', now())")
        con.execute("create table control.processed_loads (load_id integer)")
        con.execute("create table control.build_inputs (inputs varchar)")
        create_loaded_tables(con, VOCABULARY)
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'control'"
            ).fetchall()
        }
        assert "builds" in tables
        assert not tables & {"processed_loads", "build_inputs"}
        assert state.needs_full_rebuild(con, "f1")  # the old rows are gone: one full build


def _plan(path: Path, **options) -> build.BuildPlan:
    engine = build.DuckDbEngine(path, REPO)
    ledger = (*issued_ledger([], MONTH), issued_rate_cards([], MONTH))
    return build.plan(engine, MONTH, ledger, **options)


def test_the_plan_reuses_only_a_close_build_with_the_same_inputs_and_nothing_pending(tmp_path):
    path = _warehouse(tmp_path, [1])
    first = _plan(path)
    assert first.full_refresh and first.models_changed and not first.reuse
    with duckdb.connect(str(path)) as con:
        state.record(con, first.fingerprint, True, first.inputs)
    again = _plan(path)
    assert again.inputs == first.inputs
    assert again.reuse and not again.full_refresh
    assert not _plan(path, reusable=False).reuse  # a reconcile never reuses
    assert _plan(path, full_refresh=True).full_refresh
    with duckdb.connect(str(path)) as con:
        _land(con, [2])
    assert not _plan(path).reuse
