"""Locks beside what they protect, shared whatever the environment; paths that never overlap
the landing zone."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from automq_billing.dbt_runner import run_dbt
from automq_billing.errors import BillingError
from automq_billing.locks import exclusive, holder, lock_path
from automq_billing.paths import check_close_paths, check_docs_folder, option_path
from automq_billing.safe_files import open_regular
from helpers import REPO

pytestmark = pytest.mark.unit


def test_a_lock_file_sits_beside_what_it_protects(tmp_path):
    assert lock_path(tmp_path / "wh" / "billing.duckdb") == (
        tmp_path / "wh" / ".billing.duckdb.automq-billing.lock"
    )
    assert lock_path(tmp_path / "output") == tmp_path / ".output.automq-billing.lock"


def test_a_second_holder_is_refused_whatever_its_tmpdir(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from automq_billing.locks import exclusive, holder
        with exclusive("output folder", Path({str(tmp_path / "output")!r}), holder("first")):
            print("held", flush=True)
            time.sleep(30)
        """
    )
    env = {**os.environ, "TMPDIR": str(tmp_path / "other-tmp")}
    (tmp_path / "other-tmp").mkdir()
    first = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert first.stdout.readline().strip() == "held"
        with pytest.raises(BillingError) as refused:
            with exclusive("output folder", tmp_path / "output", holder("second")):
                pass
        assert f"pid {first.pid}" in str(refused.value) and "`first`" in str(refused.value)
    finally:
        first.kill()
        first.wait()
    with exclusive("output folder", tmp_path / "output", holder("third")):
        content = json.loads(lock_path(tmp_path / "output").read_text())
    assert content["command"] == "third" and content["pid"] == os.getpid()


def test_paths_never_overlap_the_landing(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    for output, warehouse, says in (
        (landing / "out", tmp_path / "wh.duckdb", "--output"),
        (tmp_path / "out", landing / "wh.duckdb", "--warehouse"),
        (tmp_path, tmp_path / "wh.duckdb", "lies inside --output"),
    ):
        with pytest.raises(BillingError, match=says):
            check_close_paths(landing, output, warehouse)
    with pytest.raises(BillingError, match="is a folder"):
        check_close_paths(landing, tmp_path / "out", tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(BillingError, match="is a file"):
        check_close_paths(landing, tmp_path / "file", tmp_path / "wh.duckdb")
    check_close_paths(landing, tmp_path / "out", tmp_path / "wh" / "b.duckdb")


@pytest.mark.parametrize("docs", ["landing", "landing/sub", "."])
def test_a_docs_folder_never_holds_or_lies_in_the_landing(tmp_path, docs):
    with pytest.raises(BillingError, match="overlap"):
        check_docs_folder((tmp_path / docs).resolve(), tmp_path / "landing")


def test_any_character_a_file_system_allows_is_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = option_path("it's [1]; *.parquet", "X_UNSET", tmp_path, "--landing")
    assert odd == tmp_path / "it's [1]; *.parquet"
    with pytest.raises(BillingError, match="line break"):
        option_path("a\nb", "X_UNSET", tmp_path, "--landing")


# ---------------------------------------------------------------------------------------------
# No write through a symbolic link (SPEC 8, issue 17): locks, dbt's log, diagnoses, issued folders


def _planted(tmp_path: Path, kind: str, path: Path) -> Path:
    """An issued file elsewhere, and `path` made a link, a hard link or a FIFO."""
    victim = tmp_path / "issued" / "statement_lines.parquet"
    victim.parent.mkdir(exist_ok=True)
    victim.write_bytes(b"issued bytes")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "symlink":
        path.symlink_to(victim)
    elif kind == "hardlink":
        os.link(victim, path)
    else:
        os.mkfifo(path)
    return victim


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "fifo"])
def test_a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched(tmp_path, kind):
    output = tmp_path / "output"
    victim = _planted(tmp_path, kind, lock_path(output))
    with pytest.raises(BillingError, match="not a file this project wrote") as refused:
        with exclusive("output folder", output, holder("finalize")):
            pass
    assert str(lock_path(output)) in str(refused.value)
    assert victim.read_bytes() == b"issued bytes"


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "fifo"])
def test_dbts_log_is_never_written_through_a_link(tmp_path, kind):
    log = tmp_path / "wh" / ".dbt" / "dbt-run.jsonl"
    victim = _planted(tmp_path, kind, log)
    with pytest.raises(BillingError, match=str(log)):
        open_regular(log, "w")
    assert victim.read_bytes() == b"issued bytes"
    log.unlink()
    with open_regular(log, "w") as handle:
        handle.write("fresh")
    assert log.read_text() == "fresh"


