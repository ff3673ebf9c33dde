"""The demo landing as a whole: deterministic, landed as of a moment without ever changing a
landed file, every file in the landing contract's shape, and the timeline `make demo` tells."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from demo_support import MONTHS, ORGS, REPO, SEED, Demo, connect, digest

from automq_billing.cli import main
from automq_billing.demo import generate_landing
from automq_billing.vocabulary import Vocabulary

pytestmark = pytest.mark.unit

UTC = dt.UTC


def _accepts(sql_type: str, arrow_type: pa.DataType) -> bool:
    """Whether a landed Parquet column type fits the contract's SQL type (SPEC 1: naive
    timestamps are read as UTC)."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if sql_type == "varchar":
        return pa.types.is_string(arrow_type)
    if sql_type == "timestamp with time zone":
        return pa.types.is_timestamp(arrow_type) and arrow_type.tz in (None, "UTC")
    if sql_type.startswith("decimal"):
        return str(arrow_type) == sql_type.replace("decimal", "decimal128").replace(",", ", ")
    return (
        str(arrow_type) == {"bigint": "int64", "integer": "int32", "date": "date32[day]"}[sql_type]
    )


def test_same_arguments_write_the_same_bytes(tmp_path: Path, demo: Demo) -> None:
    again = generate_landing(tmp_path / "again", MONTHS, ORGS, SEED)
    assert digest(tmp_path / "again") == digest(demo.root)
    assert again.notes == demo.notes
    other = generate_landing(tmp_path / "other", MONTHS, ORGS, SEED + 1)
    mine, theirs = digest(demo.root), digest(tmp_path / "other")
    for dataset in {f.dataset for f in demo.summary.files}:
        assert {k: v for k, v in mine.items() if k.startswith(dataset)} != {
            k: v for k, v in theirs.items() if k.startswith(dataset)
        }, dataset
    assert other.notes["secrets"] != demo.notes["secrets"]


def test_every_dataset_is_written_and_listed(demo: Demo, vocabulary: Vocabulary) -> None:
    written = {p.relative_to(demo.root).as_posix() for p in demo.root.rglob("*") if p.is_file()}
    assert written == {f.path.relative_to(demo.root).as_posix() for f in demo.summary.files}
    assert written == set(demo.notes["landing_times"])
    assert {f.dataset for f in demo.summary.files} == {d.name for d in vocabulary.datasets}
    assert all(f.new for f in demo.summary.files)
    usage_rows = sum(
        pq.read_metadata(f.path).num_rows for f in demo.summary.files_of("usage_events")
    )
    assert demo.summary.rows == usage_rows
    assert demo.summary.organizations == ORGS
    assert demo.summary.months == ["2026-09", "2026-10"]


def test_parquet_files_hold_the_contract_columns_and_types(
    demo: Demo, vocabulary: Vocabulary
) -> None:
    layouts = {"naive": 0, "extra": 0, "reordered": 0}
    for landed in demo.summary.files:
        dataset = vocabulary.dataset(landed.dataset)
        if dataset.format != "parquet":
            continue
        schema = pq.read_schema(landed.path)
        contract = [c.landed_name for c in dataset.landed_columns]
        for column in dataset.landed_columns:
            field = schema.field(column.landed_name)
            assert _accepts(column.data_type, field.type), (landed.path, field)
            layouts["naive"] += pa.types.is_timestamp(field.type) and field.type.tz is None
        layouts["extra"] += len(schema.names) > len(contract)
        layouts["reordered"] += [n for n in schema.names if n in contract] != contract
    assert all(layouts.values()), layouts  # the usage layouts a reader must accept


