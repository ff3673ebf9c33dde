"""Runs dbt as a child process (so it alone holds the warehouse file while it writes), shows
progress from its structured log, and turns failures into one clear error."""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from automq_billing.errors import BillingError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"


def _die_with_parent() -> None:
    """Runs in the dbt child before exec: Linux kills it when the close process dies, however
    it dies, so a killed close never leaves dbt holding the warehouse's write lock."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the parent still kills the child on any exception
        pass


@dataclass
class DbtResult:
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    nodes: int = 0
    seconds: float = 0.0
    log_path: Path | None = None


def dbt_environment(landing: Path, warehouse: Path, extra: dict[str, str] | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "AUTOMQ_BILLING_LANDING": str(landing),
            "AUTOMQ_BILLING_WAREHOUSE": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_VERSION_CHECK": "false",
            "DBT_PARTIAL_PARSE": "true",
        }
    )
    env.update(extra or {})
    return env


def run_dbt(
    args: Sequence[str],
    *,
    project_dir: Path,
    landing: Path,
    warehouse: Path,
    work_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> DbtResult:
    """Runs `dbt <args>` on the project; raises BillingError when any node errors or fails."""
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "dbt-run.jsonl"
    command = [
        sys.executable,
        "-c",
        _DBT_MAIN,
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--log-format",
        "json",
    ]
    result = DbtResult(log_path=log_path)
    errors: list[str] = []
    started = time.monotonic()
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            cwd=project_dir,
            env=dbt_environment(landing, warehouse),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        ) as process,
    ):
        assert process.stdout is not None
        try:
            for line in process.stdout:
                log.write(line)
                _handle_line(line, result, errors, progress)
            returncode = process.wait()
        except BaseException:
            process.kill()
            raise
    result.seconds = time.monotonic() - started
    if returncode != 0 or result.failed:
        # the failing nodes first, then dbt's own error lines (the database's message,
        # e.g. a conversion error, is only there)
        details = list(dict.fromkeys(result.failed + errors)) or [
            f"dbt exited with code {returncode}"
        ]
        shown = "\n".join(f"  - {d}" for d in details[:20])
        more = f"\n  ... and {len(details) - 20} more" if len(details) > 20 else ""
        raise BillingError(
            f"dbt {args[0]} failed ({len(details)} problem(s)); nothing was written:\n"
            f"{shown}{more}",
            hint=f"read the failing tests' descriptions in the docs (`make docs`), fix the landing "
            f"data or the seeds they name, and run again; dbt's full log is {log_path}",
        )
    return result


def _handle_line(
    line: str,
    result: DbtResult,
    errors: list[str],
    progress: Callable[[str], None] | None,
) -> None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        text = line.strip()
        if text:
            errors.append(_ANSI.sub("", text))
        return
    info = event.get("info", {})
    data = event.get("data", {})
    name = info.get("name", "")
    message = _ANSI.sub("", info.get("msg", "")).strip()
    level = info.get("level", "")
    if name in {"LogModelResult", "LogTestResult", "LogSeedResult", "LogNodeResult"} or (
        name.endswith("Result") and "index" in data and "total" in data
    ):
        total = data.get("total") or data.get("num_models") or result.nodes or "?"
        result.nodes = max(result.nodes, int(total) if str(total).isdigit() else 0)
        status = str(data.get("status", "")).lower()
        node = data.get("node_info", {}) or {}
        label = node.get("node_name") or node.get("unique_id") or message
        if status in {"error", "fail", "runtime error"}:
            result.failed.append(f"{label}: {message}")
        elif status == "warn":
            result.warned.append(f"{label}: {message}")
        else:
            result.passed += 1
        if progress and (node.get("resource_type") != "test" or status not in {"pass", "success"}):
            progress(f"[{data.get('index', '?')}/{total}] {status.upper() or 'DONE'} {label}")
    elif level == "error" and message:
        errors.append(message)
