"""The monthly close (SPEC 6, 8): load what landed, build and test the warehouse, validate the
month, and publish `<output>/<YYYY-MM>/v<N>/` whole or not at all.

The steps, in order (each timed; `--timings` prints the table, the manifest keeps it):
1. refuse what cannot work (overlapping paths, unwritable folders, a final month); 2. lock;
3. survey the landing (the files this run reads are fixed here) and refuse a bad file;
4. load the new files, write the run's context and the issued ledger; refuse an empty month;
5. run `dbt build` (unit tests excluded) while the validation worker checks the landing;
6. read the month (read-only) and refuse an unpriced month or edited prices of issued months;
7. validate the month's marts; 8. publish.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from automq_billing import __version__, build, warehouse
from automq_billing.book.folder import read_output
from automq_billing.book.issued import (
    issued_basis,
    issued_deferred_revenue,
    issued_ledger,
    issued_rate_cards,
    refuse_if_issued,
)
from automq_billing.book.names import next_version_number, version_folder, version_temporary
from automq_billing.book.publish import publishing, remove_own_temporaries
from automq_billing.build import BuildPlan, DuckDbEngine, Engine, make_engine
from automq_billing.build.steps import Ledger
from automq_billing.close import queries, reference
from automq_billing.close import warnings as noted
from automq_billing.close.book import BookCheck, check_book, validation_refusal
from automq_billing.close.export import write_batches, write_table
from automq_billing.close.focus import checked_focus, focus_block, write_focus
from automq_billing.close.journal import check_journal, journal_block
from automq_billing.close.manifest import (
    Conservation,
    Corrections,
    Manifest,
    Totals,
    money,
    prepaid_summary,
)
from automq_billing.close.marketplace import (
    EXCEPTION_CAUSES,
    MARKETPLACE_TABLES,
    STREAMED_TABLES,
    marketplace_block,
    marketplace_suites,
    streamed_batches,
)
from automq_billing.close.reuse import copy_previous, exports_key
from automq_billing.dbt_runner import DbtResult
from automq_billing.errors import BillingError
from automq_billing.landing import (
    LandingSurvey,
    LoadResult,
    landing_error,
)
from automq_billing.landing.hashing import Hashes, hash_landed, sha256_file
from automq_billing.landing.issued_inputs import check_issued_inputs
from automq_billing.locks import command_line, run_locks
from automq_billing.months import add_months, format_month
from automq_billing.paths import check_close_paths
from automq_billing.validation import Suite, ValidationReport, ValidationWorker
from automq_billing.validation.cache import ValidationCache
from automq_billing.validation.landing_suites import landing_suites
from automq_billing.validation.mart_suites import mart_suites
from automq_billing.vocabulary import Vocabulary, check_seed_files, load_vocabulary

Progress = Callable[[str], None]
_BATCH_ROWS = 65_536
# above this many landed rows the validation worker (~290 MiB) starts after dbt: the process
# tree stays under 2 GiB while dbt's DuckDB works at the close's limit (README, "Memory")
WORKER_BESIDE_DBT_MAX_ROWS = 10_000_000
_EXPORTS = {**queries.OUTPUT_TABLES, **MARKETPLACE_TABLES}  # the version folder's data files
_COPIED = [name for name in _EXPORTS if name != "focus"]  # a re-close may copy; FOCUS names v<N>


@dataclass(frozen=True)
class CloseOptions:
    month: dt.date
    landing: Path
    output: Path
    warehouse: Path
    project_dir: Path
    full_refresh: bool = False
    documents: bool = True
    pdfs: bool = False  # a draft's statements in HTML; finalize adds the issued PDFs
    engine: str = "duckdb"  # SPEC 11: duckdb or spark (build.make_engine)


@dataclass(frozen=True)
class CloseResult:
    folder: Path
    version: int
    manifest: Manifest


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0) + time.monotonic() - started, 3)


@dataclass
class MonthData:
    """What a close publishes, read from the warehouse once dbt has finished writing it."""

    tables: dict[str, pa.Table]
    conservation: Conservation
    licenses: dict
    quarantine_value: dict[str, dict]
    corrections_by_month: dict[str, dict]
    outside_window: list[dict[str, str]]
    suites: list[Suite]
    book: BookCheck = BookCheck({}, [])  # months with landed inputs, months never closed
    file_warnings: list[str] = field(default_factory=list)
    unpriced_elsewhere: dict[str, int] = field(default_factory=dict)
    exception_causes: dict[str, int] = field(default_factory=dict)
    exports_key: str | None = None  # close.reuse: what the data files are a function of


@dataclass
class CloseRun:
    """One close as its steps fill it in, handed from step to step instead of long parameter
    lists: what was asked (options), the project's vocabulary, and what each step found."""

    options: CloseOptions
    vocabulary: Vocabulary
    progress: Progress
    timings: Timings = field(default_factory=Timings)
    started: float = field(default_factory=time.monotonic)
    survey: LandingSurvey | None = None  # 3. what landed
    basis: dict[str, int] = field(default_factory=dict)  # the issued months it is closed against
    load: LoadResult | None = None  # 4. what was loaded
    dbt: DbtResult | None = None  # 5. the build
    engine: Engine | None = None  # where the warehouse is stored and built (build.Engine)
    data: MonthData | None = None  # 6. the month, read from the warehouse
    report: ValidationReport | None = None  # 7. the validation

    @property
    def label(self) -> str:
        return format_month(self.options.month)