def test_a_link_in_dbts_working_folder_stops_the_run_before_dbt_starts(tmp_path):
    """A full-refresh close replaced an issued statement_lines.parquet with dbt's log."""
    warehouse = tmp_path / "wh" / "billing.duckdb"
    victim = _planted(tmp_path, "symlink", tmp_path / "wh" / ".dbt" / "logs" / "dbt.log")
    with pytest.raises(BillingError, match="symbolic link or special file") as refused:
        run_dbt(["build"], project_dir=REPO, warehouse=warehouse)
    assert "dbt.log" in str(refused.value)
    assert victim.read_bytes() == b"issued bytes"
    assert not (tmp_path / "wh" / ".dbt" / "dbt-run.jsonl").exists()
    (tmp_path / "wh" / ".dbt" / "logs" / "dbt.log").unlink()
    (tmp_path / "wh" / ".dbt" / "logs").rmdir()
    (tmp_path / "wh" / ".dbt").rmdir()
    (tmp_path / "wh" / ".dbt").symlink_to(victim.parent)
    with pytest.raises(BillingError, match="is a symbolic link"):
        run_dbt(["build"], project_dir=REPO, warehouse=warehouse)


def test_a_validation_diagnosis_replaces_a_planted_link_instead_of_writing_through_it(tmp_path):
    from automq_billing.close.book import validation_refusal
    from automq_billing.validation import ValidationReport

    warehouse = tmp_path / "wh" / "billing.duckdb"
    diagnosis = tmp_path / "wh" / ".validation" / "2026-10-refused.json"
    victim = _planted(tmp_path, "symlink", diagnosis)
    error = validation_refusal(dt.date(2026, 10, 1), warehouse, ValidationReport())
    assert str(diagnosis) in error.hint
    assert victim.read_bytes() == b"issued bytes" and not diagnosis.is_symlink()
    diagnosis.unlink()
    diagnosis.parent.rmdir()
    diagnosis.parent.symlink_to(victim.parent)
    with pytest.raises(BillingError, match="symbolic link"):
        validation_refusal(dt.date(2026, 10, 1), warehouse, ValidationReport())


def _issued_month(output: Path) -> Path:
    month = output / "2026-10"
    (month / "v1").mkdir(parents=True)
    (month / "final.json").write_text("{}")
    return month


@pytest.mark.parametrize("inside", ["v1/wh.duckdb", "v1/sub/wh.duckdb", "wh.duckdb"])
def test_a_warehouse_inside_an_issued_month_folder_is_refused(tmp_path, inside):
    """A 30 MB database and a .dbt/ tree of 272 files were written inside an issued version."""
    landing, output = tmp_path / "landing", tmp_path / "output"
    landing.mkdir()
    month = _issued_month(output)
    with pytest.raises(BillingError, match="issued") as refused:
        check_close_paths(landing, output, month / inside)
    assert str(month) in str(refused.value)
    with pytest.raises(BillingError, match="issued"):  # of another output folder too
        check_close_paths(landing, tmp_path / "other-output", month / inside)


def test_a_warehouse_inside_any_month_folder_of_the_output_is_refused(tmp_path):
    landing, output = tmp_path / "landing", tmp_path / "output"
    landing.mkdir()
    (output / "2026-11").mkdir(parents=True)
    with pytest.raises(BillingError, match="month folder"):
        check_close_paths(landing, output, output / "2026-11" / "wh.duckdb")
    check_close_paths(landing, output, output / "warehouse" / "wh.duckdb")


def test_validate_docs_inside_an_issued_month_folder_is_refused(tmp_path):
    month = _issued_month(tmp_path / "output")
    with pytest.raises(BillingError, match="--docs .* issued"):
        check_docs_folder(month / "v1" / "validation", tmp_path / "landing")


def test_a_planted_warehouse_journal_link_is_refused(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "wh" / "billing.duckdb"
    victim = _planted(tmp_path, "symlink", warehouse.with_name("billing.duckdb.wal"))
    with pytest.raises(BillingError, match="journal"):
        check_close_paths(landing, tmp_path / "out", warehouse)
    assert victim.read_bytes() == b"issued bytes"
