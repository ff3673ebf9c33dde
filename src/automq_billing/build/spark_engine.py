"""The warehouse on Apache Spark (SPEC 11): dbt-spark builds the models in a Spark catalog whose
tables are Parquet files under the `--warehouse` folder; the close reads the marts back from
Spark.

What a close writes before dbt runs (the load register, the run's context, the ledger of issued
months, the record of builds) is updated in place and read back at once: that is a small
transactional store, kept in `<warehouse>/control_store.duckdb`, the control store. Spark's Parquet
tables take no UPDATE or DELETE (Delta Lake or Iceberg would; these machines cannot fetch their
jars), so the store is the one place such rows change. The load checks every landed file as on
DuckDB (the same code: types and values that fit SPEC 1, load ids, the immutability of landed
files) into the store, in one transaction; then the new loads are written to Spark, one Parquet
partition per load id (`landing.<dataset>`, partitioned by load_id, each partition overwritten
whole: writing a load again gives the same table), and the control and ledger tables are
mirrored to Spark before every dbt run. dbt then runs in this process on the same Spark session
(build.spark_dbt).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from automq_billing.build.engine import DuckDbEngine, Progress
from automq_billing.build.spark_session import SparkReader, spark_session, spark_sql, to_arrow
from automq_billing.dbt_runner import DbtResult, work_dir_for
from automq_billing.errors import BillingError
from automq_billing.landing import LandingSurvey, LoadResult
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import Vocabulary, load_vocabulary

CONTROL_STORE = "control_store.duckdb"  # not control.duckdb: its catalog would be `control`
WRITE_MODES = ("overwrite", "append")


@dataclass(frozen=True)
class SparkEngine:
    """The warehouse as a Spark catalog under the folder `warehouse`, built by dbt-spark."""

    warehouse: Path
    project_dir: Path
    name: str = "spark"

    @property
    def control_store(self) -> DuckDbEngine:
        return DuckDbEngine(self.warehouse_file, self.project_dir)

    @property
    def warehouse_file(self) -> Path:
        return self.warehouse / CONTROL_STORE

    def session(self) -> Any:
        return spark_session(self.warehouse)

    def check_writable(self) -> None:
        if self.warehouse.is_file():
            raise BillingError(
                f"--engine spark keeps its warehouse in a folder; {self.warehouse} is a file "
                "(a DuckDB warehouse?).",
                hint="pass --warehouse naming a folder (e.g. warehouse/spark), or --engine duckdb",
            )
        self.control_store.check_writable()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Any]:
        """The control store (load register, run context, ledger, builds): DuckDB SQL."""
        with self.control_store.connect(read_only=read_only) as con:
            yield con

    @contextmanager
    def reader(self) -> Iterator[SparkReader]:
        """The warehouse as dbt built it, read through Spark."""
        yield SparkReader(self.session())

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return to_arrow(spark_sql(self.session(), sql, params))

    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None:
        """Writes `table` as the Parquet table `name` (schema.table): replaces it (`overwrite`)
        or adds its rows (`append`)."""
        if mode not in WRITE_MODES:
            raise ValueError(f"mode must be one of {WRITE_MODES}, not {mode!r}")
        from pyspark.sql.pandas.types import from_arrow_schema

        session = self.session()
        _create_database(session, name.split(".")[0])
        # a timestamp without a zone stays one (TIMESTAMP_NTZ), whatever the session's
        # spark.sql.timestampType says: read back, it is the wall-clock value DuckDB gives
        frame = session.createDataFrame(table, from_arrow_schema(table.schema, True))
        if mode == "append" and session.catalog.tableExists(name):
            frame.select(*session.table(name).columns).write.insertInto(name)
        else:
            frame.write.mode(mode).format("parquet").saveAsTable(name)

    def load(
        self,
        survey: LandingSurvey,
        *,
        full_refresh: bool,
        progress: Progress,
        hashes: Hashes | None = None,
        apart: bool = False,
    ) -> LoadResult:
        """Checks and loads the new files into the control store (as DuckDbEngine.load), then
        writes the new loads to Spark."""
        self.warehouse.mkdir(parents=True, exist_ok=True)
        result = self.control_store.load(
            survey, full_refresh=full_refresh, progress=progress, hashes=hashes, apart=apart
        )
        self.mirror(progress)
        return result

    def mirror(self, progress: Progress | None = None) -> None:
        """Brings Spark's landing, control and ledger tables level with the control store."""
        vocabulary = load_vocabulary(self.project_dir)
        with self.connect() as con:
            _mirror_landing(self, con, vocabulary, progress)
            for table in vocabulary.tables:
                if table.schema != "landing":
                    self.write_table(_name(table), _arrow(con, _name(table), vocabulary))

    def run_dbt(self, args: list[str], *, progress: Progress | None = None) -> DbtResult:
        from automq_billing.build.spark_dbt import run_dbt_in_session

        with self.connect() as con:  # as the DuckDB hook does: a close must build after any run
            con.execute("update control.builds set inputs = null where inputs is not null")
        self.mirror()
        self.session()  # made here, with this warehouse, before dbt-spark asks for one
        return run_dbt_in_session(
            args,
            project_dir=self.project_dir,
            warehouse=self.warehouse,
            work_dir=self.work_dir(),
            progress=progress,
            reader=SparkReader(self.session()),
        )

    def work_dir(self) -> Path:
        return work_dir_for(self.warehouse / CONTROL_STORE)

    def dbt_target(self) -> Path:
        return self.work_dir() / "target"


