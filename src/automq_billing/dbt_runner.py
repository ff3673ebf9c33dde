"""Runs dbt as a child process (so it alone holds the warehouse file while it writes), shows
progress from its structured log, and turns failures into one clear error that shows the first
failing rows of a failing test.

dbt's working files (`target/`, logs) live beside the warehouse (`<warehouse folder>/.dbt/`), so
each warehouse keeps its own partial parse: a close re-parses only what changed. dbt runs in the
warehouse's folder with the profile naming the file by its bare name, so the profile, and with it
the partial parse, is the same for every warehouse of that name; a warehouse's first build starts
from the last partial parse of this project kept in the user's cache (dbt checks every file's
checksum, its version and the profile, and re-parses what differs). dbt does not check the
parse itself, so the kept copy is used only when it is exactly the one kept for this project state
(see _seed_partial_parse).

Nothing is written through a symbolic link: `.dbt/` holding a link (or a FIFO, a device) is
refused before dbt starts, and the run's log is opened without following links (`open_regular`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from automq_billing.errors import BillingError
from automq_billing.safe_files import links_or_special, open_regular, real_folder
from automq_billing.warehouse import close_memory_limit, code_fingerprint

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PARTIAL_PARSE = "partial_parse.msgpack"
_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"


def die_with_parent() -> None:
    """Runs in a child before exec: Linux kills it when the close process dies, however it dies,
    so a killed close never leaves dbt holding the warehouse or a worker running."""
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
    reused: bool = False  # no dbt run: the close reused the warehouse as its last build left it
    seconds: float = 0.0


def work_dir_for(warehouse: Path) -> Path:
    return warehouse.parent / ".dbt"


def _cache_folder() -> Path | None:
    """Where the last partial parse of each project state is kept between warehouses."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory: no cache
        return None
    return base / "automq-billing"


def _cache_key(project_dir: Path) -> str:
    """What a kept partial parse stands for: this project folder, every file dbt reads from it
    (warehouse.code_fingerprint) and the dbt version."""
    try:
        dbt_version = version("dbt-core")
    except PackageNotFoundError:
        dbt_version = "unknown"
    text = f"{project_dir.resolve()}|{dbt_version}|{code_fingerprint(project_dir)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _cache_entries(folder: Path, key: str) -> list[tuple[Path, str]]:
    """(path, sha256 its name promises) of the kept parses for `key`; none if the folder is not
    a real folder (a symbolic link is never followed)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    pattern = re.compile(rf"dbt-{key}-([0-9a-f]{{64}})\.msgpack")
    return [
        (entry, match.group(1))
        for entry in sorted(folder.iterdir())
        if (match := pattern.fullmatch(entry.name))
    ]


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file, never through a symbolic link; None otherwise."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


def _write_new(path: Path, data: bytes) -> None:
    """Creates `path` (it must not exist, not even as a symbolic link) holding `data`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        handle.write(data)


def _seed_partial_parse(project_dir: Path, target: Path) -> None:
    """A warehouse's first build starts from the partial parse kept for exactly this project
    state, when its bytes still hash to the sha256 its name carries; anything else (an edited
    cache, a link, another project state) is ignored and dbt parses the project itself.

    Measured on the demo landing (2026-09, 12 organizations, 2 shared cores): a first close on a
    new warehouse took 10.2 to 10.6 s with a kept parse (dbt 7.6 s) and 12.7 s without (dbt
    10.2 s) on a quiet machine; 32.6 to 37.6 s with (dbt 25.2 to 27.1 s) and 36.9 to 41.3 s
    without (dbt 30.1 to 32.3 s) on a busy one. The end-to-end tests start dozens of new
    warehouses, so the cache is kept, checked rather than trusted. (The name catches an edited
    or truncated file; someone who can write the user's cache folder can still plant a whole new
    file under a matching name, as they could edit a warehouse's own `.dbt/target/`.)"""
    if os.path.lexists(target / _PARTIAL_PARSE):
        return  # the warehouse's own parse
    folder = _cache_folder()
    if folder is None:
        return
    # a speed-up only: dbt parses everything without it
    with contextlib.suppress(OSError, BillingError):
        for entry, digest in _cache_entries(folder, _cache_key(project_dir)):
            data = _read_regular(entry)
            if data is not None and hashlib.sha256(data).hexdigest() == digest:
                target.mkdir(parents=True, exist_ok=True)
                _write_new(target / _PARTIAL_PARSE, data)
                return


def _keep_partial_parse(project_dir: Path, target: Path) -> None:
    """Keeps the warehouse's partial parse under a name carrying the project state it stands
    for and the sha256 of its bytes (replacing the one kept for that state before)."""
    folder = _cache_folder()
    data = _read_regular(target / _PARTIAL_PARSE)
    if folder is None or data is None:
        return
    with contextlib.suppress(OSError, BillingError):
        key = _cache_key(project_dir)
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink():
            return
        kept = folder / f"dbt-{key}-{hashlib.sha256(data).hexdigest()}.msgpack"
        temporary = folder / f".{kept.name}.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        _write_new(temporary, data)
        os.replace(temporary, kept)  # whole or not at all, whatever runs beside it
        for entry, _ in _cache_entries(folder, key):
            if entry != kept:
                entry.unlink(missing_ok=True)


