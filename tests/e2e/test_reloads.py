"""A reload never poisons later closes, and the inputs of an issued month stay landed (issue 16
items 2 and 3; SPEC 6 and 8), with the installed command:
- `load --full-refresh` then a close publishes what a fresh full close publishes (load ids
  restart at 1, so the full refresh empties the build register and the next build is full);
- a `close --full-refresh` killed half-way through its build, then a plain close: the same;
- a landed file that issued September used, moved away, refuses a close even with
  `--full-refresh` and a new `--warehouse` (which used to credit September in silence); an edit
  that keeps its size and modification time is seen.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from cli_support import close_command, environment, run, start

from helpers import COMMAND, hour, usage_row, write_usage

pytestmark = pytest.mark.e2e
KILLED_BUILD = Path(__file__).with_name("killed_build.py")
STATEMENT_FILES = (
    "statement_lines.parquet",
    "statements.parquet",
    "statement_lines.csv",
    "statements.csv",
)
GIB = 2**30


def ingress(event: str, org: str, gib: int, day: int, month: int, emitted_day: int) -> dict:
    """A usage-based instance's ingress in one hour, exported on a later day of the month."""
    return usage_row(
        event_id=event,
        organization_id=org,
        instance_id=f"inst-{org}",
        environment_id=f"env-{org}",
        hour_start=hour(day, 3, month=month),
        quantity=gib * GIB,
        emitted_at=hour(emitted_day, 1, month=month),
    )


class Book:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.landing = root / "landing"
        self.env = environment(root / "tmp", HOME=str(root))

    def close(self, month: str, warehouse: str = "w1", output: str = "out", *extra: str):
        command = close_command(
            self.landing,
            self.root / output,
            self.root / warehouse / "billing.duckdb",
            *extra,
            month=month,
        )
        return run(command, self.root, self.env)

    def command(self, *args: str):
        return run([str(COMMAND), *args], self.root, self.env)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    book = Book(tmp_path_factory.mktemp("reloads"))
    september = book.landing / "usage_events" / "2026-09.parquet"
    write_usage(
        september,
        [ingress("s-1", "org-a", 1000, 5, 9, 6), ingress("s-2", "org-b", 300, 7, 9, 8)],
    )
    book.closed_september = book.close("2026-09")
    book.finalized = book.command(
        "finalize", "--month", "2026-09", "--output", str(book.root / "out")
    )
    # October lands in two files, a later load restating a September measurement
    write_usage(
        book.landing / "usage_events" / "2026-10-a.parquet",
        [ingress("o-1", "org-a", 2000, 2, 10, 3), ingress("o-2", "org-c", 50, 4, 10, 5)],
    )
    book.first_october = book.close("2026-10")
    write_usage(
        book.landing / "usage_events" / "2026-10-b.parquet",
        [
            ingress("o-3", "org-b", 700, 9, 10, 10),
            {**ingress("s-1b", "org-a", 1100, 5, 9, 6), "emitted_at": hour(2, 1, month=10)},
        ],
    )
    book.second_october = book.close("2026-10")  # v2, incremental over load 3
    # the reference: a fresh full close of the same landing and issued September
    (book.root / "fresh").mkdir()
    shutil.copytree(book.root / "out" / "2026-09", book.root / "fresh" / "2026-09", symlinks=True)
    book.fresh = book.close("2026-10", "w-fresh", "fresh")
    # load --full-refresh, then a plain close (v3)
    book.reloaded = book.command(
        "load",
        "--full-refresh",
        "--landing",
        str(book.landing),
        "--warehouse",
        str(book.root / "w1" / "billing.duckdb"),
    )
    book.after_reload = book.close("2026-10")
    # a close --full-refresh killed half-way through its build, then a plain close (v4)
    command = [
        sys.executable,
        str(KILLED_BUILD),
        *close_command(
            book.landing,
            book.root / "out",
            book.root / "w1" / "billing.duckdb",
            "--full-refresh",
            month="2026-10",
        )[1:],
    ]
    process = start(command, book.root, book.env)
    seen = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if "half of the build is done" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    book.killed_output = "".join(seen)
    book.after_kill = book.close("2026-10")
    return book


def _published(result) -> Path:
    """The version folder a close printed ("Closed 2026-10 as v<N>: <folder>")."""
    line = next(line for line in result.stdout.splitlines() if line.startswith("Closed "))
    return Path(line.split(": ", 1)[1])


def _same_statements(first: Path, second: Path) -> None:
    for name in STATEMENT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_closes_before_the_reload_succeed(book):
    for result in (book.closed_september, book.finalized, book.first_october):
        assert result.returncode == 0, result.text
    assert book.second_october.returncode == 0, book.second_october.text
    assert book.fresh.returncode == 0 and "Closed 2026-10 as v1" in book.fresh.stdout
    _same_statements(book.root / "out" / "2026-10" / "v2", book.root / "fresh" / "2026-10" / "v1")


def test_load_full_refresh_then_a_close_gives_the_statements_of_a_full_close(book):
    assert book.reloaded.returncode == 0, book.reloaded.text
    assert book.after_reload.returncode == 0, book.after_reload.text
    _same_statements(_published(book.after_reload), book.root / "fresh" / "2026-10" / "v1")


def test_a_full_refresh_killed_in_its_build_then_a_close_gives_a_full_close(book):
    assert "half of the build is done" in book.killed_output, book.killed_output
    assert book.after_kill.returncode == 0, book.after_kill.text
    _same_statements(_published(book.after_kill), book.root / "fresh" / "2026-10" / "v1")


def _refused_naming(result, *words: str) -> None:
    assert result.returncode == 2, result.text
    assert "Traceback" not in result.text
    for word in words:
        assert word in result.stderr, result.stderr


def test_a_removed_input_of_an_issued_month_refuses_every_close(book):
    september = book.landing / "usage_events" / "2026-09.parquet"
    moved = book.root / "2026-09.parquet.moved"
    versions = sorted(p.name for p in (book.root / "out" / "2026-10").iterdir())
    september.rename(moved)
    try:
        for result in (
            book.close("2026-10", "w1", "out", "--full-refresh"),
            book.close("2026-10", "w-new", "out"),
        ):
            _refused_naming(result, "usage_events/2026-09.parquet", "issued month 2026-09")
    finally:
        moved.rename(september)
    assert sorted(p.name for p in (book.root / "out" / "2026-10").iterdir()) == versions
    assert not (book.root / "w-new" / "billing.duckdb").exists()


def test_an_edit_keeping_size_and_mtime_is_seen_by_the_next_close(book):
    october = book.landing / "usage_events" / "2026-10-a.parquet"
    original = october.read_bytes()
    stat = october.stat()
    edited = original.replace(b"org-c", b"org-d")
    assert len(edited) == len(original) and edited != original
    october.write_bytes(edited)
    os.utime(october, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    try:
        result = book.close("2026-10")
    finally:
        october.write_bytes(original)
        os.utime(october, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _refused_naming(result, "2026-10-a.parquet", "content changed since it was loaded")
