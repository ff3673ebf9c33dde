"""The monthly close (SPEC 6): build and test the warehouse, then freeze one month's statements.

A close writes all of `<output>/<YYYY-MM>/v<N>/` or nothing: the files are written into a hidden
temporary folder beside it and renamed into place only when every step has succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from automq_billing import __version__
from automq_billing.dbt_runner import DbtResult, run_dbt
from automq_billing.errors import BillingError
from automq_billing.landing import LandedFile, landing_error, sha256_file, survey_landing
from automq_billing.locks import close_locks
from automq_billing.months import format_month
from automq_billing.validation import (
    Suite,
    ValidationReport,
    Validator,
    mart_suites,
    validate_landing_in_child,
)

Progress = Callable[[str], None]

_VERSION_DIR = re.compile(r"v(\d+)")

STATEMENT_LINES_SQL = """
    select
        statement_month, organization_id, line_type, billing_item, tier, cluster_tier,
        license_id, quantity, unit, unit_price, amount, currency, rate_card_version
    from marts.fct_statement_lines
    where statement_month = $month
    order by organization_id, line_type, billing_item, tier nulls first,
        cluster_tier nulls first, license_id nulls first
"""

STATEMENTS_SQL = """
    select
        statement_month, organization_id, currency, usage_amount, subscription_amount,
        adjustment_amount, total_amount, line_count
    from marts.fct_statements
    where statement_month = $month
    order by organization_id
"""

QUARANTINE_SQL = """
    select
        event_id, organization_id, environment_id, instance_id, cloud_provider, region,
        pricing_mode, cluster_tier, meter, hour_start, quantity, emitted_at, reason, source_file
    from marts.fct_usage_quarantine
    where usage_month = $month or usage_month is null
    order by source_file, hour_start nulls first, instance_id, meter, event_id, reason
"""

LICENSE_QUARANTINE_SQL = """
    select
        license_id, organization_id, channel, term, aku_quota, start_date, end_date,
        price_per_aku, currency, product_secret_sha256, purchased_at, reason, source_file
    from marts.fct_license_quarantine
    order by source_file, license_id
"""

LICENSE_OUTCOMES_SQL = """
    select outcome, quarantine_reason, count(*)
    from intermediate.int_licenses_validated
    group by outcome, quarantine_reason
"""

REVENUE_SQL = """
    select
        license_id, organization_id, term, revenue_month, days_in_month, term_days,
        license_amount, recognized_amount, currency
    from marts.fct_license_revenue_schedule
    where revenue_month = $month
    order by organization_id, license_id
"""

UTILIZATION_SQL = """
    select
        organization_id, environment_id, usage_month, allocated_aku_hours, required_aku_hours,
        peak_required_aku, peak_allocated_aku, hours_over_capacity, hours_with_instances,
        hours_reported, utilization_ratio
    from marts.rpt_aku_utilization_monthly
    where usage_month = $month
    order by organization_id, environment_id
"""

OUTCOMES_SQL = """
    select usage_month, meter, outcome, quarantine_reason, row_count, quantity
    from intermediate.int_usage_outcomes_counted
    where usage_month = $month or usage_month is null
