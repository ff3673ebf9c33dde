"""One writer at a time per warehouse file and per output folder.

A lock is a `flock` on a small hidden file beside what it protects: `.<name>.automq-billing.lock`
in the folder that holds the warehouse file, and in the folder that holds the output folder. So
every process that writes the same warehouse or output shares the same lock whatever its
environment (a cron job and a shell with different TMPDIRs, a systemd unit with PrivateTmp). The
kernel releases a lock when its process ends however it ends (even `kill -9`), so a crashed close
never blocks the next one. The lock file records who holds it, for the message another run
prints; it is left in place (removing it would race with a run that just opened it). It is opened
without following a symbolic link and only as a regular file with one name (`open_regular`), so a
link planted under its name never makes a run write over another file.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from automq_billing.errors import BillingError
from automq_billing.safe_files import open_regular

LOCK_SUFFIX = ".automq-billing.lock"


def lock_path(target: Path) -> Path:
    target = target.resolve()
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


def holder(command: str) -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "started_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


@contextmanager
def exclusive(kind: str, target: Path, who: dict[str, object]) -> Iterator[None]:
    """Holds the lock on `target` (a warehouse file or an output folder) or raises
    BillingError naming the run that holds it."""
    path = lock_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open_regular(path, "r+")  # held for the whole block
    except OSError as error:
        raise BillingError(
            f"Cannot create the lock file {path} for the {kind} {target}: "
            f"{error.strerror or error}.",
            hint=f"make {path.parent} writable by this user (the lock is shared by every run "
            f"that writes the {kind})",
        ) from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise BillingError(
                f"Another run is writing the same {kind} ({target}): {_describe(handle)}.",
                hint="wait for it to finish (or stop that process) and run again; two runs must "
                f"never write the same {kind} at once",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({**who, "target": str(target)}) + "\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def _describe(handle) -> str:
    running: dict = {}
    for _ in range(20):  # the holder writes its details just after it takes the lock
        handle.seek(0)
        try:
            running = json.loads(handle.read() or "{}")
        except json.JSONDecodeError:
            running = {}
        if running.get("pid"):
            break
        time.sleep(0.05)
    return (
        f"pid {running.get('pid', '?')} on {running.get('host', '?')}, "
        f"`{running.get('command', 'automq-billing')}` started {running.get('started_at', '?')}"
    )


@contextmanager
def run_locks(command: str, *, warehouse: Path | None = None, output: Path) -> Iterator[None]:
    """The locks of a run that writes the output folder (and the warehouse, when given)."""
    who = holder(command)
    with ExitStack() as stack:
        if warehouse is not None:
            stack.enter_context(exclusive("warehouse", warehouse, who))
        stack.enter_context(exclusive("output folder", output, who))
        yield


def command_line() -> str:
    """This process's command as typed (program name and arguments), for lock messages."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300]
