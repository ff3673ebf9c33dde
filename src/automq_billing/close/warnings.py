"""What a version warns about (issue 16 item 6): every warning about the landed files it used,
not only about the files its own run loaded; the final months before the correction window that
no longer rate as issued, by name; and the usage it cannot price in other months.

The landing suites check a file once, when it is loaded; their warnings are recorded per file in
`control.file_warnings`, and every close reports those of every file it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import duckdb

from automq_billing import warehouse
from automq_billing.landing import LandingSurvey, LoadResult
from automq_billing.landing.survey import shown
from automq_billing.months import format_month
from automq_billing.validation import ValidationReport
from automq_billing.validation.landing_suites import PER_FILE_SUITES, SAMPLE_ROWS_PER_FILE

# the usage rows the close of a month classifies as rated but that no rate card prices: in the
# months other than the one being closed (a row dated 1970, a month never closed, ...)
_UNPRICED_ELSEWHERE = """
    select counted.usage_month, sum(counted.row_count) as usage_rows
    from intermediate.int_usage_outcomes_counted as counted
    where counted.outcome = 'rated'
        and counted.usage_month in (
            select unpriced.usage_month from intermediate.int_usage_unpriced as unpriced
            where unpriced.usage_month != $month
        )
    group by counted.usage_month
    order by counted.usage_month
"""


def record_file_warnings(
    connect: Callable[[], AbstractContextManager[Any]], load: LoadResult, report: ValidationReport
) -> None:
    """Stores the landing suites' warnings, one row per file and warning, and marks every load
    of the close's files checked (the suites saw the rows of every load not checked before)."""
    by_file: list[tuple[str, str]] = []
    for suite in report.suites:
        if suite.suite not in PER_FILE_SUITES:
            continue
        for result in suite.expectations:
            if result.success or result.blocking:
                continue
            for path, rows in sorted(result.failing_keys.items()):
                what = f"{suite.suite}: {result.expectation}({result.target}) failed"
                if suite.suite == "usage_events_sample":
                    what += f" on {rows} of its first {SAMPLE_ROWS_PER_FILE} row(s)"
                else:
                    values = [
                        e[len(path) + 2 :]
                        for e in result.examples
                        if e[: len(path) + 2] == f"{path}: "
                    ]
                    what += f" ({result.target} = {values[0]})" if values else ""
                by_file.append((path, f"{shown(path)}: {what}"))
    files = {f.relative: f for f in load.files}
    rows = [
        (files[path].dataset, path, files[path].load_id, text)
        for path, text in by_file
        if path in files
    ]
    with connect() as con:  # the engine's control tables (build.Engine.connect)
        checked = warehouse.unchecked_loads(con)
        con.execute("begin transaction").fetchall()
        if rows:
            con.executemany(
                "insert into control.file_warnings values (?, ?, ?, ?, now())", rows
            ).fetchall()
        if checked:
            con.executemany(
                "insert into control.checked_loads values (?, now())", [[i] for i in checked]
            ).fetchall()
        con.execute("commit").fetchall()


def stored_file_warnings(con: duckdb.DuckDBPyConnection, load: LoadResult) -> list[str]:
    """The recorded warnings of every file the close reads, in file order."""
    read = {(f.dataset, f.relative, f.load_id) for f in load.files}
    rows = con.execute(
        "select dataset, path, load_id, warning from control.file_warnings "
        "order by path, dataset, warning"
    ).fetchall()
    return [warning for dataset, path, load_id, warning in rows if (dataset, path, load_id) in read]


def unpriced_elsewhere(con: duckdb.DuckDBPyConnection, month: dt.date) -> dict[str, int]:
    """Usage rows of other months than `month` that no rate card prices: {"YYYY-MM": rows}."""
    rows = con.execute(_UNPRICED_ELSEWHERE, {"month": month}).fetchall()
    return {format_month(usage_month): int(count) for usage_month, count in rows}


def version_warnings(
    survey: LandingSurvey,
    report: ValidationReport,
    data: Any,  # close.run.MonthData (its file_warnings, outside_window, unpriced_elsewhere)
    window_start: dt.date,
    month: dt.date,
) -> list[str]:
    """Every warning the version's manifest and close report carry."""
    outside_window: list[dict[str, str]] = data.outside_window
    unpriced: dict[str, int] = data.unpriced_elsewhere
    warnings = list(survey.warnings) + list(data.file_warnings)
    warnings += [f.describe() for f in report.warnings if f.suite not in PER_FILE_SUITES]
    if outside_window:
        months = sorted({row["month"] for row in outside_window})
        warnings.append(
            f"{len(outside_window)} difference(s) in the final month(s) {', '.join(months)} "
            f"(before {format_month(window_start)}) are outside the correction window and not "
            "corrected"
        )
    if unpriced:
        rows = sum(unpriced.values())
        listed = ", ".join(f"{label}: {count:,}" for label, count in unpriced.items())
        warnings.append(
            f"{rows:,} usage row(s) in months other than {format_month(month)} have no rate "
            f"card in force and are priced by no close yet ({listed}): check their hour_start, "
            "or add a rate card version for those months"
        )
    return warnings