"""


@dataclass(frozen=True)
class CloseOptions:
    month: dt.date
    landing: Path
    output: Path
    warehouse: Path
    project_dir: Path


@dataclass(frozen=True)
class CloseResult:
    folder: Path
    version: int
    manifest: dict


def run_close(options: CloseOptions, progress: Progress = lambda message: None) -> CloseResult:
    """Runs one close; refuses at once if another close holds the warehouse or output folder."""
    _check_paths(options)
    with close_locks(options.warehouse, options.output, format_month(options.month)):
        _remove_stale_temporaries(options.output)
        return _run_close_locked(options, progress)


def _check_paths(options: CloseOptions) -> None:
    """The close never writes into the landing zone, and its paths must not overlap."""
    landing = options.landing.resolve()
    for option, path in (("--output", options.output), ("--warehouse", options.warehouse)):
        resolved = path.resolve()
        if resolved == landing or landing in resolved.parents:
            raise BillingError(
                f"{option} {path} lies inside the landing zone {landing}; landed data is "
                "immutable and the close never writes there.",
                hint=f"choose an {option} outside the landing folder",
            )
    if options.output.resolve() in landing.parents or options.output.resolve() == landing:
        raise BillingError(
            f"The landing zone {landing} lies inside --output {options.output}.",
            hint="keep the landing zone and the output folder apart",
        )
    if options.warehouse.is_dir():
        raise BillingError(
            f"--warehouse {options.warehouse} is a folder; it must name a DuckDB file.",
            hint="pass e.g. --warehouse warehouse/billing.duckdb",
        )
    if options.output.exists() and not options.output.is_dir():
        raise BillingError(
            f"--output {options.output} is a file; it must be a folder.",
            hint="pass a folder (it is created when missing)",
        )


def _remove_stale_temporaries(output: Path) -> None:
    """Temporary folders left by a close that was killed (we hold the output lock, so no close
    is writing them)."""
    if output.is_dir():
        for stale in output.glob(".*.tmp-*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)


def _run_close_locked(options: CloseOptions, progress: Progress) -> CloseResult:
    started = time.monotonic()
    month_label = format_month(options.month)
    progress(f"Close {month_label}: checking the landing zone {options.landing}")
    landed, problems = survey_landing(options.landing)
    progress(
        f"  {len(landed)} file(s), {sum(f.rows for f in landed):,} row(s) in "
        f"{', '.join(sorted({f.dataset for f in landed})) or 'no dataset'}"
    )
    if problems:  # files that fail their footer check are refused as they are
        raise landing_error(options.landing, problems)
    gx_root = Path(tempfile.mkdtemp(prefix="automq-billing-gx-"))
    try:
        return _validate_build_publish(options, progress, landed, gx_root, started)
    finally:
        shutil.rmtree(gx_root, ignore_errors=True)


def _validate_build_publish(
    options: CloseOptions,
    progress: Progress,
    landed: list[LandedFile],
    gx_root: Path,
    started: float,
) -> CloseResult:
    month_label = format_month(options.month)
    progress("Validating the landed files (Great Expectations landing suites)")
    report = validate_landing_in_child(options.landing, gx_root)
    if report.blocking:
        raise landing_error(options.landing, [f.describe() for f in report.blocking])
    options.warehouse.parent.mkdir(parents=True, exist_ok=True)
    work_dir = options.warehouse.parent / ".dbt"
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Inputs are hashed while dbt builds: both are long at scale and they do not compete
        # for the same resource.
        hashing = pool.submit(lambda: {f.path: sha256_file(f.path) for f in landed})
        progress(f"Building and testing the warehouse {options.warehouse} (dbt build)")
        dbt_result = run_dbt(
            ["build"],
            project_dir=options.project_dir,
            landing=options.landing,
            warehouse=options.warehouse,
            work_dir=work_dir,
            progress=progress,
        )
        hashes = hashing.result()
    progress(f"  dbt build passed: {dbt_result.passed} node(s) in {dbt_result.seconds:.1f}s")

    with Validator(root=gx_root, source="marts") as validator:
        frozen = _read_month(options)
        progress("Validating the marts (Great Expectations mart suites)")
        report.extend(validator.run(frozen.suites))
        if report.blocking:
            diagnosis = options.warehouse.parent / ".validation" / f"{month_label}-refused"
            shutil.rmtree(diagnosis, ignore_errors=True)
            validator.export(diagnosis, report)
            raise BillingError(
                f"Validation refused to publish {month_label}: "
                f"{len(report.blocking)} blocking expectation(s) failed; nothing was written."
                f"{_expectation_lines(report)}",
                hint=f"read {diagnosis / 'data_docs' / 'index.html'} (and results.json beside "
                "it) for the failing values, fix their cause, and run the close again",
            )
        month_folder = options.output / month_label
        version_number = _next_version(month_folder)
        # The temporary folder sits beside the month folders (same file system, so the rename
        # is atomic) and is hidden; a failed close removes it and leaves no month folder.
        temporary = options.output / f".{month_label}-v{version_number}.tmp-{os.getpid()}"
        final = month_folder / f"v{version_number}"
        try:
            temporary.mkdir(parents=True)
            validation = validator.export(temporary / "validation", report)
            manifest = _write_month(
                options,
                temporary,
                version_number,
                landed,
                hashes,
                dbt_result,
                frozen,
                validation,
                started,
            )
            _pause_for_tests(progress)
            month_folder.mkdir(exist_ok=True)
            os.rename(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return CloseResult(final, version_number, manifest)


def _expectation_lines(report: ValidationReport) -> str:
    if not report.blocking:
        return ""
    return "\n" + "\n".join(f"  - expectation {f.describe()}" for f in report.blocking[:25])


def _pause_for_tests(progress: Progress) -> None:
    """Lets the kill tests stop a close between writing its files and publishing them."""
    seconds = float(os.environ.get("AUTOMQ_BILLING_TEST_PAUSE_BEFORE_PUBLISH", "0") or 0)
    if seconds > 0:
        progress(f"(test) pausing {seconds:g}s before publishing")
        time.sleep(seconds)


def _next_version(month_folder: Path) -> int:
    if not month_folder.is_dir():
        return 1
    numbers = [
        int(match.group(1))
        for child in month_folder.iterdir()
        if child.is_dir() and (match := _VERSION_DIR.fullmatch(child.name))
    ]
    return max(numbers, default=0) + 1


@dataclass(frozen=True)
class FrozenMonth:
    """What a close publishes, read from the warehouse once dbt has finished writing it."""

    lines: pa.Table
    statements: pa.Table
    quarantine: pa.Table
    license_quarantine: pa.Table
    revenue: pa.Table
    utilization: pa.Table
    conservation: dict
    scope: dict
    licenses: dict
    suites: list[Suite]


def _read_month(options: CloseOptions) -> FrozenMonth:
    params = {"month": options.month}
    with duckdb.connect(str(options.warehouse), read_only=True) as con:
        lines = con.sql(STATEMENT_LINES_SQL, params=params).to_arrow_table()
        statements = con.sql(STATEMENTS_SQL, params=params).to_arrow_table()
        quarantine = con.sql(QUARANTINE_SQL, params=params).to_arrow_table()
        license_quarantine = con.sql(LICENSE_QUARANTINE_SQL).to_arrow_table()
        revenue = con.sql(REVENUE_SQL, params=params).to_arrow_table()
        utilization = con.sql(UTILIZATION_SQL, params=params).to_arrow_table()
        outcomes = con.execute(OUTCOMES_SQL, params).fetchall()
        license_outcomes = con.execute(LICENSE_OUTCOMES_SQL).fetchall()
        suites = mart_suites(con, options.month)
    conservation, scope = _conservation_counts(outcomes)
    if scope["month_rows"] == 0:
        raise BillingError(
            f"No usage rows were landed for {format_month(options.month)} in "
            f"{options.landing / 'usage_events'}; a close would publish empty statements.",
            hint="check --month and --landing; land the month's usage exports first",
        )
    licenses: dict = {"landed": 0, "valid": 0, "duplicate": 0, "quarantined": {}}
    for outcome, reason, count in license_outcomes:
        licenses["landed"] += count
        if outcome == "quarantined":
            licenses["quarantined"][reason] = count
        else:
            licenses[outcome] += count
    licenses["quarantined"] = dict(sorted(licenses["quarantined"].items()))
    return FrozenMonth(
        lines,
        statements,
        quarantine,
        license_quarantine,
        revenue,
        utilization,
        conservation,
        scope,
        licenses,
        suites,
    )


def _write_month(
    options: CloseOptions,
    folder: Path,
    version_number: int,
    landed: list[LandedFile],
    hashes: dict[Path, str],
    dbt_result: DbtResult,
    frozen: FrozenMonth,
    validation: dict,
    started: float,
) -> dict:
    lines, statements, quarantine = frozen.lines, frozen.statements, frozen.quarantine
    outputs = {}
    for name, table in (
        ("statement_lines", lines),
        ("statements", statements),
        ("quarantine", quarantine),
        ("license_quarantine", frozen.license_quarantine),
        ("revenue_schedule", frozen.revenue),
        ("aku_utilization", frozen.utilization),
    ):
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
        outputs[f"{name}.parquet"] = _file_entry(folder / f"{name}.parquet", table.num_rows)
        if name in ("statement_lines", "statements"):
            pacsv.write_csv(table, folder / f"{name}.csv")
            outputs[f"{name}.csv"] = _file_entry(folder / f"{name}.csv", table.num_rows)
    manifest = {
        "manifest_version": 1,
        "month": format_month(options.month),
        "version": version_number,
        "closed_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "project": {"name": "automq-billing", "version": __version__},
        "tools": _tool_versions(),
        "paths": {
            "landing": str(options.landing),
            "warehouse": str(options.warehouse),
            "project_dir": str(options.project_dir),
        },
        "inputs": [
            {
                "dataset": f.dataset,
                "path": str(f.path.relative_to(options.landing)),
                "bytes": f.size_bytes,
                "rows": f.rows,
                "sha256": hashes[f.path],
            }
            for f in landed
        ],
        "reference_data": [
            {"path": str(p.relative_to(options.project_dir)), "sha256": sha256_file(p)}
            for p in sorted((options.project_dir / "seeds").glob("*.csv"))
        ],
        "usage_events": frozen.conservation,
        "usage_events_scope": frozen.scope,
        "outputs": outputs,
        "totals": _totals(statements, lines),
        "licenses": frozen.licenses,
        "prepaid": _prepaid_summary(lines, frozen.revenue, frozen.utilization),
        "quarantine": {
            "rows": quarantine.num_rows,
            "by_reason": _count_by(quarantine, "reason"),
        },
        "validation": validation,
        "dbt": {
            "nodes": dbt_result.nodes,
            "passed": dbt_result.passed,
            "warnings": dbt_result.warned,
            "seconds": round(dbt_result.seconds, 3),
        },
        "seconds": round(time.monotonic() - started, 3),
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    return manifest


def _conservation_counts(outcomes: list[tuple]) -> tuple[dict, dict]:
    """SPEC 6's `usage_events` block for the month's rows plus the rows without a month."""
    rows = {"landed": 0, "rated": 0, "duplicate": 0, "superseded": 0, "quarantined": {}}
    quantity: dict[str, dict] = {}
    scope = {"month_rows": 0, "rows_without_month": 0}
    for usage_month, meter, outcome, reason, row_count, meter_quantity in outcomes:
        key = meter if meter is not None else "(null)"
        per_meter = quantity.setdefault(
            key, {"landed": 0, "rated": 0, "duplicate": 0, "superseded": 0, "quarantined": {}}
        )
        for block, amount in ((rows, int(row_count)), (per_meter, int(meter_quantity))):
            block["landed"] += amount
            if outcome == "quarantined":
                block["quarantined"][reason] = block["quarantined"].get(reason, 0) + amount
            else:
                block[outcome] += amount
        scope["month_rows" if usage_month is not None else "rows_without_month"] += int(row_count)
    for block in (rows, *quantity.values()):
        block["quarantined"] = dict(sorted(block["quarantined"].items()))
    return {"rows": rows, "quantity": dict(sorted(quantity.items()))}, scope


def _file_entry(path: Path, rows: int) -> dict:
    return {"rows": rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _totals(statements: pa.Table, lines: pa.Table) -> dict:
    def column_sum(table: pa.Table, column: str) -> Decimal:
        return sum((v for v in table.column(column).to_pylist() if v is not None), Decimal("0"))

    return {
        "organizations": statements.num_rows,
        "statement_lines": lines.num_rows,
        "usage_amount": _money(column_sum(statements, "usage_amount")),
        "subscription_amount": _money(column_sum(statements, "subscription_amount")),
        "adjustment_amount": _money(column_sum(statements, "adjustment_amount")),
        "total_amount": _money(column_sum(statements, "total_amount")),
        "line_amount": _money(column_sum(lines, "amount")),
        "currency": "USD",
    }


def _prepaid_summary(lines: pa.Table, revenue: pa.Table, utilization: pa.Table) -> dict:
    subscriptions = [row for row in lines.to_pylist() if row["line_type"] == "subscription"]
    over = [
        {
            "organization_id": row["organization_id"],
            "environment_id": row["environment_id"],
            "hours_over_capacity": row["hours_over_capacity"],
            "peak_required_aku": row["peak_required_aku"],
            "peak_allocated_aku": row["peak_allocated_aku"],
        }
        for row in utilization.to_pylist()
        if row["hours_over_capacity"]
    ]
    return {
        "subscription_lines": len(subscriptions),
        "subscription_amount": _money(sum((r["amount"] for r in subscriptions), Decimal(0))),
        "recognized_revenue": _money(
            sum(revenue.column("recognized_amount").to_pylist(), Decimal(0))
        ),
        "environments_with_capacity": utilization.num_rows,
        "environments_over_capacity": over,
    }


def _count_by(table: pa.Table, column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in table.column(column).to_pylist():
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _tool_versions() -> dict[str, str]:
    def package(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "python": platform.python_version(),
        "dbt-core": package("dbt-core"),
        "dbt-duckdb": package("dbt-duckdb"),
        "duckdb": duckdb.__version__,
        "pyarrow": pa.__version__,
        "platform": sys.platform,
    }
