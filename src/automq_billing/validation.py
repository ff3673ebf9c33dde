"""Great Expectations gates of the close: landing suites before dbt builds, mart suites before a
month is published.

Nothing large is loaded into pandas. The landing suites validate one row per landed file (what
its footer says, plus a summary computed in DuckDB) and a small sample of rows per file; the
record rules themselves run in SQL (dbt). The mart suites validate the month's statements, lines,
conservation counts, revenue schedule and capacity reports, which are small, read through a
read-only DuckDB connection -> Arrow -> pandas. Amounts reach pandas as integer cents or as text,
never as floats.

Every expectation carries `meta.blocking`: a blocking failure stops the close before it publishes;
a non-blocking one is a warning recorded in the results and the manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from automq_billing.landing import METERS, USAGE_EVENTS, LandedFile  # noqa: E402

SAMPLE_ROWS_PER_FILE = 200
AMOUNT_TEXT = r"^-?[0-9]+\.[0-9]{2}$"
QUANTITY_TEXT = r"^-?[0-9]+\.[0-9]{6}$"


def _gx():
    import great_expectations as gx  # slow to import: only when validating

    return gx


@dataclass(frozen=True)
class Suite:
    """One expectation suite and the (small) frame it validates."""

    name: str
    frame: pd.DataFrame
    expectations: list[Any]
    key: str | None = None  # the column that names a failing row (file, organization, ...)


@dataclass(frozen=True)
class Failure:
    suite: str
    expectation: str
    target: str
    unexpected_count: int | None
    examples: list[str]
    blocking: bool

    def describe(self) -> str:
        count = "" if self.unexpected_count is None else f"{self.unexpected_count} unexpected, "
        shown = "; ".join(self.examples[:5]) or "no sample"
        return f"{self.suite}: {self.expectation}({self.target}) failed: {count}e.g. {shown}"


@dataclass
class ValidationReport:
    results: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    evaluated: int = 0

    def extend(self, other: ValidationReport) -> None:
        self.results += other.results
        self.failures += other.failures
        self.evaluated += other.evaluated

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.blocking]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if not f.blocking]

    def summary(self) -> dict:
        return {
            "success": not self.blocking,
            "expectations": self.evaluated,
            "blocking_failures": [f.describe() for f in self.blocking],
            "warnings": [f.describe() for f in self.warnings],
        }


def report_to_json(report: ValidationReport) -> str:
    return json.dumps(
        {
            "results": report.results,
            "failures": [vars(failure) for failure in report.failures],
            "evaluated": report.evaluated,
        },
        default=str,
    )


def report_from_json(text: str) -> ValidationReport:
    data = json.loads(text)
    return ValidationReport(
        results=data["results"],
        failures=[Failure(**failure) for failure in data["failures"]],
        evaluated=data["evaluated"],
    )


def validate_landing_in_child(landing: Path, gx_root: Path) -> ValidationReport:
    """Runs the landing suites in a child process, in the GX context at `gx_root`: Great
    Expectations' memory is returned before dbt starts, so it never adds to the close's peak."""
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "automq_billing.validation", str(landing), str(gx_root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"the landing validation process failed ({completed.returncode}):\n"
            f"{completed.stderr[-4000:]}"
        )
    return report_from_json(completed.stdout.strip().splitlines()[-1])


def expect(name: str, blocking: bool = True, **kwargs: Any) -> Any:
    """An expectation by class name, tagged blocking or not."""
    cls = getattr(_gx().expectations, name)
    return cls(meta={"blocking": blocking}, **kwargs)


class Validator:
    """A Great Expectations file context in a temporary folder; Data Docs are copied out with
    `export`. Given `root`, it reopens the context another process started there (the landing
    suites run in a child process), so one Data Docs site holds every suite of a close."""

    def __init__(self, root: Path | None = None, source: str = "automq_billing") -> None:
        gx = _gx()
        self._owned = root is None
        self._root = root or Path(tempfile.mkdtemp(prefix="automq-billing-gx-"))
        self._context = gx.get_context(mode="file", project_root_dir=str(self._root))
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self._source = self._context.data_sources.add_or_update_pandas(source)

    def run(self, suites: Iterable[Suite]) -> ValidationReport:
        gx = _gx()
        report = ValidationReport()
        for suite in suites:
            asset = self._source.add_dataframe_asset(suite.name)
            batch = asset.add_batch_definition_whole_dataframe(f"{suite.name}_whole")
            expectation_suite = self._context.suites.add(gx.ExpectationSuite(name=suite.name))
            for expectation in suite.expectations:
                expectation_suite.add_expectation(expectation)
            definition = self._context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=f"{suite.name}_validation", data=batch, suite=expectation_suite
                )
            )
            checkpoint = self._context.checkpoints.add(
                gx.Checkpoint(
                    name=f"{suite.name}_checkpoint",
                    validation_definitions=[definition],
                    result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10},
                )
            )
            outcome = checkpoint.run(batch_parameters={"dataframe": suite.frame})
            # a failing row is reported by its key (its file, organization, ...), not position
            keys = suite.frame[suite.key].tolist() if suite.key else None
            for suite_result in outcome.run_results.values():
                report.results.append(suite_result.to_json_dict())
                for result in suite_result.results:
                    report.evaluated += 1
                    if not result.success:
                        report.failures.append(_failure(suite.name, result, keys))
        return report

    def export(self, destination: Path, report: ValidationReport) -> dict:
        """Builds the Data Docs site once, from every validation stored in the context (by this
        process and the landing child), copies it out, and writes the results; returns the
        manifest entry."""
        destination.mkdir(parents=True, exist_ok=True)
        self._context.build_data_docs()
        site = self._root / "gx" / "uncommitted" / "data_docs" / "local_site"
        shutil.copytree(site, destination / "data_docs", dirs_exist_ok=True)
        (destination / "results.json").write_text(
            json.dumps(
                {"summary": report.summary(), "results": report.results},
                indent=2,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
        return {
            **report.summary(),
            "results": f"{destination.name}/results.json",
            "data_docs": f"{destination.name}/data_docs/index.html",
        }

    def close(self) -> None:
        if self._owned:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failure(suite: str, result: Any, keys: list | None) -> Failure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    target = ", ".join(
        str(kwargs[key])
        for key in ("column", "column_list", "column_A", "column_B", "column_set")
        if key in kwargs
    )
    details = result.result or {}
    values = details.get("partial_unexpected_list")
    where = details.get("partial_unexpected_index_list")
    examples = (
        [
            f"{keys[position] if isinstance(position, int) and position < len(keys) else position}"
            f": {value}"
            for position, value in zip(where, values, strict=False)
        ]
        if keys is not None and where and values is not None
        else values
    )
    if examples is None and "observed_value" in details:
        examples = [details["observed_value"]]
    return Failure(
        suite=suite,
        expectation=config.type,
        target=target,
        unexpected_count=details.get("unexpected_count"),
        examples=[e if isinstance(e, str) else json.dumps(e, default=str) for e in examples or []][
            :10
        ],
        blocking=bool((config.meta or {}).get("blocking", True)),
    )


# --------------------------------------------------------------------------------------------
# Landing suites


def landing_suites(files: Sequence[LandedFile], landing_root: Path) -> list[Suite]:
    inventory = pd.DataFrame(
        [
            {
                "dataset": f.dataset,
                "file": str(f.path.relative_to(landing_root)),
                "readable": f.readable,
                "missing_columns": ", ".join(f.missing_columns),
                "bad_type_columns": ", ".join(f.bad_type_columns),
                "rows": f.rows,
                "bytes": f.size_bytes,
            }
            for f in files
        ],
        columns=[
            "dataset",
            "file",
            "readable",
            "missing_columns",
            "bad_type_columns",
            "rows",
            "bytes",
        ],
    )
    suites = [
        Suite(
            "landing_files",
            inventory,
            [
                expect("ExpectColumnValuesToBeInSet", column="readable", value_set=[True]),
                expect("ExpectColumnValuesToBeInSet", column="missing_columns", value_set=[""]),
                expect("ExpectColumnValuesToBeInSet", column="bad_type_columns", value_set=[""]),
                expect("ExpectColumnValuesToBeBetween", column="rows", min_value=1),
                expect("ExpectColumnValuesToBeUnique", column="file"),
            ],
            key="file",
        )
    ]
    usable = [f for f in files if f.dataset == USAGE_EVENTS.name and f.readable and not f.problems]
    if usable:
        suites.append(_usage_file_summaries(usable, landing_root))
        suites.append(_usage_sample(usable))
    return suites


def _usage_file_summaries(files: Sequence[LandedFile], landing_root: Path) -> Suite:
    """Per-file summaries computed in DuckDB (only three columns are read)."""
    paths = [str(f.path) for f in files]
    meters = ", ".join(f"'{m}'" for m in METERS)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        frame = (
            con.sql(
                f"""
            select
                source_file as file,
                count(*) as rows,
                strftime(min(cast(hour_start as timestamptz)), '%Y-%m-%dT%H:%M:%SZ')
                    as min_hour_start,
                strftime(max(cast(hour_start as timestamptz)), '%Y-%m-%dT%H:%M:%SZ')
                    as max_hour_start,
                coalesce(string_agg(distinct meter, ',' order by meter), '') as meters_seen,
                count(*) filter (where hour_start is null) as rows_without_hour,
                count(*) filter (where meter not in ({meters})) as rows_with_unknown_meter
            from read_parquet(?, union_by_name = true, filename = 'source_file',
                hive_partitioning = false)
            group by source_file
            order by source_file
            """,  # noqa: S608 (constant meter names only; the paths are a bound parameter)
                params=[paths],
            )
            .to_arrow_table()
            .to_pandas()
        )
    root = str(landing_root) + os.sep
    frame["file"] = frame["file"].str.replace(root, "", regex=False)
    return Suite(
        "usage_events_files",
        frame,
        [
            expect("ExpectColumnValuesToBeBetween", column="rows", min_value=1),
            expect("ExpectColumnValuesToNotBeNull", column="min_hour_start", blocking=False),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="rows_without_hour",
                value_set=[0],
                blocking=False,
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="rows_with_unknown_meter",
                value_set=[0],
                blocking=False,
            ),
        ],
        key="file",
    )


def _usage_sample(files: Sequence[LandedFile]) -> Suite:
    """The first rows of every usage file, cast to the contract's types where possible."""
    columns = list(USAGE_EVENTS.columns)
    parts = []
    for f in files:
        parquet = pq.ParquetFile(f.path)
        batch = next(parquet.iter_batches(batch_size=SAMPLE_ROWS_PER_FILE, columns=columns))
        table = pa.Table.from_batches([batch]).select(columns)
        frame = table.to_pandas()
        frame["hour_start"] = frame["hour_start"].astype("string")
        frame["emitted_at"] = frame["emitted_at"].astype("string")
        parts.append(frame)
    sample = pd.concat(parts, ignore_index=True)
    return Suite(
        "usage_events_sample",
        sample,
        [
            expect("ExpectTableColumnsToMatchSet", column_set=columns, exact_match=False),
            expect("ExpectColumnValuesToNotBeNull", column="event_id", blocking=False),
            expect("ExpectColumnValuesToNotBeNull", column="instance_id", blocking=False),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="meter",
                value_set=list(METERS),
                blocking=False,
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="pricing_mode",
                value_set=["usage_based", "prepaid"],
                blocking=False,
            ),
            expect("ExpectColumnValuesToBeBetween", column="quantity", min_value=0, blocking=False),
        ],
    )


