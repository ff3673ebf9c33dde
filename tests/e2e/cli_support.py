"""What the end-to-end tests share: running the installed command from another folder, in a
minimal environment, and reading what it left behind."""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from helpers import COMMAND

MONTH = "2026-10"


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    pid: int = 0
    stopped: bool = False  # killed by the test: too slow, or building when it should refuse

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def environment(tmpdir: Path, **extra: str) -> dict[str, str]:
    """PATH without the virtual environment, a TMPDIR of the test's own, nothing else."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmpdir), **extra}


def close_command(
    landing: Path, output: Path, warehouse: Path, *extra: str, month: str = MONTH
) -> list[str]:
    return [
        str(COMMAND),
        "close",
        "--month",
        month,
        "--landing",
        str(landing),
        "--output",
        str(output),
        "--warehouse",
        str(warehouse),
        "--no-documents",
        *extra,
    ]


def start(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> Finished:
    """Runs the command; past `timeout` it is killed and reported as stopped."""
    started = time.monotonic()
    process = start(command, cwd, env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        return Finished(-9, stdout, stderr, time.monotonic() - started, process.pid, True)
    return Finished(process.returncode, stdout, stderr, time.monotonic() - started, process.pid)


def tree(folder: Path) -> dict[str, str]:
    """Every entry below `folder` with the sha256 of each file ("dir" for a folder)."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        )
        for path in sorted(folder.rglob("*"))
    }


def loaded_files(warehouse: Path) -> list[tuple] | None:
    """control.loaded_files, read-only; None when the warehouse (or the table) does not exist."""
    if not warehouse.is_file():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'control' and table_name = 'loaded_files'"
        ).fetchall()[0][0]
        if not tables:
            return None
        return con.execute(
            "select dataset, path, size_bytes, sha256, rows, load_id "
            "from control.loaded_files order by dataset, path"
        ).fetchall()
