"""The engine a build runs on, as one small interface: connect to the warehouse, load the landing
into it, run dbt on it, and where dbt keeps its artifacts. DuckDB (one embedded file) is the one
implementation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from automq_billing import warehouse
from automq_billing.build.load_apart import load_apart
from automq_billing.dbt_runner import DbtResult, run_dbt, work_dir_for
from automq_billing.landing import LandingSurvey, LoadResult, load_landing
from automq_billing.landing.hashing import Hashes
from automq_billing.vocabulary import load_vocabulary

Progress = Callable[[str], None]


class Engine(Protocol):
    """What the build needs of the engine that stores the warehouse."""

    project_dir: Path

    def check_writable(self) -> None: ...

    def connect(self, *, read_only: bool = False) -> AbstractContextManager[Any]: ...

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

    def check_writable(self) -> None:
        warehouse.check_writable(self.warehouse)

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
