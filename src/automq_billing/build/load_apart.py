"""The load of the landing in a child process (issue 18).

DuckDB keeps what a load read in its buffers, and the allocator of a process seldom gives freed
memory back to the system: a close that loaded 50 million rows itself would still hold them while
the dbt child builds at its own memory limit. The load runs instead in a short-lived child
process (a fresh interpreter) that opens the warehouse, loads the new files in one transaction
and exits, so its memory is returned before dbt starts. Its progress lines reach the close as
the child says them, its errors (a BillingError with its hint) when it ends, and it dies with the
close (a killed close leaves no load running that would commit after it).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from automq_billing import warehouse
from automq_billing.dbt_runner import die_with_parent
from automq_billing.errors import BillingError
from automq_billing.landing import LandingSurvey, LoadResult, load_landing
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import load_vocabulary

Outcome = tuple[LoadResult | None, tuple[str, str | None] | None]

_said = None  # the child's end of the progress queue (set by _start)


def _start(said, parent: int) -> None:
    """Runs first in the child: dies with the close, however the close dies (a killed close must
    not leave a load running that commits after it), and says its progress through `said` as it
    goes, so the close prints each line when the child reaches it."""
    global _said
    die_with_parent()
    if os.getppid() != parent:  # the close died before the line above took effect
        os._exit(1)
    _said = said


def _load(
    warehouse_path: Path,
    survey: LandingSurvey,
    project_dir: Path,
    full_refresh: bool,
    hashes: Hashes | None,
) -> Outcome:
    assert _said is not None
    try:
        vocabulary = load_vocabulary(project_dir)  # read again here: it does not pickle
        # beside the close and its validation worker: the close's limit (warehouse.py)
        with warehouse.connect(warehouse_path, memory_limit=warehouse.close_memory_limit()) as con:
            result = load_landing(
                con,
                survey,
                vocabulary,
                full_refresh=full_refresh,
                progress=_said.put,
                hashes=hashes,
            )
    except BillingError as error:
        return None, (error.message, error.hint)
    return result, None


def load_apart(
    warehouse_path: Path,
    survey: LandingSurvey,
    project_dir: Path,
    *,
    full_refresh: bool,
    progress: Callable[[str], None],
    hashes: Hashes | None = None,
) -> LoadResult:
    """`load_landing` on the warehouse file with the vocabulary of `project_dir`, in a child
    process; the caller holds the warehouse lock and no connection to the file."""
    context = multiprocessing.get_context("spawn")
    said = context.Queue()
    try:
        with ProcessPoolExecutor(
            1, mp_context=context, initializer=_start, initargs=(said, os.getpid())
        ) as pool:
            future = pool.submit(_load, warehouse_path, survey, project_dir, full_refresh, hashes)
            while True:
                try:
                    progress(said.get(timeout=0.1))
                except queue.Empty:
                    if future.done():
                        break
            result, error = future.result()
    except BrokenProcessPool as broken:
        raise BillingError(
            f"The load of the landing into {warehouse_path} stopped abruptly (the process was "
            "killed, perhaps for lack of memory); nothing was loaded.",
            hint="check the machine's free memory and run the close again",
        ) from broken
    finally:
        said.close()
    if error is not None:
        raise BillingError(error[0], hint=error[1])
    assert result is not None
    return result
