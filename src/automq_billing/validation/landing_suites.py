"""The landing suites: what landed, validated before (and while) dbt builds.

Record-level rules run in SQL (dbt); these suites look at each file as a whole and at a sample
of each new file's rows, as loaded: every landed file once (its footer facts), a summary of each
usage file of the loads no close has checked yet (this close's, and those of `automq-billing
load` or of a close stopped before its checks ended) computed in DuckDB, and its first rows.
Values the record rules will quarantine are warnings here (so they are seen before the close),
never blocking.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from automq_billing.landing import LandingSurvey
from automq_billing.validation.specs import Suite, expect
from automq_billing.vocabulary import Vocabulary

SAMPLE_ROWS_PER_FILE = 200
# the suites over the rows of newly loaded files: their warnings are recorded per file
PER_FILE_SUITES = ("usage_events_files", "usage_events_sample")


def landing_suites(
    survey: LandingSurvey,
    con: duckdb.DuckDBPyConnection,
    load_ids: int | list[int],
    vocabulary: Vocabulary,
) -> list[Suite]:
    """The suites over the survey and over the rows the loads `load_ids` put into `con`."""
    load_ids = [load_ids] if isinstance(load_ids, int) else list(load_ids)
    suites = [_files_suite(survey)]
    summaries = _usage_summaries(con, load_ids, vocabulary)
    if len(summaries):
        suites.append(_summaries_suite(summaries))
        suites.append(_sample_suite(con, load_ids, vocabulary))
    return suites


def _files_suite(survey: LandingSurvey) -> Suite:
    frame = pd.DataFrame(
        [
            {
                "dataset": f.dataset,
                "file": f.relative,
                "rows": -1 if f.rows is None else f.rows,
                "bytes": f.size_bytes,
            }
            for f in survey.files
        ],
        columns=["dataset", "file", "rows", "bytes"],
    )
    return Suite(
        "landing_files",
        frame,
        [
            expect("ExpectColumnValuesToBeUnique", column="file"),
            expect("ExpectColumnValuesToBeBetween", column="bytes", min_value=1),
        ],
        key="file",
        description="one row per landed file, from its footer or header row",
    )


def _usage_summaries(
    con: duckdb.DuckDBPyConnection, load_ids: list[int], vocabulary: Vocabulary
) -> pd.DataFrame:
    params: dict[str, Any] = {"load_ids": load_ids, "meters": list(vocabulary.usage_meters)}
    return (
        con.sql(
            """
            select
                source_file as file,
                count(*) as rows,
                strftime(min(hour_start), '%Y-%m-%dT%H:%M:%SZ') as min_hour_start,
                strftime(max(hour_start), '%Y-%m-%dT%H:%M:%SZ') as max_hour_start,
                coalesce(string_agg(distinct meter, ',' order by meter), '') as meters_seen,
                count(*) filter (where hour_start is null) as rows_without_hour,
                count(*) filter (where not list_contains($meters, meter)) as rows_with_unknown_meter
            from landing.usage_events
            where list_contains($load_ids, load_id)
            group by source_file
            order by source_file
            """,
            params=params,
        )
        .to_arrow_table()
        .to_pandas()
    )


def _summaries_suite(frame: pd.DataFrame) -> Suite:
    return Suite(
        "usage_events_files",
        frame,
        [
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
        description="one row per usage file loaded by this run, summarised in DuckDB",
        all_failing_keys=True,
    )


def _sample_suite(
    con: duckdb.DuckDBPyConnection, load_ids: list[int], vocabulary: Vocabulary
) -> Suite:
    frame = (
        con.sql(
            """
            select
                source_file as file, event_id, organization_id, instance_id, pricing_mode,
                cluster_tier, meter, cast(hour_start as string) as hour_start, quantity
            from landing.usage_events
            where list_contains($load_ids, load_id) and file_row_number < $rows
            order by source_file, file_row_number
            """,
            params={"load_ids": load_ids, "rows": SAMPLE_ROWS_PER_FILE},
        )
        .to_arrow_table()
        .to_pandas()
    )
    return Suite(
        "usage_events_sample",
        frame,
        [
            expect("ExpectColumnValuesToNotBeNull", column="event_id", blocking=False),
            expect("ExpectColumnValuesToNotBeNull", column="instance_id", blocking=False),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="meter",
                value_set=list(vocabulary.usage_meters),
                blocking=False,
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="pricing_mode",
                value_set=list(vocabulary.pricing_modes),
                blocking=False,
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="cluster_tier",
                value_set=[*vocabulary.cluster_tiers, None],
                blocking=False,
            ),
            expect("ExpectColumnValuesToBeBetween", column="quantity", min_value=0, blocking=False),
        ],
        key="file",
        description=f"the first {SAMPLE_ROWS_PER_FILE} rows of every usage file loaded by this run",
        all_failing_keys=True,
    )
