"""run_build records a close's build in control.builds: running while dbt runs, then failed (its
loads stay pending) or succeeded with the loads it processed; the check runs after dbt, also when
dbt failed; a planned reuse runs nothing. dbt really runs, on a one-model project."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from automq_billing import build
from automq_billing.book.issued import issued_ledger, issued_rate_cards
from automq_billing.build import state
from automq_billing.errors import BillingError
from automq_billing.landing.load import create_loaded_tables
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO

pytestmark = pytest.mark.unit
MONTH = dt.date(2026, 10, 1)


def _project(root: Path, sql: str) -> Path:
    project = root / "project"
    (project / "models").mkdir(parents=True)
    shutil.copy(REPO / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        "name: one_model\nversion: '1.0.0'\nconfig-version: 2\nprofile: automq_billing\n"
        "model-paths: [models]\n",
        encoding="utf-8",
    )
    (project / "models" / "one.sql").write_text(sql, encoding="utf-8")
    return project


def _builds(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select build_id, status, processed_through, inputs is not null "
            "from control.builds order by build_id"
        ).fetchall()


def test_a_failed_build_leaves_its_loads_pending_and_a_good_one_processes_them(tmp_path):
    path = tmp_path / "wh" / "billing.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        create_loaded_tables(con, load_vocabulary(REPO))
        con.execute(
            "insert into control.loaded_files (dataset, path, load_id) values ('u', 'a', 1)"
        )
    ledger = (*issued_ledger([], MONTH), issued_rate_cards([], MONTH))
    failing = build.DuckDbEngine(
        path,
        _project(
            tmp_path / "bad", "{{ config(materialized='table') }} select error('broken') as x"
        ),
    )
    plan = build.plan(failing, MONTH, ledger)
    checked: list[float] = []
    with pytest.raises(BillingError, match="broken"):
        build.run_build(failing, plan, record=True, check=checked.append)
    assert len(checked) == 1  # the check ran although dbt failed
    assert _builds(path) == [(1, "failed", None, False)]
    with duckdb.connect(str(path)) as con:
        assert state.pending_loads(con) == [1]

    working = build.DuckDbEngine(path, _project(tmp_path / "good", "select 1 as one"))
    plan = build.plan(working, MONTH, ledger)
    assert plan.full_refresh  # no build has succeeded yet
    result = build.run_build(working, plan, record=True)
    assert result.passed >= 1 and not result.reused
    assert _builds(path) == [(1, "failed", None, False), (2, "succeeded", 1, True)]

    reuse = build.plan(working, MONTH, ledger)
    assert reuse.reuse
    assert build.run_build(working, reuse, record=True).reused
    assert len(_builds(path)) == 2  # nothing ran, nothing recorded