def run_close(options: CloseOptions, progress: Progress = lambda message: None) -> CloseResult:
    started = time.monotonic()
    run = CloseRun(options, load_vocabulary(options.project_dir), progress, started=started)
    run.engine = make_engine(options.engine, options.warehouse, options.project_dir)
    timings, label, vocabulary = run.timings, run.label, run.vocabulary
    with timings.stage("checks"):
        check_close_paths(options.landing, options.output, run.engine.warehouse_file)
        run.engine.check_writable()
        check_seed_files(options.project_dir)
    with run_locks(command_line(), warehouse=options.warehouse, output=options.output):
        with timings.stage("checks"):
            remove_own_temporaries(options.output)
            months = read_output(options.output)
            refuse_if_issued(months, options.month)
            next_version_number(options.output, options.month)  # nothing in the way
        progress(f"Close {label}: checking the landing zone {options.landing}")
        with timings.stage("survey"):
            survey = run.survey = build.survey(options.landing, vocabulary, progress, count=True)
        with timings.stage("hash"):  # every file, once: what the load and the checks rely on
            hashes = hash_landed(survey.files)
            check_issued_inputs(months, options.landing, hashes)
        with timings.stage("ledger"):
            final_rows, issued_lines = issued_ledger(months, options.month)
            issued = (
                final_rows,
                issued_lines,
                issued_rate_cards(months, options.month),
                issued_deferred_revenue(months, options.month),
            )
            run.basis = issued_basis(months, options.month)
        # beside the warehouse (dbt's working folder): the output holds only what is published
        cache = ValidationCache(run.engine.dbt_target().parent / "validation")
        with (
            ValidationWorker(cache=cache, start=False) as worker,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            load, suites, plan = _load(run, issued, hashes)
            # the worker's import and suites run beside dbt (a reuse may need no worker)
            beside_dbt = survey.rows <= WORKER_BESIDE_DBT_MAX_ROWS
            if beside_dbt and not plan.reuse:
                worker.start()
            landing_report = pool.submit(worker.run, suites) if beside_dbt else None
            try:
                run.dbt = _build(run, plan)
            finally:  # the new files' warnings are kept even when the build is refused
                if landing_report is None:
                    landing_report = pool.submit(worker.run, suites)
                noted.record_file_warnings(run.engine.connect, load, landing_report.result())
            with timings.stage("read"), run.engine.reader() as con:
                data = run.data = _read_month(con, run)
                data.book = check_book(con, months, options.month, progress)
                data.unpriced_elsewhere = noted.unpriced_elsewhere(con, options.month)
            with run.engine.connect(read_only=True) as control:
                data.file_warnings = noted.stored_file_warnings(control, load)
            with timings.stage("validate"):
                report = run.report = landing_report.result()
                if report.blocking:
                    raise landing_error(options.landing, [f.describe() for f in report.blocking])
                progress("Validating the month (Great Expectations mart suites)")
                report.extend(worker.run(data.suites))
            if report.blocking:
                raise validation_refusal(options.month, options.warehouse, report)
        return _publish(run)


def _load(
    run: CloseRun, issued: Ledger, hashes: Hashes
) -> tuple[LoadResult, list[Suite], BuildPlan]:
    """Step 4: loads the new files, writes the run's context and the issued ledger, and plans
    the build; sets `run.load`."""
    options, vocabulary, survey, timings = run.options, run.vocabulary, run.survey, run.timings
    assert survey is not None
    final_rows = issued[0]  # the ledger: months, lines, rate cards
    engine = run.engine
    assert engine is not None
    with timings.stage("load"):  # in a child process: its memory is gone before dbt starts
        load = run.load = build.load(
            engine,
            survey,
            full_refresh=options.full_refresh,
            progress=run.progress,
            hashes=hashes,
            apart=True,
        )
        plan = build.plan(engine, options.month, issued, full_refresh=options.full_refresh)
    with engine.connect() as con:
        run.progress(
            f"  loaded {len(load.new_files)} new file(s), {load.rows_loaded():,} row(s) in "
            f"{load.seconds:.1f}s; {len(load.files) - len(load.new_files)} already loaded"
        )
        _refuse_empty_month(con, options, final_rows)
        with timings.stage("validate"):
            suites = landing_suites(survey, con, warehouse.unchecked_loads(con), vocabulary)
    if plan.models_changed and not options.full_refresh and load.files != load.new_files:
        run.progress("  the models changed since the last build: every table is rebuilt")
    return load, suites, plan


def _refuse_empty_month(
    con: duckdb.DuckDBPyConnection, options: CloseOptions, final_rows: list[tuple]
) -> None:
    """SPEC 6: a month with no usage row, no subscription and nothing to correct is refused
    before dbt runs."""
    usage_rows, licences = con.execute(
        queries.MONTH_HAS_INPUTS, {"month": options.month}
    ).fetchall()[0]
    if usage_rows or licences or final_rows:
        return
    label = format_month(options.month)
    raise BillingError(
        f"Nothing landed for {label} in {options.landing}: no usage row, no licence starting in "
        "the month and no issued month to correct; a close would publish empty statements.",
        hint="check --month and --landing; land the month's usage exports first",
    )


def _build(run: CloseRun, plan: BuildPlan) -> DbtResult:
    options, timings, progress, engine = run.options, run.timings, run.progress, run.engine
    assert engine is not None
    if plan.reuse:
        progress(
            f"The warehouse {options.warehouse} is as its last build left it for "
            f"{format_month(options.month)} (no new file, the same models, seeds and issued "
            "months): its tables and tests stand, dbt is not run"
        )
        return DbtResult(reused=True)
    progress(f"Building and testing the warehouse {options.warehouse} (dbt build)")
    target = engine.dbt_target()
    with timings.stage("dbt"):
        result = build.run_build(  # broken seeds are refused by name, whatever else failed
            engine,
            plan,
            select=[queries.CLOSE_SELECTION],
            extra=["--indirect-selection", "cautious"],
            record=True,
            progress=progress,
            check=lambda since: reference.refuse_reference_problems(engine, target, since),
        )
    progress(f"  dbt build passed: {result.passed} node(s) in {result.seconds:.1f}s")
    return result


def _read_month(con: Any, run: CloseRun) -> MonthData:
    """The month as dbt built it, through the engine's reader (DuckDB or Spark)."""
    options, vocabulary = run.options, run.vocabulary
    params = {"month": options.month}
    label = format_month(options.month)
    unpriced = con.execute(queries.UNPRICED, params).fetchall()
    if unpriced:
        items = ", ".join(f"{item}{f' ({tier})' if tier else ''}" for item, tier, _, _ in unpriced)
        seeds = ", ".join(sorted({f"seeds/{seed}.csv" for _, _, seed, _ in unpriced}))
        raise BillingError(
            f"{label} has billable usage that no rate card prices: {items}; nothing was written.",
            hint=f"add a version in force for {label} to {seeds} (effective_from on or before "
            f"{options.month}), or check the rows dated {label} in the landing",
        )
    unsized = con.execute(queries.UNSIZED, params).fetchall()
    if unsized:
        [(hours, environments, first)] = unsized
        raise BillingError(
            f"{label} has {hours:,} prepaid instance-hour(s) in {environments:,} environment(s) "
            f"(the first at {first:%Y-%m-%d %H:%M} UTC) that no capacity spec sizes; nothing was "
            "written.",
            hint=f"add a version in force for {label} to seeds/aku_capacity_specs.csv "
            f"(effective_from on or before {options.month}), or check the prepaid rows dated "
            f"{label} in the landing",
        )
    reference.refuse_issued_reference_changes(con)
    check_journal(con, options.month)
    tables = {
        name: con.sql(sql, params=params if "$month" in sql else None).to_arrow_table()
        for name, sql in _EXPORTS.items()
        if name not in STREAMED_TABLES  # written at publish, a row group at a time
    }
    conservation = Conservation.from_outcomes(con.execute(queries.OUTCOMES, params).fetchall())
    if conservation.month_rows == 0 and tables["statement_lines"].num_rows == 0:
        raise BillingError(
            f"{label} has no usage row and no statement line; a close would publish empty "
            "statements.",
            hint="check --month and --landing; land the month's usage exports first",
        )
    licenses: dict = {"landed": 0, "valid": 0, "duplicate": 0, "quarantined": {}}
    for outcome, reason, count in con.execute(queries.LICENSE_OUTCOMES).fetchall():
        licenses["landed"] += count
        if outcome == "quarantined":
            licenses["quarantined"][reason] = count
        else:
            licenses[outcome] += count
    licenses["quarantined"] = dict(sorted(licenses["quarantined"].items()))
    licenses["no_list_price"] = int(
        sum(
            1
            for row in tables["license_quarantine"].column("reason").to_pylist()
            if row == "no_list_price"
        )
    )
    quarantine_value = {
        reason: {"rows": int(rows), "estimated_value": money(value)}
        for reason, rows, value in con.execute(queries.QUARANTINE_VALUE, params).fetchall()
    }
    corrections_by_month = {
        format_month(month): {"lines": int(lines), "amount": money(amount)}
        for month, lines, amount in con.execute(queries.CORRECTIONS_BY_MONTH, params).fetchall()
    }
    outside_window = [
        {
            "month": format_month(month),
            "organization_id": organization_id,
            "billing_item": item,
            "quantity": f"{quantity:.6f}",
            "amount": money(amount),
        }
        for month, organization_id, item, quantity, amount in con.execute(
            queries.OUTSIDE_WINDOW
        ).fetchall()
    ]
    suites = mart_suites(
        con,
        options.month,
        units=list(vocabulary.billing_units),
        line_types=list(vocabulary.line_types),
    ) + marketplace_suites(con, options.month, vocabulary)
    return MonthData(
        tables,
        conservation,
        licenses,
        quarantine_value,
        corrections_by_month,
        outside_window,
        suites,
        exception_causes=dict(con.execute(EXCEPTION_CAUSES, params).fetchall()),
        # a re-close copies files only where the build record is the warehouse's own (DuckDB)
        exports_key=exports_key(con, options.warehouse, options.month, _EXPORTS)
        if isinstance(run.engine, DuckDbEngine)
        else None,
    )


def _publish(run: CloseRun) -> CloseResult:
    """Step 8: writes `v<N>` into a hidden temporary folder and publishes it whole."""
    options, data, report, timings = run.options, run.data, run.report, run.timings
    assert data is not None and report is not None
    label = run.label
    number = next_version_number(options.output, options.month)
    temporary = version_temporary(options.output, options.month, number)
    final = version_folder(options.output, options.month, number)
    focus = checked_focus(data.tables, options.month, number, label)
    run.progress(f"Publishing {final}")
    with timings.stage("publish"), publishing(temporary, final, f"{label} v{number}") as folder:
        with timings.stage("exports"):
            outputs = copy_previous(
                options.output, options.month, number, data.exports_key, folder, _COPIED
            )
            if outputs is not None:
                run.progress(f"  the data files are those of v{number - 1} (nothing new): copied")
            else:
                outputs = _write_exports(run, folder)
            # the FOCUS files name their version (x_StatementVersion): always written afresh
            outputs.update(write_focus(folder, focus))
        (folder / "validation").mkdir()
        (folder / "validation" / "results.json").write_text(report.to_json() + "\n", "utf-8")
        manifest = _manifest(run, outputs, number)
        manifest.focus = focus_block(focus)
        run.data.tables.clear()  # written: the documents read the folder, not memory
        if options.documents:
            with timings.stage("documents"):
                manifest.documents = _render_documents(run, folder, manifest)
        timings.seconds["total"] = round(time.monotonic() - run.started, 3)
        manifest.timings = dict(timings.seconds)
        (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return CloseResult(final, number, manifest)


def _write_exports(run: CloseRun, folder: Path) -> dict[str, dict]:
    """Each table's Parquet file and CSV twin; the streamed ones a row group at a time."""
    options, data, engine = run.options, run.data, run.engine
    assert data is not None and engine is not None
    outputs: dict[str, dict] = {}
    with engine.reader() as con:  # DuckDB's at the close's memory limit (engine.reader)
        for name, sql in _EXPORTS.items():
            if name == "focus":  # written by write_focus, with its version
                continue
            if name in data.tables:
                outputs.update(write_table(folder, name, data.tables[name]))
                continue
            batches = streamed_batches(con, name, sql, options.month, _BATCH_ROWS)
            outputs.update(write_batches(folder, name, batches))
    return outputs


def _render_documents(run: CloseRun, folder: Path, manifest: Manifest) -> dict:
    from automq_billing.documents.render import PdfCache, render_documents

    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    run.progress("Rendering the statements and the close report")
    result = render_documents(
        folder,
        folder / "documents",
        output_root=run.options.output,
        pdfs=run.options.pdfs,
        pdf_cache=PdfCache.for_output(run.options.output),
    )
    return {
        "folder": "documents",
        "statements": result.statements,
        "pdfs": result.pdfs,
        "pdfs_reused": result.pdfs_reused,
        "files": len(result.files),
        "seconds": round(result.seconds, 3),
    }


def _manifest(run: CloseRun, outputs: dict[str, dict], number: int) -> Manifest:
    options, vocabulary, survey, load = run.options, run.vocabulary, run.survey, run.load
    dbt_result, data, report = run.dbt, run.data, run.report
    assert None not in (survey, load, dbt_result, data, report)
    label = run.label
    lookback = int(vocabulary.correction_lookback_months)
    window_start = add_months(options.month, -lookback)
    loaded = {(f.dataset, f.relative): f for f in load.files}
    warnings = noted.version_warnings(survey, report, data, window_start, options.month)
    warnings += data.book.warnings
    statements, lines = data.tables["statements"], data.tables["statement_lines"]
    compliance = data.tables["license_compliance"].column("kind").to_pylist()
    return Manifest(
        month=label,
        version=number,
        closed_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        project={"name": "automq-billing", "version": __version__},
        tools=tool_versions(options.engine),
        paths={
            "landing": str(options.landing),
            "warehouse": str(options.warehouse),
            "project_dir": str(options.project_dir),
        },
        inputs=[
            {
                "dataset": f.dataset,
                "path": f.relative,
                "bytes": f.size_bytes,
                "rows": loaded[(f.dataset, f.relative)].rows,
                "sha256": loaded[(f.dataset, f.relative)].sha256,
                "load_id": loaded[(f.dataset, f.relative)].load_id,
            }
            for f in survey.files
        ],
        reference_data=[
            {"path": str(p.relative_to(options.project_dir)), "sha256": sha256_file(p)}
            for p in sorted((options.project_dir / "seeds").glob("*.csv"))
        ],
        usage_events=data.conservation,
        outputs=outputs,
        totals=_totals(statements, lines),
        licenses=data.licenses,
        license_compliance={kind: compliance.count(kind) for kind in sorted(set(compliance))},
        prepaid=prepaid_summary(
            lines, data.tables["revenue_schedule"], data.tables["aku_utilization"]
        ),
        quarantine={
            "rows": data.tables["quarantine"].num_rows,
            "by_reason": data.quarantine_value,
        },
        corrections=Corrections(
            window=[format_month(window_start), format_month(add_months(options.month, -1))],
            issued_basis=run.basis,
            by_month=data.corrections_by_month,
            outside_window=data.outside_window,
        ),
        marketplace=marketplace_block(data.tables, vocabulary, data.exception_causes),
        validation={
            **report.summary(),
            "results": "validation/results.json",
        },
        dbt={
            "nodes": dbt_result.nodes,
            "passed": dbt_result.passed,
            "warnings": dbt_result.warned,
            "seconds": round(dbt_result.seconds, 3),
            "reused": dbt_result.reused,
            "exports_key": data.exports_key,
        },
        load={
            "load_id": load.load_id,
            "new_files": len(load.new_files),
            "rows": load.rows_loaded(),
            "seconds": round(load.seconds, 3),
            "full_refresh": load.full_refresh,
        },
        warnings=warnings,
        timings={},
        landed_months=data.book.landed_months,
        journal=journal_block(data.tables),
    )


def _sum(table: pa.Table, column: str, where: Callable[[dict], bool] = lambda row: True) -> Decimal:
    return sum(
        (row[column] for row in table.to_pylist() if row[column] is not None and where(row)),
        Decimal("0"),
    )


def _totals(statements: pa.Table, lines: pa.Table) -> Totals:
    return Totals(
        organizations=statements.num_rows,
        statement_lines=lines.num_rows,
        usage_amount=_sum(statements, "usage_amount"),
        subscription_amount=_sum(statements, "subscription_amount"),
        adjustment_amount=_sum(statements, "adjustment_amount"),
        total_amount=_sum(statements, "total_amount"),
        line_amount=_sum(lines, "amount"),
    )


def tool_versions(engine: str = "duckdb") -> dict[str, str]:
    def package(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    tools = {
        "engine": engine,
        "python": platform.python_version(),
        "dbt-core": package("dbt-core"),
        "dbt-duckdb": package("dbt-duckdb"),
        "duckdb": duckdb.__version__,
        "pyarrow": pa.__version__,
        "platform": sys.platform,
    }
    if engine == "spark":
        tools.update({"dbt-spark": package("dbt-spark"), "pyspark": package("pyspark")})
    return tools
