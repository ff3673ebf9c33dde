"""The README's benchmark table is written from the results `make bench` saved."""

from __future__ import annotations

import json

import pytest

from automq_billing.bench.readme import BEGIN, END, render_table, update_readme

pytestmark = pytest.mark.unit


def _small(seconds: float, floor: float) -> dict:
    return {
        "scenario": "small",
        "rows": 1_000_000,
        "month": "2026-10",
        "close": {"wall_seconds": seconds, "peak_rss_mib": 1200.4},
        "floor": {"wall_seconds": floor, "peak_rss_mib": 500.0},
        "ratio_close_over_floor": round(seconds / floor, 2),
        "machine": {"cpus": 2, "memory_mib": 24106, "duckdb": "2.0.1", "dbt_core": "1.11.16"},
    }


def _history() -> dict:
    run = {"wall_seconds": 30.0, "peak_rss_mib": 900.0}
    return {
        "scenario": "history",
        "rows_per_month": 4_000_000,
        "months": [f"2026-{m:02d}" for m in range(1, 13)],
        "alone": {"wall_seconds": 25.0},
        "last": run,
        "reclose": {"wall_seconds": 16.0, "timings": {"load": 0.1, "total": 15.0}},
        "late": {"wall_seconds": 20.0},
        "ratio_last_over_alone": 1.2,
        "ratio_late_over_small": 2.5,
        "small_close_seconds": 8.0,
        "machine": {"cpus": 2, "memory_mib": 24106, "duckdb": "2.0.1", "dbt_core": "1.11.16"},
    }


def test_the_table_holds_each_scenario_and_says_which_targets_were_met(tmp_path):
    (tmp_path / "small-1000000.json").write_text(json.dumps(_small(9.0, 2.0)))
    (tmp_path / "history-4000000.json").write_text(json.dumps(_history()))
    (tmp_path / "notes.json").write_text(json.dumps({"other": 1}))
    table = render_table(tmp_path)
    lines = table.splitlines()
    assert lines[2].startswith("| small: 1,000,000 rows, 2026-10 | close 9.00 s, peak 1,200 MiB")
    assert lines[2].endswith("| 4.5x |  | within 10x of the floor | met |")
    assert "closing 2026-12 after 11 issued months | close 30.0 s" in lines[3]
    assert lines[3].endswith("| 1.2x |  | within 1.3x of the month alone | met |")
    assert "close 16.0 s (nothing new: dbt not run)" in lines[4]
    assert lines[4].endswith(
        "| load 0.1 · dbt - · suites - · exports 14.9 · documents - | within 10 s | not met |"
    )
    assert "for 2026-09 (issued)" in lines[5]
    assert lines[5].endswith("| 2.5x |  | within 2x of the small close | not met |")
    assert "2 CPUs, 24 GiB, DuckDB 2.0.1" in table


def test_only_the_text_between_the_markers_is_rewritten(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "small-1000000.json").write_text(json.dumps(_small(20.0, 2.0)))
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{BEGIN}\nold figures\n{END}\n\nafter\n")
    assert update_readme(readme, results)
    text = readme.read_text()
    assert "old figures" not in text and "| 10.0x |  | within 10x of the floor | met |" in text
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith(f"{END}\n\nafter\n")
    assert update_readme(readme, results) and readme.read_text() == text
    readme.write_text("no markers\n")
    assert not update_readme(readme, results) and readme.read_text() == "no markers\n"


def test_each_close_shows_its_stages_and_the_documents_scenario_its_targets(tmp_path):
    timings = {
        "load": 1.25,
        "dbt": 8.0,
        "validate": 1.5,
        "publish": 2.5,
        "documents": 2.0,
        "total": 14.0,
    }
    small = _small(12.0, 1.5)
    small["close"]["timings"] = timings
    (tmp_path / "small-1000000.json").write_text(json.dumps(small))
    documents = {
        "scenario": "documents",
        "rows": 14_000_000,
        "organizations": 1000,
        "statements": 990,
        "month": "2026-10",
        "close": {"wall_seconds": 40.0, "timings": {**timings, "documents": 61.0}},
        "reclose": {"wall_seconds": 9.5, "timings": {"load": 0.2, "documents": 5.0}},
        "finalize": {"wall_seconds": 300.0, "peak_rss_mib": 800.0},
        "documents_seconds": 61.0,
        "machine": _small(1, 1)["machine"],
    }
    (tmp_path / "documents-1000.json").write_text(json.dumps(documents))
    lines = render_table(tmp_path).splitlines()
    # exports are the publishing without the documents: 2.5 - 2.0
    assert "| 8.0x | load 1.2 · dbt 8.0 · suites 1.5 · exports 0.5 · documents 2.0 |" in lines[2]
    assert lines[2].endswith("| within 10x of the floor | met |")
    assert "documents: 990 statements, 2026-10, the close (14,000,000 rows)" in lines[3]
    assert lines[3].endswith("| documents within 60 s | not met |")
    assert lines[4].endswith("| within 10 s | met |")
    assert "finalize 300.0 s, peak 800 MiB" in lines[5]
    assert "documents included" in lines[-1]


def test_the_engines_rows_compare_spark_with_duckdb_on_the_same_landing(tmp_path):
    for rows, spark, match in ((1_000_000, 90.0, True), (10_000_000, 400.0, False)):
        report = {
            "scenario": "engines",
            "rows": rows,
            "month": "2026-10",
            "duckdb": {"wall_seconds": 30.0, "peak_rss_mib": 1000.0},
            "spark": {"wall_seconds": spark, "peak_rss_mib": 2000.0},
            "ratio_spark_over_duckdb": round(spark / 30.0, 2),
            "totals_match": match,
        }
        (tmp_path / f"engines-{rows}.json").write_text(json.dumps(report))
    (tmp_path / "small-1000000.json").write_text(json.dumps(_small(9.0, 2.0)))
    lines = render_table(tmp_path).splitlines()
    assert lines[2].startswith("| small:")  # the engines rows come last, smaller first
    assert lines[3].startswith(
        "| engines: 1,000,000 rows, 2026-10, Spark (local[*]) against DuckDB | Spark close "
        "90.0 s, peak 2,000 MiB | DuckDB close 30.0 s, peak 1,000 MiB | 3.0x |"
    )
    assert lines[3].endswith("| the same totals on both engines (SPEC 11) | met |")
    assert lines[4].startswith("| engines: 10,000,000 rows") and lines[4].endswith("| not met |")
