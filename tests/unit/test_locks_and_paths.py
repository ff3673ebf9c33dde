"""Locks beside what they protect, shared whatever the environment; paths that never overlap
the landing zone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from automq_billing.errors import BillingError
from automq_billing.locks import exclusive, holder, lock_path
from automq_billing.paths import check_close_paths, check_docs_folder, option_path

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
