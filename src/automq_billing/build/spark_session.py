"""The one Spark session of a process (SPEC 11), and reading it as the close reads DuckDB.

dbt-spark's `session` method runs every statement on `SparkSession.builder.getOrCreate()` in the
process that runs dbt, so dbt runs in this process (build.spark_dbt) and finds the session made
here: one JVM, one Hive metastore (Derby, which admits one JVM at a time) and one warehouse
folder for the whole close. With no cluster named the session is local (`local[*]`), its
catalog (`metastore_db/`) and its tables under the `--warehouse` folder. Under spark-submit, on
EMR or on a Databricks job, a session already exists and is used as it is
(`AUTOMQ_BILLING_SPARK_MASTER` names another master for a session made here).

ANSI mode stays off as dbt-spark sets it (a cast that does not fit gives NULL, silently): the
load bounds every landed value before Spark sees it and the money columns are tested for NULL.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa

from automq_billing.errors import BillingError

_session: Any = None
_session_folder: Path | None = None

# the same statements, parameters written $name (DuckDB) or :name (Spark)
_DOLLAR_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

INSTALL_HINT = (
    "install the Spark extra (`make install-spark`, or pip install -e '.[spark]'; it needs "
    "Java 17) or run with --engine duckdb"
)


def _builder(folder: Path) -> Any:
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BillingError(
            "--engine spark needs pyspark and dbt-spark, which are not installed.",
            hint=INSTALL_HINT,
        ) from None
    # the same settings as the profile's `spark` target (profiles.yml), which dbt-spark applies
    # to this session again: whichever starts first, the session is the same
    master = os.environ.get("AUTOMQ_BILLING_SPARK_MASTER", "local[*]")
    metastore = folder / "metastore_db"
    return (
        SparkSession.builder.master(master)
        .appName("automq-billing")
        .config("spark.sql.warehouse.dir", str(folder / "tables"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore};create=true",
        )
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={folder} -Dlog4j2.configurationFile={_log_settings(folder)}",
        )
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.constraintPropagation.enabled", "false")
        .config(
            "spark.sql.shuffle.partitions",
            os.environ.get("AUTOMQ_BILLING_SPARK_SHUFFLE_PARTITIONS", "4"),
        )
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("AUTOMQ_BILLING_SPARK_DRIVER_MEMORY", "1g"))
        .enableHiveSupport()
    )


# Spark's own log: errors only (the command reports what failed, dbt's log keeps the rest); the
# metastore's "already exists" of every `create schema if not exists` is not one
_LOG4J2 = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.metastore.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler
logger.metastore.level = off
"""


def _log_settings(folder: Path) -> Path:
    path = folder / "log4j2.properties"
    if not path.is_file() or path.read_text(encoding="utf-8") != _LOG4J2:
        path.write_text(_LOG4J2, encoding="utf-8")
    return path


def spark_session(folder: Path) -> Any:
    """The process's Spark session, its catalog and tables under `folder` (made on first use).
    A second warehouse folder in the same process is refused: the catalog of the first is the
    one the JVM holds."""
    global _session, _session_folder
    folder = folder.absolute()
    if _session is not None:
        if _session_folder != folder:
            raise BillingError(
                f"This process already runs Spark on the warehouse {_session_folder}; it cannot "
                f"open {folder} too (one Spark catalog per process).",
                hint="run one command per warehouse",
            )
        return _session
    folder.mkdir(parents=True, exist_ok=True)
    builder = _builder(folder)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # spark-submit, a cluster's job, or a test session made elsewhere
        catalog = active.conf.get("spark.sql.warehouse.dir", "")
        if "AUTOMQ_BILLING_SPARK_MASTER" not in os.environ and catalog.rstrip("/").removeprefix(
            "file:"
        ) != str(folder / "tables"):
            raise BillingError(
                f"A Spark session is already running in this process with its tables in "
                f"{catalog}, not under the --warehouse {folder}.",
                hint="pass the --warehouse that session uses, or set AUTOMQ_BILLING_SPARK_MASTER "
                "to use the running session as it is (a cluster's)",
            )
    try:
        session = builder.getOrCreate()
    except BillingError:
        raise
    except Exception as error:  # no Java, a catalog held by another process, ...
        text = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        raise BillingError(
            f"Spark could not start on the warehouse {folder}: {text}",
            hint="Spark needs Java 17 (JAVA_HOME or java on the PATH); the local catalog admits "
            "one process at a time, so close any other Spark using this --warehouse",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed statement with its Java stack; dbt and the close report them
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    _session, _session_folder = session, folder
    return session


def stop_session() -> None:
    """Stops the process's session (tests; a command's session ends with the process)."""
    global _session, _session_folder
    if _session is not None:
        _session.stop()
    _session, _session_folder = None, None


def _spark_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def spark_sql(session: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    """A DataFrame of `sql`, its `$name` parameters bound as Spark's named parameters (values,
    never SQL text)."""
    if params:
        used = set(_DOLLAR_PARAMETER.findall(sql))
        text = _DOLLAR_PARAMETER.sub(r":\1", sql)
        args = {k: _spark_value(v) for k, v in params.items() if k in used}
        return session.sql(text, args=args)
    return session.sql(sql)


def to_arrow(frame: Any) -> pa.Table:
    """A DataFrame as Arrow, typed as DuckDB types the same columns (strings, not large ones;
    timestamps in microseconds, UTC)."""
    table = frame.toArrow()
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz=kind.tz)
        fields.append(pa.field(field.name, kind))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


class _Result:
    """What the close uses of a DuckDB relation or cursor: rows, Arrow, column names."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table
        self.columns = table.column_names
        self.description = [(name, None) for name in table.column_names]

    def fetchall(self) -> list[tuple]:
        columns = [self._table.column(i).to_pylist() for i in range(self._table.num_columns)]
        return list(zip(*columns, strict=True)) if columns else []

    def to_arrow_table(self) -> pa.Table:
        return self._table

    def to_arrow_reader(self, batch_rows: int) -> pa.RecordBatchReader:
        return self._table.to_reader(max_chunksize=batch_rows)


class SparkReader:
    """The Spark warehouse read as the close reads DuckDB (`execute(sql, params).fetchall()`,
    `sql(sql, params=...).to_arrow_table()`): the same SELECT statements, run by Spark."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def sql(self, sql: str, params: dict[str, Any] | None = None) -> _Result:
        return _Result(to_arrow(spark_sql(self.session, sql, params)))

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> _Result:
        return self.sql(sql, params)
