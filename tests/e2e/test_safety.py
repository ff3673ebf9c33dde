"""Nothing lost, impossible to corrupt: real `automq-billing close` processes killed (SIGKILL) at
three moments, terminated (SIGTERM), raced against each other, and refused, checked from outside
(SPEC 6: a close writes all its files or none; one writer per warehouse and per output folder).

Every close runs the installed command by its full path, from another folder, with a minimal
environment (PATH=/usr/bin:/bin, no AUTOMQ_BILLING_* variable; TMPDIR points into the test's
temporary folder so a killed run's scratch files stay there). Whole closes are few and shared
through module fixtures: one sequence of killed closes on one warehouse and output folder ending
with the close that succeeds, and four lock races run side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import (
    MONTH,
    Finished,
    close_command,
    environment,
    loaded_files,
    run,
    start,
    tree,
)

from helpers import USAGE_SCHEMA, assert_conservation, hour, usage_row, write_usage

PAUSED_CLOSE = Path(__file__).with_name("paused_close.py")

pytestmark = pytest.mark.e2e

LOAD_FILES = 80  # enough files that the load takes a moment: a kill lands inside it


# ---------------------------------------------------------------------------------------------
# Running the command


def wait_for(process: subprocess.Popen, text: str, timeout: float = 180) -> list[str]:
    """Reads the close's progress (stderr) until a line contains `text`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    process.kill()
    raise AssertionError(f"the close never printed {text!r}; it printed:\n{''.join(seen)}")


def finish(process: subprocess.Popen, seen: list[str], timeout: float = 120) -> Finished:
    stdout, stderr = process.communicate(timeout=timeout)
    return Finished(process.returncode, stdout, "".join(seen) + stderr, 0.0, process.pid)


def assert_clean_refusal(result: Finished) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert "What to do:" in result.stderr, text
    assert "Traceback" not in text, text


