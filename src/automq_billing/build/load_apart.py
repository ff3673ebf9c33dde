"""The load of the landing in a child process (issue 18).

DuckDB keeps what a load read in its buffers, and the allocator of a process seldom gives freed
memory back to the system: a close that loaded 50 million rows itself would still hold them while
the dbt child builds at its own memory limit. The load runs instead in a short-lived child
process (a fresh interpreter) that opens the warehouse, loads the new files in one transaction
and exits, so its memory is returned before dbt starts. Its progress lines and its errors (a
BillingError with its hint) are handed back to the close.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from automq_billing import warehouse
from automq_billing.errors import BillingError
from automq_billing.landing import LandingSurvey, LoadResult, load_landing
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import load_vocabulary

Outcome = tuple[LoadResult | None, list[str], tuple[str, str | None] | None]


def _load(
    warehouse_path: Path,
    survey: LandingSurvey,
    project_dir: Path,
    full_refresh: bool,
    hashes: Hashes | None,
) -> Outcome:
    said: list[str] = []
    try:
        vocabulary = load_vocabulary(project_dir)  # read again here: it does not pickle
        with warehouse.connect(warehouse_path) as con:
            result = load_landing(
                con,
                survey,
                vocabulary,
                full_refresh=full_refresh,
                progress=said.append,
                hashes=hashes,
            )
    except BillingError as error:
        return None, said, (error.message, error.hint)
    return result, said, None


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
    try:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            result, said, error = pool.submit(
                _load, warehouse_path, survey, project_dir, full_refresh, hashes
            ).result()
    except BrokenProcessPool as broken:
        raise BillingError(
            f"The load of the landing into {warehouse_path} stopped abruptly (the process was "
            "killed, perhaps for lack of memory); nothing was loaded.",
            hint="check the machine's free memory and run the close again",
        ) from broken
    for line in said:
        progress(line)
    if error is not None:
        raise BillingError(error[0], hint=error[1])
    assert result is not None
    return result
