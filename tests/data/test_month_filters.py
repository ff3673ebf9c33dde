"""A month filter on the Marketplace rule views reaches the table scans under them (issue 22):
the month-level marts and int_marketplace_usage_reconciled read the views through such a filter,
so an incremental build reads only the months it rewrites, not the history."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

pytestmark = pytest.mark.dbt

# each rule view and the month-level tables under it whose scans the filter must reach
FILTERED_SCANS = {
    "int_marketplace_metering_expected": {"int_marketplace_usage_cumulated"},
    "int_marketplace_metering_compared": {
        "int_marketplace_usage_cumulated",
        "int_marketplace_metering_accepted",
    },
}


def _scans(con, sql: str) -> list[tuple[str, str | None]]:
    plan = json.loads(con.execute(f"explain (format json) {sql}").fetchall()[0][1])
    found, nodes = [], list(plan)
    while nodes:
        node = nodes.pop()
        extra = node.get("extra_info", {})
        if "Table" in extra:
            found.append((extra["Table"].rsplit(".", 1)[-1], extra.get("Filters")))
        nodes.extend(node.get("children", []))
    return found


@pytest.fixture(scope="module")
def planner(closed, tmp_path_factory):
    """A copy of the closed warehouse where every table under the views holds rows of two
    months: DuckDB plans no scan of a table its statistics show to be empty for the month, nor
    a filter they show to hold for every row (the fixture landing has no Marketplace
    metering)."""
    copy = tmp_path_factory.mktemp("month_filters") / "billing.duckdb"
    shutil.copy(closed.warehouse, copy)
    con = duckdb.connect(str(copy))
    for table in set().union(*FILTERED_SCANS.values()):
        if not con.execute(f"select count(*) from intermediate.{table}").fetchone()[0]:  # noqa: S608
            con.execute(
                f"insert into intermediate.{table} (usage_month) "  # noqa: S608
                "values (date '2026-09-01'), (date '2026-10-01')"
            )
    yield con
    con.close()


@pytest.mark.parametrize("view", sorted(FILTERED_SCANS))
def test_a_month_filter_on_a_rule_view_reaches_the_table_scans(planner, view):
    scans = _scans(
        planner,
        f"select * from intermediate.{view} where usage_month in (date '2026-10-01')",  # noqa: S608
    )
    filtered = {table for table, filters in scans if filters and "usage_month" in str(filters)}
    assert FILTERED_SCANS[view] <= filtered, scans