def _create_database(session: Any, schema: str) -> None:
    # asked first: the Hive metastore logs an error with its stack for every `if not exists`
    if not session.catalog.databaseExists(schema):
        session.sql(f"create database if not exists `{schema}`")


def _name(table: Any) -> str:
    return f"{table.schema}.{table.name}"


def _select(name: str, vocabulary: Vocabulary, where: str = "") -> str:
    """The loaded table's columns as the project's YAML lists them, in that order."""
    names = ", ".join(
        f'"{c.name}"' for t in vocabulary.tables if _name(t) == name for c in t.columns
    )
    return f"select {names} from {name} {where}"  # noqa: S608 (names from the project's YAML)


def _arrow(con: Any, name: str, vocabulary: Vocabulary, where: str = "", *params: Any) -> pa.Table:
    return con.sql(_select(name, vocabulary, where), params=list(params) or None).to_arrow_table()


def _loads(con: Any) -> set[tuple[int, int]]:
    """(load id, when it was loaded in microseconds since the epoch) of the store's register."""
    return {
        (int(load_id), int(loaded_at))
        for load_id, loaded_at in con.execute(
            "select load_id, epoch_us(min(loaded_at)) from control.loaded_files group by load_id"
        ).fetchall()
    }


def _mirror_landing(
    engine: SparkEngine, con: Any, vocabulary: Vocabulary, progress: Progress | None
) -> None:
    """Writes to Spark the loads its copy of the register lacks; all of them again when the
    register was emptied since (a full refresh gives load ids again) or Spark has no copy."""
    session = engine.session()
    loads = _loads(con)
    mirrored: set[tuple[int, int]] = set()
    registered = session.catalog.tableExists("control.loaded_files")
    if registered:
        mirrored = {
            (int(row[0]), int(row[1]))
            for row in session.sql(
                "select load_id, unix_micros(min(loaded_at)) from control.loaded_files "
                "group by load_id"
            ).collect()
        }
    # a catalog without the register (new, or written by other means) is written whole
    rewrite = bool(mirrored - loads) or not registered
    new = sorted(i for i, _ in loads - mirrored) if not rewrite else sorted(i for i, _ in loads)
    _create_database(session, "landing")
    for dataset in vocabulary.datasets:
        name = _name(dataset)
        exists = session.catalog.tableExists(name)
        if rewrite or not exists:
            session.sql(f"drop table if exists {name}")
            empty = _arrow(con, name, vocabulary, "limit 0")
            session.createDataFrame(empty).write.format("parquet").partitionBy(
                "load_id"
            ).saveAsTable(name)
        columns = session.table(name).columns
        for load_id in new:
            staged = _stage(engine.warehouse, con, name, vocabulary, load_id)
            if staged is None:
                continue
            path, rows = staged
            if progress is not None:
                progress(f"  writing load {load_id} of {name} to Spark ({rows:,} rows)")
            try:  # Spark reads the staged file itself: the rows never pass through the driver
                frame = session.read.parquet(str(path)).select(*columns)
                frame.write.insertInto(name, overwrite=True)  # this load's partition, whole
            finally:
                path.unlink(missing_ok=True)


def _stage(
    warehouse: Path, con: Any, name: str, vocabulary: Vocabulary, load_id: int
) -> tuple[Path, int] | None:
    """One load of a landed table written from the control store to a Parquet file under the
    warehouse, a batch at a time (10 million rows handed to Spark as one Arrow table filled the
    driver's heap): (its path, its rows), or None when the load has no row in this table."""
    import pyarrow.parquet as pq

    folder = warehouse / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{load_id}.parquet"
    sql = _select(name, vocabulary, "where load_id = ?")
    batches = con.sql(sql, params=[load_id]).to_arrow_reader(65_536)
    rows = 0
    with pq.ParquetWriter(path, batches.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    if rows == 0:
        path.unlink()
        return None
    return path, rows
