"""One close at a time per warehouse file and per output folder.

Locks are `flock`s on small files in the system's temporary folder, named after the locked path,
so taking one never writes beside the warehouse or into the output folder. The kernel releases a
lock when its process ends however it ends (even `kill -9`), so a crashed close never blocks the
next one. The lock file records who holds it, for the message another close prints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from automq_billing.errors import BillingError


def lock_directory() -> Path:
    folder = Path(os.environ.get("AUTOMQ_BILLING_LOCK_DIR", tempfile.gettempdir()))
    folder = folder / "automq-billing-locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def lock_path(kind: str, target: Path) -> Path:
    digest = hashlib.sha256(str(target.resolve()).encode("utf-8")).hexdigest()[:24]
    return lock_directory() / f"{kind}-{digest}.lock"


@contextmanager
def exclusive(kind: str, target: Path, holder: dict) -> Iterator[None]:
    """Holds the lock on `target` or raises BillingError naming the close that holds it."""
    path = lock_path(kind, target)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                running = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                running = {}
            who = (
                f"pid {running.get('pid', '?')} on {running.get('host', '?')}, "
                f"{running.get('command', 'a close')} started {running.get('started_at', '?')}"
            )
            raise BillingError(
                f"Another close is running on the same {kind} ({target}): {who}.",
                hint="wait for it to finish (or stop that process) and run again; two closes "
                "must never write the same warehouse or output folder at once",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({**holder, "target": str(target)}) + "\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


@contextmanager
def close_locks(warehouse: Path, output: Path, month: str) -> Iterator[None]:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": f"automq-billing close --month {month}",
        "started_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    with ExitStack() as stack:
        stack.enter_context(exclusive("warehouse", warehouse, holder))
        stack.enter_context(exclusive("output folder", output, holder))
        yield
