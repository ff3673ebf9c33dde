"""dbt on Spark, in this process (SPEC 11). dbt-spark's `session` method runs its statements on
`SparkSession.builder.getOrCreate()`, the session build.spark_session made for the warehouse:
one JVM, one catalog. dbt's events reach the close as they do from the DuckDB child's JSON log
(progress lines, failing nodes, dbt's error lines), and a failure is the same BillingError,
with the first failing rows of each failing test read from Spark.

The profile's target is `spark` (profiles.yml; `AUTOMQ_BILLING_TARGET` names another, e.g. a
Thrift server's for a cluster), its warehouse folder `AUTOMQ_BILLING_SPARK_WAREHOUSE`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from automq_billing.dbt_runner import DbtResult, _failure, _handle_line, _short
from automq_billing.errors import BillingError
from automq_billing.safe_files import links_or_special, open_regular, real_folder


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_target() -> str:
    """The profile's target for Spark: AUTOMQ_BILLING_TARGET when it names one other than the
    DuckDB target `local` (e.g. a cluster's), else `spark`."""
    target = os.environ.get("AUTOMQ_BILLING_TARGET", "")
    return target if target and target != "local" else "spark"


def run_dbt_in_session(
    args: Sequence[str],
    *,
    project_dir: Path,
    warehouse: Path,
    work_dir: Path,
    progress: Callable[[str], None] | None = None,
    reader: Any = None,
) -> DbtResult:
    """Runs `dbt <args>` on the project's Spark target in this process; raises BillingError
    when any node errors or fails."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_json

    project_dir, warehouse = project_dir.absolute(), warehouse.absolute()
    work_dir = real_folder(work_dir)
    planted = links_or_special(work_dir)
    if planted:
        raise BillingError(
            f"dbt's working folder {work_dir} holds {planted[0]}, a symbolic link or special "
            "file; dbt would write through it.",
            hint=f"remove {work_dir} and run again",
        )
    log_path = work_dir / "dbt-run.jsonl"
    result = DbtResult()
    errors: list[str] = []
    command = [
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        dbt_target(),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--log-level",
        "none",  # the events reach `event` below (and dbt-run.jsonl), not the terminal
        "--no-use-colors",
    ]
    started = time.monotonic()
    with open_regular(log_path, "w") as log:

        def event(message: Any) -> None:
            line = msg_to_json(message)
            log.write(line + "\n")
            _handle_line(line, result, errors, progress)

        environment = {
            "AUTOMQ_BILLING_SPARK_WAREHOUSE": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_VERSION_CHECK": "false",
            "DBT_PARTIAL_PARSE": "true",
        }
        with _environment(environment):
            outcome = dbtRunner(callbacks=[event]).invoke(list(command))
    result.seconds = time.monotonic() - started
    if outcome.exception is not None:
        errors.append(f"{type(outcome.exception).__name__}: {outcome.exception}")
    if not outcome.success or result.failed:
        samples = failing_rows(reader, work_dir / "target") if reader is not None else ""
        raise _failure(
            args, result, errors, 0 if outcome.success else 1, warehouse, log_path, samples
        )
    return result


def failing_rows(reader: Any, target: Path, limit: int = 5) -> str:
    """The first rows each failing test returns, read from Spark (as dbt_runner.failing_rows
    reads DuckDB)."""
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    failing = [
        r
        for r in results.get("results", [])
        # a test that failed (returned rows); one that errored would only fail again
        if r.get("status") == "fail"
        and r.get("unique_id", "").startswith("test.")
        and r.get("compiled_code")
    ][:5]
    blocks = []
    for result in failing:
        try:
            rows = reader.sql(f"select * from ({result['compiled_code']}) limit {limit}")  # noqa: S608
        except Exception:  # the test's own error is reported by dbt
            continue
        names = rows.columns
        lines = [
            "    " + ", ".join(f"{n}={_short(v)}" for n, v in zip(names, row, strict=True))
            for row in rows.fetchall()
        ]
        name = result["unique_id"].split(".")[-1]
        blocks.append(f"\n  first failing rows of {name}:\n" + "\n".join(lines))
    return "".join(blocks)
