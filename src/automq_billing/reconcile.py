"""`automq-billing reconcile` (SPEC 9.5): AWS invoices after the month, so finance reconciles a
month again once the seller feed has arrived. A reconciliation loads the new landed files, builds
what the Marketplace reports need, validates them and writes
`<output>/<YYYY-MM>/reconciliation/r<N>/` whole or not at all, for open and final months alike.
It never writes or changes a statement folder (`v<N>`) or final.json.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from automq_billing import build, warehouse
from automq_billing.book.folder import read_output
from automq_billing.book.issued import (
    issued_deferred_revenue,
    issued_ledger,
    issued_rate_cards,
)
from automq_billing.book.names import (
    NUMBERING_FILE,
    next_reconciliation_number,
    reconciliation_folder,
    reconciliation_temporary,
)
from automq_billing.book.publish import publishing, remove_own_temporaries
from automq_billing.close.export import write_table
from automq_billing.close.marketplace import (
    MARKETPLACE_TABLES,
    marketplace_block,
    marketplace_suites,
    status_line,
)
from automq_billing.close.run import Timings, tool_versions
from automq_billing.errors import BillingError
from automq_billing.locks import command_line, run_locks
from automq_billing.months import format_month
from automq_billing.paths import check_close_paths
from automq_billing.safe_files import real_folder, write_text_atomically
from automq_billing.validation import ValidationWorker
from automq_billing.vocabulary import check_seed_files, load_vocabulary

Progress = Callable[[str], None]
SELECTION = [
    "+rpt_marketplace_reconciliation",
    "+fct_marketplace_metering_exceptions",
    "+fct_marketplace_expected_records",  # read by the checks; no other selected model reads it
    "+fct_marketplace_unmatched_billing_events",
    "+fct_marketplace_journal_lines",  # SPEC 12.3: listing fees and disbursements
]
# SPEC 12.3: the month's Marketplace journal, written beside the reconciliation's files
MARKETPLACE_JOURNAL = """
    select
        entry_id, entry_date, account_code, account_name, debit, credit, organization_id,
        source, reference, memo, currency
    from marts.fct_marketplace_journal_lines
    where usage_month = $month
    order by entry_id, side_rank
