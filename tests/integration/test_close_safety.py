"""A close cannot be corrupted: killed at any moment it leaves no partial month folder and the
next close succeeds; a second close on the same warehouse or output folder stops at once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automq_billing.demo import generate_landing

pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).parent / "automq-billing"


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("safety") / "landing"
    generate_landing(folder, [dt.date(2026, 10, 1)], orgs=3, seed=11)
    return folder


def start_close(landing: Path, output: Path, warehouse: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(COMMAND),
            "close",
            "--month",
            "2026-10",
            "--landing",
            str(landing),
            "--output",
            str(output),
            "--warehouse",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def wait_for(process: subprocess.Popen, text: str, timeout: float = 120) -> list[str]:
    """Reads the close's progress (stderr) until a line contains `text`."""
    seen = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"never saw {text!r}; got:\n{''.join(seen)}")


def month_entries(output: Path) -> list[str]:
    entries = []
    if output.exists():
        for path in sorted(output.rglob("*")):
            entries.append(str(path.relative_to(output)))
    return entries


def run_to_completion(landing: Path, output: Path, warehouse: Path) -> None:
    process = start_close(landing, output, warehouse)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert (output / "2026-10" / "v1" / "manifest.json").is_file()


@pytest.mark.parametrize(
    "moment", ["checking the landing zone", "int_usage_events_classified", "fct_statements"]
)
def test_a_close_killed_while_building_leaves_nothing(tmp_path, landing, moment):
    output, warehouse = tmp_path / "output", tmp_path / "wh" / "billing.duckdb"
    process = start_close(landing, output, warehouse)
    wait_for(process, moment)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not [e for e in month_entries(output) if "2026-10" in e or "tmp" in e]
    # dbt died with it (no orphan holds the warehouse), and the next close succeeds
    run_to_completion(landing, output, warehouse)
    assert month_entries(output)[:2] == ["2026-10", "2026-10/v1"]


def test_a_close_killed_while_publishing_leaves_no_month_folder(tmp_path, landing):
    output, warehouse = tmp_path / "output", tmp_path / "wh" / "billing.duckdb"
    process = start_close(landing, output, warehouse, AUTOMQ_BILLING_TEST_PAUSE_BEFORE_PUBLISH="60")
    wait_for(process, "pausing")
    # every file is written in the hidden temporary folder, nothing is in the month folder yet
    temporaries = [p for p in output.iterdir() if p.name.startswith(".")]
    assert len(temporaries) == 1 and (temporaries[0] / "manifest.json").is_file()
    assert not (output / "2026-10").exists()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not (output / "2026-10").exists()
    run_to_completion(landing, output, warehouse)
    assert [p.name for p in output.iterdir()] == ["2026-10"]  # the stale temporary is gone


def test_a_terminated_close_cleans_up_and_says_so(tmp_path, landing):
    output, warehouse = tmp_path / "output", tmp_path / "wh" / "billing.duckdb"
    process = start_close(landing, output, warehouse, AUTOMQ_BILLING_TEST_PAUSE_BEFORE_PUBLISH="60")
    wait_for(process, "pausing")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted; nothing was published" in err
    assert month_entries(output) == []


def test_a_second_close_on_the_same_warehouse_or_output_stops_at_once(tmp_path, landing):
    output, warehouse = tmp_path / "output", tmp_path / "wh" / "billing.duckdb"
    first = start_close(landing, output, warehouse)
    wait_for(first, "Building and testing")
    for other_output, other_warehouse in (
        (tmp_path / "other-output", warehouse),  # same warehouse
        (output, tmp_path / "other-wh" / "billing.duckdb"),  # same output folder
    ):
        started = time.monotonic()
        second = start_close(landing, other_output, other_warehouse)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2, err
        assert time.monotonic() - started < 15  # at once, not after waiting for the first
        assert "Another close is running" in err
        assert f"pid {first.pid}" in err and "--month 2026-10" in err
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert (output / "2026-10" / "v1").is_dir()
    assert not (output / "2026-10" / "v2").exists()
    assert not (tmp_path / "other-output").exists()
