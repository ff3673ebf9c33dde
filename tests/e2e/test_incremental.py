"""Incremental builds agree with a full rebuild (issue 11): the demo landing lands in steps (on-
time files, late files with restatements, redelivered duplicates and conflicts, corrections of an
issued month, files spanning both months), the warehouse is loaded and built after each step,
and every table a close reads equals the one a single full build of the final landing gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from automq_billing import build as billing_build
from automq_billing.book.issued import issued_ledger, issued_rate_cards
from automq_billing.demo import generate_landing
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO

pytestmark = pytest.mark.e2e
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
STEPS = [dt.date(2026, 9, 17), dt.date(2026, 10, 6), dt.date(2026, 10, 16), dt.date(2026, 11, 6)]
COMPARED = {
    "intermediate.int_usage_events_classified": (
        "source_file, file_row_number, outcome, quarantine_reason"
    ),
    "intermediate.int_usage_outcomes_counted": "*",
    "marts.fct_statement_lines": "*",
    "marts.fct_statements": "*",
    "marts.fct_usage_hourly": "*",
    "marts.fct_usage_daily": "*",
    "marts.fct_usage_quarantine": "*",
    "marts.fct_instance_aku_hourly": "*",
    "marts.rpt_usage_conservation": "*",
}


def build(landing: Path, database: Path, *, full_refresh: bool = False) -> None:
    """One step as a close builds (automq_billing.build), over every model."""
    engine = billing_build.DuckDbEngine(database, REPO)
    survey = billing_build.survey(landing, load_vocabulary(REPO))
    billing_build.load(engine, survey, full_refresh=full_refresh)
    ledger = (*issued_ledger([], MONTHS[-1]), issued_rate_cards([], MONTHS[-1]))  # none issued
    plan = billing_build.plan(engine, MONTHS[-1], ledger, full_refresh=full_refresh)
    billing_build.run_build(engine, plan, record=True)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    for step in STEPS:
        generate_landing(landing, MONTHS, orgs=6, seed=5, as_of=step, project_dir=REPO)
        build(landing, root / "incremental" / "billing.duckdb")
    build(landing, root / "full" / "billing.duckdb", full_refresh=True)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{root / 'incremental' / 'billing.duckdb'}' as incremental (read_only)")
    con.execute(f"attach '{root / 'full' / 'billing.duckdb'}' as full_build (read_only)")
    yield con
    con.close()


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_and_full_builds_agree(warehouses, table):
    columns = COMPARED[table]
    incremental = warehouses.execute(f"select {columns} from incremental.{table}").fetchall()  # noqa: S608
    full = warehouses.execute(f"select {columns} from full_build.{table}").fetchall()  # noqa: S608
    assert len(incremental) == len(full) > 0
    assert sorted(map(repr, incremental)) == sorted(map(repr, full))


def test_the_steps_exercised_every_record_rule(warehouses):
    outcomes = {
        row[0]
        for row in warehouses.execute(
            "select coalesce(quarantine_reason, outcome) "
            "from full_build.intermediate.int_usage_outcomes_counted"
        ).fetchall()
    }
    assert {
        "rated",
        "duplicate",
        "superseded",
        "event_id_conflict",
        "measurement_conflict",
    } <= outcomes