# ---------------------------------------------------------------------------------------------
# Processes, seen through /proc


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents.setdefault(stat[1], []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def survivors(pids: list[int], wait: float = 10) -> list[int]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "(gone)"


# ---------------------------------------------------------------------------------------------
# Files


def version_folders(output: Path) -> list[str]:
    month = output / MONTH
    return sorted(p.name for p in month.iterdir()) if month.is_dir() else []


def usage_rows(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from landing.usage_events").fetchone()[0]


def write_landing(landing: Path, files: int) -> None:
    for index in range(files):
        write_usage(
            landing / "usage_events" / f"day={index % 28 + 1:02d}" / f"part-{index:03d}.parquet",
            [
                usage_row(
                    event_id=f"evt-{index}-{meter}",
                    organization_id=f"org-{index % 3}",
                    instance_id=f"inst-{index % 5}",
                    meter=meter,
                    quantity=quantity,
                    hour_start=hour(index % 28 + 1, index % 24),
                    emitted_at=hour(index % 28 + 1, index % 24) + dt.timedelta(hours=1),
                )
                for meter, quantity in (("uptime_seconds", 3600), ("ingress_bytes", 2**30))
            ],
        )


# ---------------------------------------------------------------------------------------------
# Killed closes: one warehouse and output folder, killed while loading, while dbt builds and
# just before publishing, terminated while dbt builds, then closed for good


@dataclass
class Stopped:
    """What a close stopped by a signal left: its children then, the survivors among them, the
    output folder's entries and the warehouse's register of loaded files."""

    pid: int
    children: list[int]
    commands: list[str]
    survivors: list[int]
    output: dict[str, str]
    loaded: list[tuple] | None
    result: Finished


@dataclass
class KillSequence:
    landing: Path
    output: Path
    warehouse: Path
    env: dict[str, str]
    cwd: Path
    stopped: dict[str, Stopped] = field(default_factory=dict)
    final: Finished | None = None

    def command(self) -> list[str]:
        return close_command(self.landing, self.output, self.warehouse)

    def stop_at(
        self, moment: str, signum: int, *markers: str, pause_before_publish: float = 0
    ) -> None:
        """Starts a close, waits for each progress marker in turn, then sends `signum`. With
        `pause_before_publish`, the close runs through paused_close.py and waits that long with
        every file written, before its rename."""
        command = self.command()
        if pause_before_publish:
            command = [sys.executable, str(PAUSED_CLOSE), str(pause_before_publish), *command[1:]]
        process = start(command, self.cwd, self.env)
        seen = []
        for marker in markers:
            seen += wait_for(process, marker)
        children = descendants(process.pid)
        commands = [command_of(pid) for pid in children]
        process.send_signal(signum)
        result = finish(process, seen)
        self.stopped[moment] = Stopped(
            pid=process.pid,
            children=children,
            commands=commands,
            survivors=survivors(children),
            output=tree(self.output),
            loaded=loaded_files(self.warehouse),
            result=result,
        )


@pytest.fixture(scope="module")
def kills(tmp_path_factory) -> KillSequence:
    root = tmp_path_factory.mktemp("kills")
    sequence = KillSequence(
        landing=root / "landing",
        output=root / "output",
        warehouse=root / "warehouse" / "billing.duckdb",
        env=environment(root / "tmp"),
        cwd=root / "elsewhere",
    )
    write_landing(sequence.landing, LOAD_FILES)
    # while loading: this progress line comes just before the files are read
    sequence.stop_at("loading", signal.SIGKILL, "new file(s) (")
    # while dbt builds, a few models in
    sequence.stop_at("building", signal.SIGKILL, "Building and testing", "OK stg_")
    sequence.stop_at("terminated", signal.SIGTERM, "Building and testing", "OK stg_")
    # just before publishing: every file is written, in the hidden temporary folder
    sequence.stop_at(
        "publishing",
        signal.SIGKILL,
        "(test) pausing",
        pause_before_publish=30,
    )
    sequence.final = run(sequence.command(), sequence.cwd, sequence.env)
    return sequence


MOMENTS = ["loading", "building", "publishing"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_close_publishes_nothing_and_leaves_only_its_own_temporary(kills, moment):
    killed = kills.stopped[moment]
    own = f".{MONTH}-v1.tmp-{killed.pid}"
    assert not [entry for entry in killed.output if entry.startswith(f"{MONTH}")], killed.output
    assert all(entry == own or entry.startswith(own + "/") for entry in killed.output), (
        killed.output
    )
    if moment == "publishing":
        # the close had written everything, in its hidden temporary folder only
        assert f"{own}/manifest.json" in killed.output
        assert f"{own}/statements.parquet" in killed.output


@pytest.mark.parametrize("moment", MOMENTS)
def test_no_child_of_a_killed_close_survives_it(kills, moment):
    killed = kills.stopped[moment]
    if moment == "building":  # the validation worker runs from the build until publishing
        assert any("validation.worker" in command for command in killed.commands), killed.commands
    if moment == "building":
        assert any("dbt" in command for command in killed.commands), killed.commands
    assert killed.survivors == [], [command_of(pid) for pid in killed.survivors]


def test_a_close_killed_while_loading_keeps_nothing_of_its_load(kills):
    # the load is one transaction: killed inside it, the warehouse registers no file
    assert kills.stopped["loading"].loaded in (None, [])
    # the close killed while dbt built had loaded (and committed) every file
    assert len(kills.stopped["building"].loaded or []) == LOAD_FILES


def test_a_terminated_close_says_so_and_leaves_nothing(kills):
    terminated = kills.stopped["terminated"]
    result = terminated.result
    assert result.returncode == 130, result.stderr
    assert "interrupted; nothing was published" in result.stderr
    assert "Traceback" not in result.stderr
    assert terminated.output == {}  # no month, no version, no temporary
    assert any("dbt" in command for command in terminated.commands), terminated.commands
    assert terminated.survivors == [], [command_of(pid) for pid in terminated.survivors]


def test_the_next_close_succeeds_as_v1_and_removes_the_killed_temporary(kills):
    result = kills.final
    assert result is not None and result.returncode == 0, result
    assert f"Closed {MONTH} as v1" in result.stdout
    assert version_folders(kills.output) == ["v1"]
    hidden = [p.name for p in kills.output.iterdir() if p.name.startswith(".")]
    assert hidden == [], hidden  # the temporary of the close killed before publishing is gone
    manifest = json.loads((kills.output / MONTH / "v1" / "manifest.json").read_text())
    assert_conservation(manifest)
    assert len(manifest["inputs"]) == LOAD_FILES
    assert len(loaded_files(kills.warehouse)) == LOAD_FILES
    assert usage_rows(kills.warehouse) == 2 * LOAD_FILES  # each file loaded exactly once


# ---------------------------------------------------------------------------------------------
# A refused close writes nothing


def _landing_with(base: Path, destination: Path, name: str, table: pa.Table) -> Path:
    shutil.copytree(base, destination)  # copy2: sizes and modification times are kept
    path = destination / "usage_events" / name
    pq.write_table(table, path)
    return path


def _too_big_quantity() -> pa.Table:
    table = pa.Table.from_pylist([usage_row(event_id="too-big")], schema=USAGE_SCHEMA)
    index = table.schema.get_field_index("quantity")
    return table.set_column(index, "quantity", pa.array([2**63 + 7], pa.uint64()))


def _missing_column() -> pa.Table:
    table = pa.Table.from_pylist([usage_row(event_id="no-meter")], schema=USAGE_SCHEMA)
    return table.drop_columns(["meter"])


@pytest.mark.parametrize(
    ("case", "table", "column", "output"),
    [
        # refused by the survey, before the load; into an output folder that does not exist
        ("footer", _missing_column(), "meter", "new"),
        # refused inside the load (rolled back); into the output folder that holds v1
        ("values", _too_big_quantity(), "quantity", "existing"),
    ],
    ids=["bad footer, new output", "bad values, output holding v1"],
)
def test_a_refused_close_writes_nothing(kills, tmp_path, case, table, column, output):
    assert kills.final is not None and kills.final.returncode == 0
    landing = tmp_path / "landing"
    bad = _landing_with(kills.landing, landing, "bad.parquet", table)
    before_files = loaded_files(kills.warehouse)
    before_rows = usage_rows(kills.warehouse)
    before_output = tree(kills.output)
    target = kills.output if output == "existing" else tmp_path / "new-output"
    result = run(close_command(landing, target, kills.warehouse), kills.cwd, kills.env)
    assert_clean_refusal(result)
    assert str(bad) in result.stderr and f"'{column}'" in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert target.exists() == (output == "existing")
    assert tree(kills.output) == before_output  # no v2, no temporary, nothing changed
    assert loaded_files(kills.warehouse) == before_files
    assert usage_rows(kills.warehouse) == before_rows


# ---------------------------------------------------------------------------------------------
# Two closes at once: one wins, the other stops at once naming it, whatever their TMPDIR.
# Each race starts four closes at once that share the warehouse (or the output folder): two with
# one TMPDIR, two with another, so whichever wins, one loser had its TMPDIR and one had another.


@dataclass
class Race:
    shared: str  # "warehouse" or "output folder"
    runs: list[Finished]
    tmpdirs: list[str]
    outputs: list[Path]
    warehouses: list[Path]

    @property
    def winners(self) -> list[int]:
        return [i for i, r in enumerate(self.runs) if r.returncode == 0]


@pytest.fixture(scope="module")
def foreign_hidden():
    """A live process that is not a close, for a temporary-looking folder named after it."""
    process = subprocess.Popen(["/bin/sleep", "900"])
    yield process.pid
    process.kill()
    process.wait()


def hidden_entries(output: Path, live_pid: int, dead_pid: int) -> dict[str, bool]:
    """Hidden folders put in an output folder: name -> whether a close may remove it."""
    entries = {
        ".git": False,
        ".backup.tmp-keep": False,
        f".{MONTH}-v1.tmp-{live_pid}": False,  # a live process's: maybe a close still writing
        f".{MONTH}-v1.tmp-{dead_pid}": True,  # a killed close's
    }
    for name in entries:
        (output / name).mkdir(parents=True)
        (output / name / "keep.txt").write_text(name)
    return entries


def dead_pid() -> int:
    process = subprocess.Popen(["/bin/true"])
    process.wait()
    assert not alive(process.pid)
    return process.pid


def _timed(process: subprocess.Popen, began: float) -> Finished:
    stdout, stderr = process.communicate(timeout=600)
    return Finished(process.returncode, stdout, stderr, time.monotonic() - began, process.pid)


@pytest.fixture(scope="module")
def races_started(tmp_path_factory, foreign_hidden):
    """Starts the eight closes of the two races at once; `races` collects them."""
    root = tmp_path_factory.mktemp("races")
    landing = root / "landing"
    write_landing(landing, 2)
    gone = dead_pid()
    plans = {}
    for shared in ("warehouse", "output folder"):
        base = root / shared.split()[0]
        tmpdirs = [base / "tmp-one", base / "tmp-one", base / "tmp-two", base / "tmp-two"]
        if shared == "warehouse":
            outputs = [base / f"output-{i}" for i in range(4)]
            warehouses = [base / "warehouse" / "billing.duckdb"] * 4
        else:
            outputs = [base / "output"] * 4
            warehouses = [base / f"warehouse-{i}" / "billing.duckdb" for i in range(4)]
            hidden_entries(outputs[0], foreign_hidden, gone)
        plans[shared] = (tmpdirs, outputs, warehouses, base / "elsewhere")
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {}
        for shared, (tmpdirs, outputs, warehouses, cwd) in plans.items():
            futures[shared] = [
                pool.submit(
                    _timed,
                    start(close_command(landing, o, w), cwd, environment(t)),
                    time.monotonic(),
                )
                for t, o, w in zip(tmpdirs, outputs, warehouses, strict=True)
            ]
        yield plans, futures


@pytest.fixture(scope="module")
def races(races_started) -> dict[str, Race]:
    plans, futures = races_started
    return {
        shared: Race(
            shared,
            [future.result() for future in futures[shared]],
            [str(t) for t in tmpdirs],
            outputs,
            warehouses,
        )
        for shared, (tmpdirs, outputs, warehouses, _) in plans.items()
    }


@pytest.mark.parametrize("shared", ["warehouse", "output folder"])
def test_closes_started_at_once_on_the_same_target_exactly_one_succeeds(races, shared):
    race = races[shared]
    assert len(race.winners) == 1, [(r.returncode, r.stderr[-1500:]) for r in race.runs]
    won = race.runs[race.winners[0]]
    assert f"Closed {MONTH} as v1" in won.stdout
    assert version_folders(race.outputs[race.winners[0]]) == ["v1"]
    # the locks are beside the warehouse and beside the output folder, never in a TMPDIR
    for target in (race.warehouses[race.winners[0]], race.outputs[race.winners[0]]):
        assert (target.parent / f".{target.name}.automq-billing.lock").is_file()
    for tmpdir in set(race.tmpdirs):
        assert not list(Path(tmpdir).rglob("*.lock")), tmpdir
    for index, lost in enumerate(race.runs):
        if index == race.winners[0]:
            continue
        assert_clean_refusal(lost)
        assert f"Another run is writing the same {shared}" in lost.stderr, lost.stderr
        assert f"pid {won.pid} " in lost.stderr, (won.pid, lost.stderr)
        assert "close --month 2026-10" in lost.stderr
        # the loser wrote nothing of its own
        if shared == "warehouse":
            assert not race.outputs[index].exists()
        else:
            assert not race.warehouses[index].exists()
        assert lost.seconds < 20, lost.seconds  # at once, not after the winner finished


@pytest.mark.parametrize("shared", ["warehouse", "output folder"])
@pytest.mark.parametrize("tmpdir", ["same TMPDIR", "different TMPDIR"])
def test_the_lock_holds_whatever_the_tmpdir_of_the_other_close(races, shared, tmpdir):
    race = races[shared]
    assert len(race.winners) == 1
    winner = race.winners[0]
    losers = [
        i
        for i in range(len(race.runs))
        if i != winner and (race.tmpdirs[i] == race.tmpdirs[winner]) == (tmpdir == "same TMPDIR")
    ]
    assert losers
    for index in losers:
        assert race.runs[index].returncode == 2
        assert f"pid {race.runs[winner].pid} " in race.runs[index].stderr


# ---------------------------------------------------------------------------------------------
# A close removes its own killed temporaries and nothing else in --output


def test_a_close_keeps_hidden_folders_that_are_not_its_temporaries(races, foreign_hidden):
    output = races["output folder"].outputs[0]
    names = {p.name for p in output.iterdir()}
    kept = [".git", ".backup.tmp-keep", f".{MONTH}-v1.tmp-{foreign_hidden}"]
    for name in kept:
        assert (output / name / "keep.txt").read_text() == name, names
    # the temporary named after a process that is gone (a killed close) was removed
    assert names == {*kept, MONTH}, names


def test_a_refused_close_keeps_hidden_folders_that_are_not_its_temporaries(
    tmp_path, foreign_hidden
):
    landing = tmp_path / "landing"
    write_landing(landing, 1)
    pq.write_table(_missing_column(), landing / "usage_events" / "bad.parquet")
    output = tmp_path / "output"
    entries = hidden_entries(output, foreign_hidden, dead_pid())
    result = run(
        close_command(landing, output, tmp_path / "warehouse" / "b.duckdb"),
        tmp_path / "cwd",
        environment(tmp_path / "tmp"),
    )
    assert_clean_refusal(result)
    for name, removable in entries.items():
        if not removable:
            assert (output / name / "keep.txt").read_text() == name
    assert not (output / MONTH).exists()
