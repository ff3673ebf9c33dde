"""The close's refusals about reference data (the seeds), each naming the seed, what is wrong and
where (SPEC 2, 8):

- the reference checks (`int_*_problems`: gaps or overlaps between tiers, clashing versions, a
  listing without a dimension per tier, ...) are part of every close's build; when one has rows the
  close refuses naming the seed and the problem, rather than through whatever test downstream
  happens to fail on the broken prices;
- the reference data that priced an issued month never changes: re-rating any final month must
  find the unit prices, tier bounds, tier modes and list prices it was issued at
  (marts.rpt_correction_price_changes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from automq_billing.close import queries
from automq_billing.errors import BillingError
from automq_billing.months import format_month

# The gate models: each lists what is wrong with the seeds (one row per problem, with seed_name
# and problem); `is_empty` fails the build on any row. Every close builds them (the exposure
# monthly_close_statements depends on them).
PROBLEM_MODELS = (
    "int_rate_card_problems",
    "int_aku_reference_problems",
    "int_marketplace_listing_problems",
)
_SHOWN = 10


def built_problem_models(target: Path, since: float = 0.0) -> list[str]:
    """The gate models the dbt run started at `since` (a time.time()) built successfully, from
    its run_results.json: a gate that did not run (its seed failed to load, or dbt stopped before
    writing its results) may hold an earlier run's rows, so it is not read."""
    path = target / "run_results.json"
    try:
        if path.stat().st_mtime < since:
            return []  # an earlier run's results
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    built = {
        str(result.get("unique_id", "")).rsplit(".", 1)[-1]
        for result in results.get("results", [])
        if str(result.get("unique_id", "")).startswith("model.")
        and result.get("status") == "success"
    }
    return [name for name in PROBLEM_MODELS if name in built]


def reference_problems(con: duckdb.DuckDBPyConnection, models: list[str]) -> list[str]:
    """One description per problem row of the given gate models, seed first."""
    described = []
    for name in models:
        if name not in PROBLEM_MODELS:  # only these constant names become SQL text
            continue
        relation = con.sql(f"select * from intermediate.{name}")  # noqa: S608
        columns = relation.columns
        for row in relation.fetchall():
            values = dict(zip(columns, row, strict=True))
            seed, problem = values.pop("seed_name"), values.pop("problem")
            where = ", ".join(
                f"{key} {value}" for key, value in values.items() if value is not None
            )
            described.append(f"seeds/{seed}.csv: {problem}{f' ({where})' if where else ''}")
    return sorted(described)


def refuse_reference_problems(engine: Any, target: Path, since: float = 0.0) -> None:
    """After a build started at `since` on `engine` (build.Engine): refuses (BillingError) when
    a gate model it built has rows."""
    models = built_problem_models(target, since)
    if not models or not engine.warehouse.exists():
        return
    try:
        with engine.reader() as con:
            problems = reference_problems(con, models)
    except Exception:  # noqa: BLE001 (any engine's error): the build's own failure says what happened
        return
    if problems:
        shown = "\n".join(f"  - {problem}" for problem in problems[:_SHOWN])
        more = f"\n  ... and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise BillingError(
            f"The reference data is not valid ({len(problems)} problem(s)); nothing was "
            f"written:\n{shown}{more}",
            hint="correct the seeds named above (each line says what is wrong) and run the close "
            "again",
        )


def refuse_issued_reference_changes(con: duckdb.DuckDBPyConnection) -> None:
    """SPEC 8: refuses when any final month no longer re-rates with the reference data it was
    issued at (a price, tier bound or tier mode edited, or no price in force any more)."""
    changes = con.execute(queries.PRICE_CHANGES).fetchall()
    if not changes:
        return
    described = "; ".join(
        f"seeds/{seed}.csv: {format_month(month)} {item}"
        f"{f' tier {tier}' if tier else ''}{f' {cluster}' if cluster else ''}: "
        f"{difference} issued as {issued}, now {now}"
        for month, seed, item, tier, cluster, difference, issued, now in changes[:_SHOWN]
    )
    more = f" (and {len(changes) - _SHOWN} more)" if len(changes) > _SHOWN else ""
    raise BillingError(
        f"The reference data that priced an issued month was edited: {described}{more}. An "
        "issued month never changes, so its corrections cannot be computed; nothing was written.",
        hint="restore the issued versions in the seeds named above and add new prices as a new "
        "version from the next open month",
    )
