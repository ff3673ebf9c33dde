"""What a close writes: CSV twins safe in a spreadsheet, its own temporaries cleaned and no one
else's, a folder published whole or not at all."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from automq_billing.book.publish import publishing, remove_own_temporaries
from automq_billing.close.export import neutralise_formulas, write_table
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit
RISKY = ["=1+1", "+49 123", "-12", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", None]


def test_csv_twins_neutralise_formulas_and_parquet_keeps_the_value(tmp_path):
    table = pa.table(
        {
            "organization_id": RISKY,
            "amount": pa.array([Decimal("-1.50")] * len(RISKY), pa.decimal128(38, 2)),
            "kind": pa.array(RISKY).dictionary_encode(),
        }
    )
    entries = write_table(tmp_path, "t", table)
    assert set(entries) == {"t.parquet", "t.csv"}
    assert pq.read_table(tmp_path / "t.parquet").column("organization_id").to_pylist() == RISKY
    back = pacsv.read_csv(
        tmp_path / "t.csv",
        convert_options=pacsv.ConvertOptions(column_types={"organization_id": pa.string()}),
    )
    expected = ["'=1+1", "'+49 123", "'-12", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b", ""]
    assert back.column("organization_id").to_pylist() == expected
    assert back.column("amount").to_pylist() == [-1.5] * len(RISKY)  # numbers stay numbers
    assert entries["t.csv"]["rows"] == len(RISKY) and len(entries["t.csv"]["sha256"]) == 64


def test_neutralising_leaves_non_text_columns_alone():
    table = pa.table({"n": [1, -2], "s": ["-2", "2"]})
    assert neutralise_formulas(table).to_pydict() == {"n": [1, -2], "s": ["'-2", "2"]}


def test_only_this_projects_dead_temporaries_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = tmp_path / f".2026-10-v1.tmp-{dead_pid}"
        reconcile = tmp_path / f".2026-10-r2.tmp-{dead_pid}"
        documents = tmp_path / "2026-10" / "v1" / f".documents-2.tmp-{dead_pid}"
        running = tmp_path / f".2026-10-v2.tmp-{alive.pid}"
        others = [tmp_path / ".git", tmp_path / ".backup.tmp-keep", tmp_path / ".x.tmp-1"]
        for folder in (mine, reconcile, documents, running, *others):
            folder.mkdir(parents=True)
        removed = remove_own_temporaries(tmp_path)
        assert sorted(removed) == sorted([mine, reconcile, documents])
        assert running.exists() and all(o.exists() for o in others)
    finally:
        alive.kill()


def test_a_folder_is_published_whole_or_not_at_all(tmp_path):
    final = tmp_path / "2026-10" / "v1"
    with pytest.raises(RuntimeError):
        with publishing(tmp_path / ".tmp-a", final, "2026-10 v1") as folder:
            (folder / "x").write_text("half")
            raise RuntimeError("boom")
    assert not final.exists() and not (tmp_path / ".tmp-a").exists()
    with publishing(tmp_path / ".tmp-b", final, "2026-10 v1") as folder:
        (folder / "x").write_text("whole")
    assert (final / "x").read_text() == "whole"


def test_a_full_disk_is_one_sentence(tmp_path):
    final = tmp_path / "v1"
    with pytest.raises(BillingError, match="is full") as refused:
        with publishing(tmp_path / ".tmp", final, "2026-10 v1"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "free space" in refused.value.hint
    assert not final.exists() and not (tmp_path / ".tmp").exists()


def test_nothing_is_cleaned_or_published_through_a_linked_month_folder(tmp_path):
    elsewhere, output = tmp_path / "elsewhere", tmp_path / "output"
    (elsewhere / "v1" / ".documents-2.tmp-999999999").mkdir(parents=True)
    output.mkdir()
    (output / "2026-10").symlink_to(elsewhere)
    assert remove_own_temporaries(output) == []
    assert (elsewhere / "v1" / ".documents-2.tmp-999999999").is_dir()
    with pytest.raises(BillingError, match="2026-10 is a symbolic link"):
        with publishing(output / ".2026-10-v2.tmp-1", output / "2026-10" / "v2", "2026-10 v2"):
            pass
    assert sorted(p.name for p in elsewhere.iterdir()) == ["v1"]
    assert not (output / ".2026-10-v2.tmp-1").exists()


@pytest.mark.parametrize("rows", [0, 3, 2_500])
def test_streamed_files_are_the_bytes_of_the_whole_table(tmp_path, rows, monkeypatch):
    """A table the close streams from the warehouse (the Marketplace exceptions run to millions
    of rows at 50 million usage rows) is written a row group at a time, with the bytes and
    manifest entries the whole table gives; row groups are cut where pyarrow cuts them (1 Mi
    rows; 1,000 here, so that a few thousand rows make three)."""
    import duckdb

    from automq_billing.close import export

    monkeypatch.setattr(export, "ROW_GROUP_ROWS", 1_000)
    sql = f"""
        select i, case when i % 3 = 0 then '=' || i else 'x' || i end as s,
            cast(i / 7 as decimal(38, 6)) as q
        from range({rows}) as t(i) order by i desc
    """  # noqa: S608 (a number of the test's own)
    with duckdb.connect() as con:
        whole = con.sql(sql).to_arrow_table()
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        expected = write_table(tmp_path / "a", "t", whole)
        pq.write_table(
            whole, tmp_path / "a" / "t.parquet", compression="zstd", row_group_size=1_000
        )
        expected["t.parquet"] = export.file_entry(tmp_path / "a" / "t.parquet", rows)
        streamed = export.write_batches(tmp_path / "b", "t", con.sql(sql).to_arrow_reader(700))
    assert streamed == expected
    assert pq.ParquetFile(tmp_path / "b" / "t.parquet").num_row_groups == max(1, -(-rows // 1000))
    for name in ("t.parquet", "t.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_streamed_row_groups_are_pyarrows():
    from automq_billing.close import export

    assert export.ROW_GROUP_ROWS == 1024 * 1024  # pyarrow's default largest row group
