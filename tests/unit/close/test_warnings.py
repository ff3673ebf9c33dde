"""Every warning, every version (issue 16 item 6): the landing checks' warnings are kept per
loaded file and every close that reads the file reports them again; the warning about final
months outside the correction window names them; usage no close prices is counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from automq_billing import warehouse
from automq_billing.close import warnings as noted
from automq_billing.landing import LandingSurvey, load_landing, survey_landing
from automq_billing.validation.engine import Engine
from automq_billing.validation.landing_suites import landing_suites
from automq_billing.validation.specs import ValidationReport
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO, usage_row, write_usage

pytestmark = pytest.mark.unit
VOCABULARY = load_vocabulary(REPO)


def _load(landing: Path, database: Path):
    with warehouse.connect(database) as con:
        return con, load_landing(con, survey_landing(landing, VOCABULARY), VOCABULARY)


def test_a_files_warnings_are_reported_by_every_later_close_that_reads_it(tmp_path):
    landing, database = tmp_path / "landing", tmp_path / "wh" / "billing.duckdb"
    database.parent.mkdir()
    write_usage(landing / "usage_events" / "odd.parquet", [usage_row(meter="cpu_seconds")])
    with warehouse.connect(database) as con:
        survey = survey_landing(landing, VOCABULARY)
        first = load_landing(con, survey, VOCABULARY)
        suites = landing_suites(survey, con, first.load_id, VOCABULARY)
    report = Engine().run(suites)  # the landing suites, as the close's worker runs them
    noted.record_file_warnings(lambda: warehouse.connect(database), first, report)
    # the next run loads another file only: its own suites see nothing of odd.parquet
    write_usage(landing / "usage_events" / "clean.parquet", [usage_row(event_id="evt-2")])
    with warehouse.connect(database) as con:
        second = load_landing(con, survey_landing(landing, VOCABULARY), VOCABULARY)
        kept = noted.stored_file_warnings(con, second)
    assert second.load_id == first.load_id + 1
    assert kept and all(w.startswith("usage_events/odd.parquet: ") for w in kept)
    assert any("rows_with_unknown_meter" in w for w in kept)
    assert any("usage_events_sample" in w and "(meter)" in w for w in kept)
    data = SimpleNamespace(file_warnings=kept, outside_window=[], unpriced_elsewhere={})
    listed = noted.version_warnings(
        LandingSurvey(landing), ValidationReport(), data, dt.date(2026, 7, 1), dt.date(2026, 10, 1)
    )
    assert listed == kept


def test_a_full_refresh_drops_the_warnings_of_the_old_loads(tmp_path):
    landing, database = tmp_path / "landing", tmp_path / "billing.duckdb"
    write_usage(landing / "usage_events" / "a.parquet", [usage_row()])
    with warehouse.connect(database) as con:
        load = load_landing(con, survey_landing(landing, VOCABULARY), VOCABULARY)
        con.execute(
            "insert into control.file_warnings values "
            "('usage_events', 'usage_events/a.parquet', 1, 'old', now())"
        )
        assert noted.stored_file_warnings(con, load) == ["old"]
        load = load_landing(con, survey_landing(landing, VOCABULARY), VOCABULARY, full_refresh=True)
        assert noted.stored_file_warnings(con, load) == []


def test_the_outside_window_warning_names_the_months_and_unpriced_usage_is_counted(tmp_path):
    rows = [
        {"month": "2026-05", "organization_id": "org-a", "billing_item": "data_ingress"},
        {"month": "2026-05", "organization_id": "org-b", "billing_item": "data_ingress"},
        {"month": "2026-06", "organization_id": "org-a", "billing_item": "cluster_uptime"},
    ]
    data = SimpleNamespace(
        file_warnings=[], outside_window=rows, unpriced_elsewhere={"1970-01": 1, "2025-12": 3}
    )
    listed = noted.version_warnings(
        LandingSurvey(tmp_path), ValidationReport(), data, dt.date(2026, 7, 1), dt.date(2026, 10, 1)
    )
    [outside, unpriced] = listed
    assert "2026-05, 2026-06" in outside and "3 difference(s)" in outside
    assert "before 2026-07" in outside
    assert unpriced.startswith("4 usage row(s) in months other than 2026-10")
    assert "1970-01: 1" in unpriced and "2025-12: 3" in unpriced


def test_unpriced_usage_of_other_months_is_counted_from_the_warehouse():
    with duckdb.connect() as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_usage_outcomes_counted as select * from (values "
            "(date '1970-01-01', 'rated', 2), (date '1970-01-01', 'quarantined', 5), "
            "(date '2026-10-01', 'rated', 7), (date '2026-09-01', 'rated', 9)) "
            "as t(usage_month, outcome, row_count)"
        )
        con.execute(
            "create table intermediate.int_usage_unpriced as select * from (values "
            "(date '1970-01-01'), (date '1970-01-01'), (date '2026-10-01')) as t(usage_month)"
        )
        assert noted.unpriced_elsewhere(con, dt.date(2026, 10, 1)) == {"1970-01": 2}


def test_a_file_loaded_outside_a_close_is_checked_by_the_next_close(tmp_path):
    """`automq-billing load` runs no landing checks: the next close checks every load no close
    has checked (not only its own), so the file's warnings are not lost."""
    landing, database = tmp_path / "landing", tmp_path / "billing.duckdb"
    write_usage(landing / "usage_events" / "odd.parquet", [usage_row(meter="cpu_seconds")])
    with warehouse.connect(database) as con:  # automq-billing load
        load_landing(con, survey_landing(landing, VOCABULARY), VOCABULARY)
    write_usage(landing / "usage_events" / "clean.parquet", [usage_row(event_id="evt-2")])
    with warehouse.connect(database) as con:  # the close's load and checks
        survey = survey_landing(landing, VOCABULARY)
        load = load_landing(con, survey, VOCABULARY)
        assert warehouse.unchecked_loads(con) == [1, 2]
        suites = landing_suites(survey, con, warehouse.unchecked_loads(con), VOCABULARY)
    noted.record_file_warnings(lambda: warehouse.connect(database), load, Engine().run(suites))
    with warehouse.connect(database) as con:
        assert warehouse.unchecked_loads(con) == []
        kept = noted.stored_file_warnings(con, load)
    assert kept and all(w.startswith("usage_events/odd.parquet: ") for w in kept)
