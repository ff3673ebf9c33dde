"""The build, written once: survey the landing, load the new files, plan (write the run's context
and the ledger, decide full refresh, incremental or reuse), run dbt, and record what a
successful close build covered. The close, reconcile, load and validate commands and the
incremental equivalence test all go through these steps; what differs between them (which
models, whether the build is recorded) is an argument."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from automq_billing import warehouse
from automq_billing.book.issued import ISSUED_DEFERRED_REVENUE_TYPES
from automq_billing.build import state
from automq_billing.build.engine import Engine, Progress
from automq_billing.dbt_runner import DbtResult
from automq_billing.errors import BillingError
from automq_billing.landing import LandingSurvey, LoadResult, landing_error, survey_landing
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import Vocabulary

# what the build writes before dbt runs: the final months, their issued lines and rate cards,
# and (optionally) their issued deferred revenue roll-forwards
Ledger = tuple[list[tuple], pa.Table, pa.Table] | tuple[list[tuple], pa.Table, pa.Table, pa.Table]


@dataclass(frozen=True)
class BuildPlan:
    """How a build runs: a full refresh (asked for, or the models changed), or incremental; or no
    build at all when the warehouse is already built for exactly these inputs."""

    full_refresh: bool
    reuse: bool
    fingerprint: str  # the models, macros and seeds the build runs (recorded once it succeeds)
    inputs: str
    models_changed: bool  # no successful build ran these models yet


def survey(
    landing, vocabulary: Vocabulary, warn: Progress | None = None, *, count: bool = False
) -> LandingSurvey:
    """Step 1: the files this run reads; their warnings go to `warn` (with the count of files
    first when `count`); a bad file is refused by name."""
    result = survey_landing(landing, vocabulary)
    if warn is not None:
        if count:
            datasets = ", ".join(sorted({f.dataset for f in result.files})) or "no dataset"
            warn(f"  {len(result.files)} file(s) in {datasets}")
        for warning in result.warnings:
            warn(f"  warning: {warning}")
    if result.problems:
        raise landing_error(landing, result.problems)
    return result


def load(
    engine: Engine,
    landing: LandingSurvey,
    *,
    full_refresh: bool = False,
    progress: Progress = lambda message: None,
    hashes: Hashes | None = None,
    apart: bool = False,
) -> LoadResult:
    """Step 2: loads the survey's new files (every file with `full_refresh`, which also resets
    the control state of builds: the next build is a full one)."""
    return engine.load(
        landing, full_refresh=full_refresh, progress=progress, hashes=hashes, apart=apart
    )


def plan(
    engine: Engine,
    month: dt.date,
    ledger: Ledger,
    *,
    full_refresh: bool = False,
    reusable: bool = True,
) -> BuildPlan:
    """Step 3: writes the run's context (the month built for) and the ledger of issued months,
    and plans the build: a full refresh when asked or when the models changed since the last
    successful build; a reuse when a close's build with these inputs stands and no load is
    pending (`reusable`: only a close's build is)."""
    final_rows, issued_lines, rate_cards, *deferred = ledger
    with engine.connect() as con:
        fingerprint = warehouse.code_fingerprint(engine.project_dir)
        changed = state.needs_full_rebuild(con, fingerprint)
        warehouse.write_run_context(con, month, uuid.uuid4().hex)
        warehouse.write_ledger(con, final_rows, issued_lines)
        warehouse.write_issued_rate_cards(con, rate_cards)
        warehouse.write_issued_deferred_revenue(
            con, deferred[0] if deferred else ISSUED_DEFERRED_REVENUE_TYPES.empty_table()
        )
        inputs = state.build_inputs(con, fingerprint, month)
        full = changed or full_refresh
        reuse = reusable and not full and state.built_for(con, inputs)
    return BuildPlan(full, reuse, fingerprint, inputs, changed)


def run_build(
    engine: Engine,
    build_plan: BuildPlan,
    *,
    select: Sequence[str] = (),
    extra: Sequence[str] = (),
    record: bool,
    progress: Progress | None = None,
    check: Callable[[float], None] | None = None,
) -> DbtResult:
    """Steps 4 and 5: `dbt build` of `select` (every model when empty; unit tests excluded: they
    test code, not data), with `--full-refresh` when planned; then `check(started)` (also when
    dbt failed, before its error); with `record`, the build is recorded in control.builds as
    running, then as failed or as succeeded with the loads it processed. A reuse runs nothing."""
    if build_plan.reuse:
        return DbtResult(reused=True)
    args = ["build", *(["--select", *select] if select else []), "--exclude", "test_type:unit"]
    args += [*extra, *(["--full-refresh"] if build_plan.full_refresh else [])]
    build_id = None
    if record:
        with engine.connect() as con:
            build_id = state.start_build(con, build_plan.fingerprint, build_plan.full_refresh)
    since = time.time()
    try:
        result = engine.run_dbt(args, progress=progress)
    except BillingError:
        _record_failure(engine, build_id)
        if check is not None:  # its own refusal (naming the cause) goes before dbt's
            check(since)
        raise
    if check is not None:
        try:
            check(since)
        except BillingError:
            _record_failure(engine, build_id)
            raise
    if build_id is not None:
        with engine.connect() as con:
            state.finish_build(con, build_id, succeeded=True, inputs=build_plan.inputs)
    return result


def _record_failure(engine: Engine, build_id: int | None) -> None:
    """Marks the build failed; should the warehouse not open now, its row stays `running`,
    which counts as not succeeded just the same."""
    if build_id is None:
        return
    try:
        with engine.connect() as con:
            state.finish_build(con, build_id, succeeded=False)
    except (BillingError, duckdb.Error):
        pass
