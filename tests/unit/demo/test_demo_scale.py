"""The benchmark's scale landings: size, determinism, months written apart, the late file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from demo_support import connect, digest

from automq_billing.demo import (
    generate_history_landing,
    generate_late_file,
    generate_scale_landing,
)

pytestmark = pytest.mark.unit

OCTOBER = dt.date(2026, 10, 1)
ROWS = 30_000


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("scale")
    return root, generate_scale_landing(root, ROWS, OCTOBER, 3)


def test_scale_landing_size_and_shape(scale) -> None:
    root, summary = scale
    assert 0.97 * ROWS <= summary.rows <= 1.03 * ROWS
    con = connect(root)
    n, ids, months, hex_ids = con.execute(
        "SELECT count(*), count(DISTINCT event_id), count(DISTINCT date_trunc('month', "
        "hour_start)), bool_and(regexp_full_match(event_id, '[0-9a-f]{32}')) FROM usage"
    ).fetchone()
    assert n == summary.rows and months == 1 and hex_ids
    assert 0.005 * n < n - ids < 0.04 * n  # ~2% exact duplicates
    redelivered = con.execute(
        "SELECT count(*) FROM (SELECT event_id FROM usage GROUP BY ALL "
        "HAVING count(DISTINCT file) > 1)"
    ).fetchone()[0]
    assert redelivered > 0
    invalid = con.execute(
        "SELECT count(*) FILTER (WHERE quantity < 0), count(*) FILTER (WHERE instance_id = ''), "
        "count(*) FILTER (WHERE instance_id IS NULL) FROM usage"
    ).fetchone()
    assert all(invalid)
    notes = summary.notes
    assert notes["duplicates"] > notes["restatements"] > notes["invalid_rows"] > 0
    assert sorted(p.name for p in root.iterdir()) == ["usage_events"]


def test_scale_landing_is_deterministic(tmp_path: Path, scale) -> None:
    root, _ = scale
    generate_scale_landing(tmp_path, ROWS, OCTOBER, 3)
    assert digest(tmp_path) == digest(root)


def test_a_month_joins_a_landing_of_other_months_and_is_written_once(tmp_path: Path) -> None:
    generate_scale_landing(tmp_path, 10_000, OCTOBER, 3)
    before = digest(tmp_path)
    generate_scale_landing(tmp_path, 10_000, dt.date(2026, 11, 1), 3)
    after = digest(tmp_path)
    assert {k: after[k] for k in before} == before and len(after) > len(before)
    with pytest.raises(ValueError, match="2026-10.*immutable"):
        generate_scale_landing(tmp_path, 10_000, OCTOBER, 4)
    assert digest(tmp_path) == after


def test_history_landing(tmp_path: Path) -> None:
    months = [dt.date(2026, 8, 1), dt.date(2026, 9, 1), OCTOBER]
    summary = generate_history_landing(tmp_path, months, 12_000, 5)
    assert summary.months == ["2026-08", "2026-09", "2026-10"]
    con = connect(tmp_path)
    per_month = dict(
        con.execute(
            "SELECT strftime(hour_start, '%Y-%m'), count(*) FROM usage "
            "WHERE hour_start IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert all(0.95 * 12_000 <= per_month[m] <= 1.05 * 12_000 for m in summary.months)
    shared = con.execute(
        "SELECT count(*) FROM (SELECT event_id FROM usage GROUP BY 1 "
        "HAVING count(DISTINCT strftime(hour_start, '%Y-%m')) > 1)"
    ).fetchone()[0]
    assert shared == 0  # distinct event ids
    orgs = con.execute(
        "SELECT strftime(hour_start, '%Y-%m'), list(DISTINCT organization_id ORDER BY "
        "organization_id) FROM usage WHERE organization_id IS NOT NULL "
        "AND organization_id NOT LIKE ' %' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    first = set(orgs[0][1])
    assert all(len(first & set(o)) >= 0.8 * len(first) for _, o in orgs)
    again = tmp_path / "again"
    generate_history_landing(again, months, 12_000, 5)
    assert digest(again) == {k: v for k, v in digest(tmp_path).items() if "again/" not in k}


def test_late_file_restates_redelivers_and_adds(tmp_path: Path) -> None:
    generate_scale_landing(tmp_path, 60_000, OCTOBER, 7)
    summary = generate_late_file(tmp_path, OCTOBER, 5_000, 7)
    (late,) = summary.files
    assert late.path.parent.name == "month=2026-10" and "late" in late.path.parts
    assert 0.95 * 5_000 <= pq.read_metadata(late.path).num_rows <= 5_000
    con = connect(tmp_path)
    con.execute(
        "CREATE TABLE kinds AS SELECT l.*, "
        "EXISTS (SELECT 1 FROM usage u WHERE u.file NOT LIKE '%/late/%' AND u.event_id = "
        "l.event_id AND u.quantity = l.quantity AND u.emitted_at = l.emitted_at) AS redelivered, "
        "EXISTS (SELECT 1 FROM usage u WHERE u.file NOT LIKE '%/late/%' AND u.instance_id = "
        "l.instance_id AND u.hour_start = l.hour_start AND u.meter = l.meter) AS known "
        "FROM usage l WHERE l.file LIKE '%/late/%'"
    )
    redelivered, restated, new, later = con.execute(
        "SELECT count(*) FILTER (WHERE redelivered), count(*) FILTER (WHERE known AND NOT "
        "redelivered), count(*) FILTER (WHERE NOT known), bool_and(redelivered OR NOT known "
        "OR emitted_at > TIMESTAMPTZ '2026-11-05') FROM kinds"
    ).fetchone()
    assert redelivered > 0.25 * 5_000 and restated > 0.55 * 5_000 and new > 0 and later
    before = digest(tmp_path)
    generate_late_file(tmp_path, OCTOBER, 5_000, 7)  # the same file again: left alone
    assert digest(tmp_path) == before
    with pytest.raises(ValueError, match="seed 8"):
        generate_late_file(tmp_path, OCTOBER, 4_000, 8)
    with pytest.raises(ValueError, match="no scale landing of 2026-11"):
        generate_late_file(tmp_path, dt.date(2026, 11, 1), 1_000, 7)