def test_billing_event_files_parse_and_cast_to_the_contract(
    demo: Demo, vocabulary: Vocabulary
) -> None:
    dataset = vocabulary.dataset("marketplace_billing_events")
    files = demo.summary.files_of(dataset.name)
    assert files and all(f.path.suffix == ".csv" for f in files)
    con = demo.con
    header = [r[0] for r in con.execute("DESCRIBE billing_events").fetchall()]
    contract = [c.landed_name for c in dataset.landed_columns]
    assert set(contract) <= set(header)
    assert "broker_id" in header  # AWS's extra columns, to be ignored
    for column in dataset.landed_columns:
        bad = demo.one(
            f"SELECT count(*) FROM billing_events WHERE {column.name} IS NOT NULL "  # noqa: S608
            f"AND TRY_CAST({column.name} AS {column.data_type.upper()}) IS NULL"
        )
        assert bad == 0, column.name
    decimals = demo.one(
        "SELECT max(length(split_part(amount, '.', 2))) FROM billing_events WHERE amount IS NOT "
        "NULL"
    )
    assert 2 <= decimals <= 6
    raw = files[0].path.read_text().splitlines()
    assert raw[0].startswith('"billing_event_id",')  # every field quoted
    assert '""' in raw[1]  # nulls are empty strings


def test_rows_belong_to_their_files_month(demo: Demo) -> None:
    misplaced = demo.one(
        "SELECT count(*) FROM usage WHERE hour_start IS NOT NULL AND strftime(hour_start, "
        "'%Y-%m') NOT IN (regexp_extract(file, 'month=(\\d{4}-\\d{2})', 1), "
        "regexp_extract(file, 'late/(\\d{4})/(\\d{2})', ['y', 'm']).y || '-' || "
        "regexp_extract(file, 'late/(\\d{4})/(\\d{2})', ['y', 'm']).m)"
    )
    assert misplaced == 0


def test_every_row_was_emitted_before_its_file_landed(demo: Demo) -> None:
    con = demo.con
    con.execute("CREATE OR REPLACE TEMP TABLE landings (file VARCHAR, landed_at TIMESTAMPTZ)")
    con.executemany(
        "INSERT INTO landings VALUES (?, ?)",
        [(str(f.path), f.landed_at) for f in demo.summary.files],
    )
    late = demo.one(
        "SELECT count(*) FROM usage JOIN landings USING (file) WHERE emitted_at >= landed_at"
    )
    early = demo.one(
        "SELECT count(*) FROM metering JOIN landings USING (file) WHERE submitted_at >= landed_at"
    )
    assert late == early == 0


def _landed(root: Path) -> dict[str, float]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()
    }


def test_as_of_adds_the_files_landed_since_and_leaves_the_others_alone(
    tmp_path: Path, demo: Demo
) -> None:
    root = tmp_path / "landing"
    first = generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.date(2026, 10, 6))
    before = _landed(root)
    for path in root.rglob("*.parquet"):  # an old timestamp: any rewrite would show
        os.utime(path, ns=(1, 1))
    before = _landed(root)
    second = generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.datetime(2026, 11, 6, 12))
    after = _landed(root)
    assert {k: after[k] for k in before} == before
    assert set(after) > set(before)
    assert {f.path for f in second.files if not f.new} == {f.path for f in first.files}
    assert all(f.landed_at <= dt.datetime(2026, 11, 6, 12, tzinfo=UTC) for f in second.files)
    full = digest(demo.root)
    assert {k: v for k, v in full.items() if k in after} == digest(root)
    third = generate_landing(root, MONTHS, ORGS, SEED)
    assert digest(root) == full
    assert sum(f.new for f in third.files) == len(full) - len(after)


def test_a_landed_file_that_differs_is_refused_and_nothing_written(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.date(2026, 9, 20))
    victim = sorted((root / "usage_events").rglob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes() + b"x")
    before = digest(root)
    with pytest.raises(ValueError, match=f"{victim.name}.*immutable"):
        generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.date(2026, 10, 6))
    assert digest(root) == before
    with pytest.raises(ValueError, match="immutable"):
        generate_landing(root, MONTHS, ORGS, SEED + 1, as_of=dt.date(2026, 9, 20))


def test_a_file_these_arguments_do_not_write_is_refused(tmp_path: Path) -> None:
    stray = tmp_path / "landing" / "licenses" / "someone-else.parquet"
    stray.parent.mkdir(parents=True)
    pq.write_table(pa.table({"license_id": ["x"]}), stray)
    with pytest.raises(ValueError, match="someone-else.parquet"):
        generate_landing(tmp_path / "landing", MONTHS, ORGS, SEED)
    assert [p for p in (tmp_path / "landing").rglob("*") if p.is_file()] == [stray]