"""


@dataclass(frozen=True)
class ReconcileResult:
    folder: Path
    number: int
    manifest: dict


def run_reconcile(
    month: dt.date,
    *,
    landing: Path,
    output: Path,
    warehouse_path: Path,
    project_dir: Path,
    progress: Progress = lambda message: None,
    engine: str = "duckdb",
) -> ReconcileResult:
    timings = Timings()
    started = time.monotonic()
    label = format_month(month)
    vocabulary = load_vocabulary(project_dir)
    engine = build.make_engine(engine, warehouse_path, project_dir)
    check_close_paths(landing, output, engine.warehouse_file)
    engine.check_writable()
    check_seed_files(project_dir)
    with run_locks(command_line(), warehouse=warehouse_path, output=output):
        remove_own_temporaries(output)
        months = read_output(output)
        with timings.stage("survey"):
            survey = build.survey(landing, vocabulary)
        # every final month, the reconciled one included: its issued usage (SPEC 9.4) and the
        # correction window, which counts back from the month after the latest final month
        final_rows, issued_lines = issued_ledger(months, dt.date.max)
        with timings.stage("load"):
            load = build.load(engine, survey, progress=progress)
            with engine.connect() as con:
                close_state = warehouse.saved_close_state(con)
            plan = build.plan(  # no reuse: a close's tables are not the reconciliation's
                engine,
                month,
                (
                    final_rows,
                    issued_lines,
                    issued_rate_cards(months, dt.date.max),
                    issued_deferred_revenue(months, dt.date.max),
                ),
                reusable=False,
            )
        progress(f"Reconcile {label}: building the Marketplace reports (dbt build)")
        try:
            with timings.stage("dbt"):
                # the loads stay pending (record=False): this build wrote only what the
                # Marketplace reports need, and the close's other month-level tables (outcome
                # counts, quarantine, daily usage, AKU sizing) still have to classify their rows
                # (every incremental model rewrites a pending load's rows whole, so building them
                # again is exact)
                build.run_build(engine, plan, select=SELECTION, record=False, progress=progress)
            with engine.reader() as con, timings.stage("read"):
                tables = {
                    name: con.sql(sql, params={"month": month}).to_arrow_table()
                    for name, sql in MARKETPLACE_TABLES.items()
                }
                journal = con.sql(MARKETPLACE_JOURNAL, params={"month": month}).to_arrow_table()
                suites = marketplace_suites(con, month, vocabulary)
        finally:
            # the analyses (issued_vs_rerated, ...) read the run context and the ledger: they
            # stay those of the last close, so a reconcile changes no answer of theirs
            with engine.connect() as con:
                warehouse.restore_close_state(con, close_state)
        if not any(t.num_rows for t in tables.values()):
            raise BillingError(
                f"There is nothing to reconcile for {label}: no usage-based statement line, no "
                "accepted metering record and no AWS billing event of the month.",
                hint="land the month's Marketplace files (marketplace_customers/, "
                "marketplace_metering/, marketplace_billing_events/) and run again",
            )
        with ValidationWorker() as worker, timings.stage("validate"):
            report = worker.run(suites)
        if report.blocking:
            raise BillingError(
                f"Validation refused to publish the reconciliation of {label}: "
                + "; ".join(f.describe() for f in report.blocking[:10]),
                hint="the reconciliation's identity or statuses do not hold: report it with the "
                "failing values above",
            )
        tables["marketplace_journal"] = journal
        return _publish(
            output,
            month,
            survey,
            load,
            tables,
            report,
            vocabulary,
            timings,
            started,
            progress,
            engine.name,
        )


def _publish(
    output, month, survey, load, tables, report, vocabulary, timings, started, progress, engine
):
    label = format_month(month)
    runs = reconciliation_folder(output, month)
    number = next_reconciliation_number(runs)
    real_folder(runs)
    write_text_atomically(runs / NUMBERING_FILE, json.dumps({"last": number}) + "\n")
    temporary = reconciliation_temporary(output, month, number)
    final = runs / f"r{number}"
    progress(f"Publishing {final}")
    loaded = {(f.dataset, f.relative): f for f in load.files}
    with publishing(temporary, final, f"the reconciliation {label} r{number}") as folder:
        outputs: dict[str, dict] = {}
        for name, table in tables.items():
            outputs.update(write_table(folder, name, table))
        (folder / "validation.json").write_text(report.to_json() + "\n", encoding="utf-8")
        timings.seconds["total"] = round(time.monotonic() - started, 3)
        manifest = {
            "month": label,
            "reconciliation": number,
            "reconciled_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "tools": tool_versions(engine),
            "inputs": [
                {
                    "dataset": f.dataset,
                    "path": f.relative,
                    "rows": loaded[(f.dataset, f.relative)].rows,
                    "sha256": loaded[(f.dataset, f.relative)].sha256,
                }
                for f in survey.files
            ],
            "outputs": dict(sorted(outputs.items())),
            "marketplace": marketplace_block(tables, vocabulary),
            "journal": _journal_block(tables["marketplace_journal"]),
            "validation": report.summary(),
            "timings": timings.seconds,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return ReconcileResult(final, number, manifest)


def summary_lines(result: ReconcileResult) -> list[str]:
    block = result.manifest["marketplace"]
    return [
        f"Reconciled {result.manifest['month']} as r{result.number}: {result.folder}",
        "  " + status_line(block),
        f"  reconciliation: {result.folder / 'marketplace_reconciliation.csv'}",
        f"  exceptions: {result.folder / 'marketplace_exceptions.csv'}",
        f"  unmatched billing events: {result.folder / 'marketplace_unmatched_billing_events.csv'}",
    ]


def _journal_block(journal) -> dict:
    """SPEC 12.3: the Marketplace journal's entry count and its debit and credit totals."""
    rows = journal.to_pylist()
    return {
        "entries": len({row["entry_id"] for row in rows}),
        "lines": len(rows),
        "debit": f"{sum((row['debit'] for row in rows), Decimal(0)):.2f}",
        "credit": f"{sum((row['credit'] for row in rows), Decimal(0)):.2f}",
    }