def dbt_environment(warehouse: Path) -> dict[str, str]:
    """dbt's environment when it runs in the warehouse's folder (see the module's text)."""
    env = dict(os.environ)
    env.update(
        {
            "AUTOMQ_BILLING_WAREHOUSE": warehouse.name,
            # the DuckDB target whatever AUTOMQ_BILLING_TARGET says (Spark is its own engine)
            "AUTOMQ_BILLING_TARGET": "local",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_VERSION_CHECK": "false",
            "DBT_PARTIAL_PARSE": "true",
            "TZ": "UTC",
            "AUTOMQ_BILLING_MEMORY_LIMIT": close_memory_limit(),
        }
    )
    return env


def run_dbt(
    args: Sequence[str],
    *,
    project_dir: Path,
    warehouse: Path,
    progress: Callable[[str], None] | None = None,
) -> DbtResult:
    """Runs `dbt <args>` on the project; raises BillingError when any node errors or fails."""
    warehouse, project_dir = warehouse.absolute(), project_dir.absolute()
    work_dir = real_folder(work_dir_for(warehouse))
    planted = links_or_special(work_dir)
    if planted:
        raise BillingError(
            f"dbt's working folder {work_dir} holds {planted[0]}, a symbolic link or special "
            "file; dbt would write through it.",
            hint=f"remove {work_dir} (dbt recreates it; the first build then parses everything) "
            "and run again",
        )
    _seed_partial_parse(project_dir, work_dir / "target")
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
    result = DbtResult()
    errors: list[str] = []
    started = time.monotonic()
    with (
        open_regular(log_path, "w") as log,
        subprocess.Popen(
            command,
            cwd=warehouse.parent,
            env=dbt_environment(warehouse),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
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
        raise _failure(args, result, errors, returncode, warehouse, log_path)
    _keep_partial_parse(project_dir, work_dir / "target")
    return result


def _failure(
    args: Sequence[str],
    result: DbtResult,
    errors: list[str],
    returncode: int,
    warehouse: Path,
    log_path: Path,
    samples: str | None = None,
) -> BillingError:
    # the failing nodes first, then dbt's own error lines (the database's message, e.g. a
    # conversion error or a full disk, is only there)
    details = list(dict.fromkeys(result.failed + errors)) or [f"dbt exited with code {returncode}"]
    text = "\n".join(details)
    if "No space left on device" in text or "disk is full" in text.lower():
        return BillingError(
            f"The disk holding the warehouse {warehouse} is full; nothing was written.",
            hint="free space (or pass a --warehouse on a disk with room) and run again",
        )
    shown = "\n".join(f"  - {d}" for d in details[:20])
    more = f"\n  ... and {len(details) - 20} more" if len(details) > 20 else ""
    if samples is None:
        samples = failing_rows(warehouse, work_dir_for(warehouse) / "target")
    return BillingError(
        f"dbt {args[0]} failed ({len(details)} problem(s)); nothing was written:\n"
        f"{shown}{more}{samples}",
        hint="each failing test's description (`make docs`) says what it checks; fix the landing "
        f"data or the seeds it names and run again; dbt's full log is {log_path}",
    )


def failing_rows(warehouse: Path, target: Path, limit: int = 5) -> str:
    """The first rows each failing test returns, read from the warehouse (read-only) with the
    compiled test SQL in run_results.json, so a refusal shows what is wrong, not only where."""
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    failing = [
        r
        for r in results.get("results", [])
        if r.get("status") in ("fail", "error")
        and r.get("unique_id", "").startswith("test.")
        and r.get("compiled_code")
    ]
    if not failing:
        return ""
    import duckdb  # only when a test failed

    blocks = []
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return ""
    try:
        con.execute("set TimeZone = 'UTC'").fetchall()
        for result in failing[:5]:
            try:
                relation = con.sql(f"select * from ({result['compiled_code']}) limit {limit}")  # noqa: S608
                names = relation.columns
                rows = relation.fetchall()
            except duckdb.Error:
                continue
            name = result["unique_id"].split(".")[-1]
            lines = [
                "    " + ", ".join(f"{n}={_short(v)}" for n, v in zip(names, row, strict=True))
                for row in rows
            ]
            blocks.append(f"\n  first failing rows of {name}:\n" + "\n".join(lines))
    finally:
        con.close()
    return "".join(blocks)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _handle_line(
    line: str,
    result: DbtResult,
    errors: list[str],
    progress: Callable[[str], None] | None,
) -> None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        text = _ANSI.sub("", line).strip()
        if text:
            errors.append(text)
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