def test_the_story_of_make_demo(tmp_path: Path, demo: Demo) -> None:
    """Step 1 (as of 2026-10-06): September complete, its late file and invoice in, no October
    usage. Step 3 (as of 2026-11-06): October, and September's late corrections of 10-15."""
    root = tmp_path / "landing"
    september = generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.date(2026, 10, 6))
    files = {f.path.relative_to(root).as_posix() for f in september.files}
    usage = demo.notes["usage_files"]
    assert set(usage["2026-09"]["regular"]) | {usage["2026-09"]["late"]} <= files
    assert not any("2026-10" in f or "/10/" in f for f in files if f.startswith("usage_events"))
    corrections = demo.notes["corrections"]["2026-09"]
    assert usage["2026-09"]["corrections"] not in files
    assert {"raised_ingress", "lowered_ingress", "zeroed_egress", "late_license"} <= set(
        corrections
    )
    con = connect(root)
    assert con.execute("SELECT max(hour_start) FROM usage").fetchone()[0] < dt.datetime(
        2026, 10, 1, tzinfo=UTC
    )
    late_license = corrections["late_license"]["license_id"]
    assert con.execute(
        "SELECT count(*) FROM licenses WHERE license_id = ?", [late_license]
    ).fetchone() == (0,)
    invoiced = con.execute("SELECT DISTINCT usage_period_start_date FROM billing_events").fetchall()
    assert invoiced == [("2026-09-01T00:00:00Z",)]

    october = generate_landing(root, MONTHS, ORGS, SEED, as_of=dt.date(2026, 11, 6))
    files = {f.path.relative_to(root).as_posix() for f in october.files}
    assert set(usage["2026-10"]["regular"]) | {usage["2026-10"]["late"]} <= files
    assert usage["2026-09"]["corrections"] in files
    con = connect(root)
    start, purchased = con.execute(
        "SELECT start_date, purchased_at FROM licenses WHERE license_id = ?", [late_license]
    ).fetchone()
    assert start < dt.date(2026, 10, 1) and purchased < dt.datetime(2026, 10, 1, tzinfo=UTC)
    restated = con.execute(
        "SELECT min(hour_start), max(hour_start), min(emitted_at) FROM usage WHERE file LIKE "
        "'%corrections-2026-10-15%'"
    ).fetchone()
    assert restated[1] < dt.datetime(2026, 10, 1, tzinfo=UTC) < restated[2]


def test_the_command_line_generates_as_of_a_date(tmp_path: Path, capsys) -> None:
    out = tmp_path / "landing"
    arguments = ["generate", "--out", str(out), "--months", "2026-10", "--orgs", "3"]
    assert main([*arguments, "--as-of", "2026-10-20", "--project-dir", str(REPO)]) == 0
    assert "new, 0 already there" in capsys.readouterr().out
    assert main(arguments) == 0
    assert "already there" in capsys.readouterr().out
    assert main([*arguments, "--as-of", "20 October"]) == 2
    assert "--as-of must be a date written YYYY-MM-DD" in capsys.readouterr().err
    assert main(["generate", "--out", str(out), "--months", "2026-10:2026-09"]) == 2
    assert "runs backwards" in capsys.readouterr().err


def test_secrets_are_only_in_the_licence_files(demo: Demo) -> None:
    secrets = demo.notes["secrets"]
    assert secrets
    for landed in demo.summary.files:
        if landed.dataset != "licenses":
            assert not any(s.encode() in landed.path.read_bytes() for s in secrets[:3])
    found = {r[0] for r in demo.rows("SELECT product_secret FROM licenses")}
    assert set(secrets) == found - {None}


def test_duckdb_reads_the_whole_landing(demo: Demo) -> None:
    for view in ("usage", "licenses", "allocations", "customers", "metering", "billing_events"):
        assert demo.one(f"SELECT count(*) FROM {view}") > 0, view  # noqa: S608
    assert isinstance(demo.con, duckdb.DuckDBPyConnection)