# --------------------------------------------------------------------------------------------
# Mart suites

_MART_FRAMES = {
    "statements": """
        with line_sums as (
            select organization_id, sum(amount) as lines_amount, count(*) as lines
            from marts.fct_statement_lines where statement_month = $month
            group by organization_id
        )
        select
            statements.organization_id,
            cast(statements.statement_month as varchar) || '|' || statements.organization_id
                as statement_key,
            cast(statements.usage_amount as varchar) as usage_amount_text,
            cast(statements.subscription_amount as varchar) as subscription_amount_text,
            cast(statements.adjustment_amount as varchar) as adjustment_amount_text,
            cast(statements.total_amount as varchar) as total_amount_text,
            cast(statements.usage_amount * 100 as bigint) as usage_cents,
            cast(statements.subscription_amount * 100 as bigint) as subscription_cents,
            cast(statements.total_amount * 100 as bigint) as total_cents,
            cast(coalesce(line_sums.lines_amount, 0) * 100 as bigint) as lines_cents,
            cast((statements.usage_amount + statements.subscription_amount
                + statements.adjustment_amount) * 100 as bigint) as subtotals_cents,
            statements.line_count,
            coalesce(line_sums.lines, 0) as lines
        from marts.fct_statements as statements
        left join line_sums on statements.organization_id = line_sums.organization_id
        where statements.statement_month = $month
    """,
    "statement_lines": """
        select
            concat_ws('|', statement_month, organization_id, line_type, billing_item,
                coalesce(cast(tier as varchar), '-'), coalesce(cluster_tier, '-'),
                coalesce(license_id, '-')) as line_key,
            line_type,
            billing_item,
            unit,
            currency,
            cast(amount as varchar) as amount_text,
            cast(quantity as varchar) as quantity_text,
            cast(unit_price as varchar) as unit_price_text,
            case when line_type = 'usage' then cast(amount * 100 as bigint) end
                as usage_amount_cents,
            quantity != 0 as has_quantity
        from marts.fct_statement_lines
        where statement_month = $month
    """,
    "usage_conservation": """
        select
            coalesce(cast(usage_month as varchar), 'no month') as usage_month,
            coalesce(meter, '(null)') as meter,
            is_balanced,
            landed_rows - rated_rows - duplicate_rows - superseded_rows - quarantined_rows
                as rows_unaccounted,
            cast(landed_quantity - rated_quantity - duplicate_quantity - superseded_quantity
                - quarantined_quantity as bigint) as quantity_unaccounted
        from marts.rpt_usage_conservation
        where usage_month = $month or usage_month is null
    """,
    "statement_coverage": """
        select
            usage.organization_id,
            bool_or(statements.organization_id is not null) as has_statement
        from marts.fct_usage_monthly as usage
        left join marts.fct_statements as statements
            on usage.organization_id = statements.organization_id
            and usage.usage_month = statements.statement_month
        where usage.usage_month = $month and usage.amount > 0
        group by usage.organization_id
    """,
    "revenue_schedule": """
        with scheduled as (
            select license_id, sum(recognized_amount) as scheduled, count(*) as months,
                count(distinct revenue_month) as distinct_months
            from marts.fct_license_revenue_schedule
            group by license_id
        )
        select
            licenses.license_id,
            cast(licenses.amount * 100 as bigint) as amount_cents,
            cast(coalesce(scheduled.scheduled, 0) * 100 as bigint) as scheduled_cents,
            coalesce(scheduled.months, 0) as months,
            coalesce(scheduled.distinct_months, 0) as distinct_months,
            cast(licenses.amount as varchar) as amount_text
        from marts.dim_licenses as licenses
        left join scheduled on licenses.license_id = scheduled.license_id
    """,
    "revenue_month": """
        select
            license_id,
            cast(recognized_amount as varchar) as recognized_amount_text,
            cast(recognized_amount * 100 as bigint) as recognized_cents
        from marts.fct_license_revenue_schedule
        where revenue_month = $month
    """,
    "aku_utilization": """
        select
            organization_id || '|' || environment_id as environment_key,
            hours_over_capacity,
            hours_reported,
            allocated_aku_hours,
            required_aku_hours,
            cast(coalesce(utilization_ratio, 0) * 1000000 as bigint) as utilization_micros
        from marts.rpt_aku_utilization_monthly
        where usage_month = $month
    """,
    "environment_capacity": """
        select
            environment_id || '|' || cast(hour_start as varchar) as environment_hour,
            headroom_aku - (allocated_aku - required_aku) as headroom_error,
            (required_aku > allocated_aku) = is_over_capacity as flag_consistent,
            required_aku,
            allocated_aku
        from marts.fct_environment_capacity_hourly
        where usage_month = $month
    """,
}


