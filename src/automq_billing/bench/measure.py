"""Measuring a command: wall time and the peak resident memory of its whole process tree
(VmRSS of the process and all its descendants, sampled every 50 ms, maximum of the sum)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

SAMPLE_SECONDS = 0.05


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
            parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _name(pid: int) -> str:
    """A short name for a process of the tree: its command line's module or program."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return "?"
    if "-m" in words[:-1]:
        return words[words.index("-m") + 1]
    return " ".join(Path(word).name for word in words[:2] if word)


def tree_rss(root: int) -> dict[int, int]:
    """The resident memory (KiB) of `root` and each of its descendants, by process id."""
    children = _children_map()
    sizes, stack = {}, [root]
    while stack:
        pid = stack.pop()
        if pid in sizes:
            continue
        sizes[pid] = _rss_kib(pid)
        stack.extend(children.get(pid, ()))
    return sizes


def tree_rss_kib(root: int) -> int:
    return sum(tree_rss(root).values())


def run_measured(command: list[str], log_path: Path, env: dict | None = None) -> dict[str, Any]:
    """Runs the command; returns its exit code, wall seconds and peak process-tree RSS, with
    the processes the tree held at its peak (name and MiB each)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak, at_peak = 0, []
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        while True:
            pid, status, _ = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            sizes = tree_rss(process.pid)
            if sum(sizes.values()) > peak:
                peak = sum(sizes.values())
                at_peak = [[_name(pid), round(kib / 1024, 1)] for pid, kib in sizes.items() if kib]
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_processes": at_peak,
        "log": str(log_path),
    }


def machine_info() -> dict[str, Any]:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024)
    except OSError:
        pass

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_mib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "dbt_core": version("dbt-core"),
        "automq_billing": version("automq-billing"),
        "load_average": round(os.getloadavg()[2], 2),  # 15 minutes: the machine is shared
    }
