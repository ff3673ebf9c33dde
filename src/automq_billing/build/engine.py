"""The engine a build runs on, as one small interface (SPEC 11): connect to its control tables
(load register, run context, ledger, builds), load the landing, run dbt, read what dbt built
(`reader`, `query`), write a table (`write_table`), and where dbt keeps its artifacts. DuckDB
(one embedded file) is the default; Spark (build.spark_engine) is the other, chosen with
`--engine` or AUTOMQ_BILLING_ENGINE. An engine that cannot start is an error: nothing falls back
to the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from automq_billing import warehouse
from automq_billing.build.load_apart import load_apart
from automq_billing.dbt_runner import DbtResult, run_dbt, work_dir_for
from automq_billing.errors import BillingError
from automq_billing.landing import LandingSurvey, LoadResult, load_landing
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import load_vocabulary

Progress = Callable[[str], None]


class Engine(Protocol):
    """What the build needs of the engine that stores the warehouse."""

    project_dir: Path
    warehouse: Path
    name: str

    @property
    def warehouse_file(self) -> Path:
        """The DuckDB file the engine writes (DuckDB: the warehouse; Spark: its control store):
        what the path checks and the lock look at."""
        ...

    def check_writable(self) -> None: ...

    def connect(self, *, read_only: bool = False) -> AbstractContextManager[Any]: ...

    def reader(self) -> AbstractContextManager[Any]: ...

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table: ...

    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None: ...

    def load(
        self,
        survey: LandingSurvey,
        *,
        full_refresh: bool,
        progress: Progress,
        hashes: Hashes | None,
        apart: bool,
    ) -> LoadResult: ...

    def run_dbt(self, args: list[str], *, progress: Progress | None) -> DbtResult: ...

    def dbt_target(self) -> Path: ...


@dataclass(frozen=True)
class DuckDbEngine:
    """The warehouse as one DuckDB file (`warehouse`), built by dbt-duckdb."""

    warehouse: Path
    project_dir: Path
    name: str = "duckdb"

    @property
    def warehouse_file(self) -> Path:
        return self.warehouse

    def check_writable(self) -> None:
        warehouse.check_writable(self.warehouse)

    def reader(self) -> AbstractContextManager[Any]:
        """What dbt built, read-only (once dbt has exited), at the close's memory limit (it runs
        beside the validation worker and the documents' children)."""
        return warehouse.connect(
            self.warehouse, read_only=True, memory_limit=warehouse.close_memory_limit()
        )

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        with self.reader() as con:
            return con.sql(sql, params=params).to_arrow_table()

    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None:
        """Replaces (`overwrite`) or adds to (`append`) the table `name` (schema.table)."""
        if mode not in ("overwrite", "append"):
            raise ValueError(f"mode must be overwrite or append, not {mode!r}")
        schema, _, relation = name.partition(".")
        with self.connect() as con:
            con.register("written_rows", table)
            try:
                con.execute(f'create schema if not exists "{schema}"').fetchall()
                if mode == "overwrite":
                    con.execute(
                        f'create or replace table "{schema}"."{relation}" as '  # noqa: S608
                        "select * from written_rows"
                    ).fetchall()
                else:
                    con.execute(
                        f'insert into "{schema}"."{relation}" by name '  # noqa: S608
                        "select * from written_rows"
                    ).fetchall()
            finally:
                con.unregister("written_rows")

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Any]:
        if not read_only:
            self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with warehouse.connect(self.warehouse, read_only=read_only) as con:
            yield con

    def load(
        self,
        survey: LandingSurvey,
        *,
        full_refresh: bool,
        progress: Progress,
        hashes: Hashes | None = None,
        apart: bool = False,
    ) -> LoadResult:
        """Loads the survey's new files; `apart` in a child process, whose memory is returned
        before dbt starts (close.load_apart)."""
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        if apart:
            return load_apart(
                self.warehouse,
                survey,
                self.project_dir,
                full_refresh=full_refresh,
                progress=progress,
                hashes=hashes,
            )
        vocabulary = load_vocabulary(self.project_dir)
        with self.connect() as con:
            return load_landing(
                con, survey, vocabulary, full_refresh=full_refresh, progress=progress, hashes=hashes
            )

    def run_dbt(self, args: list[str], *, progress: Progress | None = None) -> DbtResult:
        return run_dbt(
            args, project_dir=self.project_dir, warehouse=self.warehouse, progress=progress
        )

    def dbt_target(self) -> Path:
        return work_dir_for(self.warehouse.absolute()) / "target"


ENGINES = ("duckdb", "spark")


def engine_name(option: str | None) -> str:
    """The engine `--engine` names, else AUTOMQ_BILLING_ENGINE, else duckdb."""
    import os

    name = (option or os.environ.get("AUTOMQ_BILLING_ENGINE") or "duckdb").strip().lower()
    if name not in ENGINES:
        raise BillingError(
            f"Unknown engine {name!r} (from --engine or AUTOMQ_BILLING_ENGINE).",
            hint="use --engine duckdb or --engine spark",
        )
    return name


def make_engine(name: str, warehouse_path: Path, project_dir: Path) -> Engine:
    """The engine called `name` on the warehouse `warehouse_path` (a DuckDB file, or the folder
    of a Spark catalog)."""
    if name == "spark":
        from automq_billing.build.spark_engine import SparkEngine

        return SparkEngine(warehouse_path, project_dir)
    return DuckDbEngine(warehouse_path, project_dir)