_MART_KEYS = {
    "statements": "statement_key",
    "statement_lines": "line_key",
    "usage_conservation": "meter",
    "statement_coverage": "organization_id",
    "revenue_schedule": "license_id",
    "revenue_month": "license_id",
    "aku_utilization": "environment_key",
    "environment_capacity": "environment_hour",
}


def _mart_expectations() -> dict[str, list[Any]]:
    return {
        "statements": [
            expect("ExpectColumnValuesToBeUnique", column="statement_key"),
            expect("ExpectColumnValuesToNotBeNull", column="organization_id"),
            expect("ExpectColumnValuesToMatchRegex", column="total_amount_text", regex=AMOUNT_TEXT),
            expect("ExpectColumnValuesToMatchRegex", column="usage_amount_text", regex=AMOUNT_TEXT),
            expect(
                "ExpectColumnValuesToMatchRegex",
                column="subscription_amount_text",
                regex=AMOUNT_TEXT,
            ),
            expect(
                "ExpectColumnValuesToMatchRegex", column="adjustment_amount_text", regex=AMOUNT_TEXT
            ),
            expect("ExpectColumnValuesToBeBetween", column="usage_cents", min_value=0),
            expect("ExpectColumnValuesToBeBetween", column="subscription_cents", min_value=0),
            expect(
                "ExpectColumnPairValuesToBeEqual", column_A="total_cents", column_B="lines_cents"
            ),
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="total_cents",
                column_B="subtotals_cents",
            ),
            expect("ExpectColumnPairValuesToBeEqual", column_A="line_count", column_B="lines"),
        ],
        "statement_lines": [
            expect("ExpectColumnValuesToBeUnique", column="line_key"),
            expect("ExpectColumnValuesToMatchRegex", column="amount_text", regex=AMOUNT_TEXT),
            expect("ExpectColumnValuesToMatchRegex", column="quantity_text", regex=QUANTITY_TEXT),
            expect("ExpectColumnValuesToMatchRegex", column="unit_price_text", regex=QUANTITY_TEXT),
            expect("ExpectColumnValuesToBeBetween", column="usage_amount_cents", min_value=0),
            expect("ExpectColumnValuesToBeInSet", column="has_quantity", value_set=[True]),
            expect("ExpectColumnValuesToBeInSet", column="currency", value_set=["USD"]),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="line_type",
                value_set=["usage", "subscription", "adjustment"],
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="unit",
                value_set=["GiB", "GiB-month", "hour", "AKU"],
            ),
        ],
        "usage_conservation": [
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeInSet", column="is_balanced", value_set=[True]),
            expect("ExpectColumnValuesToBeInSet", column="rows_unaccounted", value_set=[0]),
            expect("ExpectColumnValuesToBeInSet", column="quantity_unaccounted", value_set=[0]),
        ],
        "statement_coverage": [
            expect("ExpectColumnValuesToBeInSet", column="has_statement", value_set=[True]),
        ],
        "revenue_schedule": [
            expect("ExpectColumnValuesToBeUnique", column="license_id"),
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="amount_cents",
                column_B="scheduled_cents",
            ),
            expect(
                "ExpectColumnPairValuesToBeEqual", column_A="months", column_B="distinct_months"
            ),
            expect("ExpectColumnValuesToMatchRegex", column="amount_text", regex=AMOUNT_TEXT),
        ],
        "revenue_month": [
            expect("ExpectColumnValuesToBeUnique", column="license_id"),
            expect("ExpectColumnValuesToBeBetween", column="recognized_cents", min_value=0),
            expect(
                "ExpectColumnValuesToMatchRegex", column="recognized_amount_text", regex=AMOUNT_TEXT
            ),
        ],
        "aku_utilization": [
            expect("ExpectColumnValuesToBeUnique", column="environment_key"),
            expect("ExpectColumnValuesToBeBetween", column="hours_over_capacity", min_value=0),
            expect(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                column_A="hours_reported",
                column_B="hours_over_capacity",
                or_equal=True,
            ),
            expect("ExpectColumnValuesToBeBetween", column="utilization_micros", min_value=0),
        ],
        "environment_capacity": [
            expect("ExpectColumnValuesToBeUnique", column="environment_hour"),
            expect("ExpectColumnValuesToBeInSet", column="headroom_error", value_set=[0]),
            expect("ExpectColumnValuesToBeInSet", column="flag_consistent", value_set=[True]),
            expect("ExpectColumnValuesToBeBetween", column="required_aku", min_value=0),
            expect("ExpectColumnValuesToBeBetween", column="allocated_aku", min_value=0),
        ],
    }


def mart_suites(con: duckdb.DuckDBPyConnection, month: Any) -> list[Suite]:
    """The month's marts as small frames, read through the given (read-only) connection."""
    expectations = _mart_expectations()
    suites = []
    for name, sql in _MART_FRAMES.items():
        params = {"month": month} if "$month" in sql else None
        frame = con.sql(sql, params=params).to_arrow_table().to_pandas()
        suites.append(Suite(name, frame, expectations[name], key=_MART_KEYS[name]))
    return suites


def _child_main(argv: Sequence[str]) -> int:
    """`python -m automq_billing.validation LANDING GX_ROOT`: the landing suites, as JSON."""
    from automq_billing.landing import survey_landing

    landing, gx_root = Path(argv[0]), Path(argv[1])
    files, _ = survey_landing(landing)
    validator = Validator(root=gx_root, source="landing")
    report = validator.run(landing_suites(files, landing))
    print(report_to_json(report))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_child_main(sys.argv[1:]))
