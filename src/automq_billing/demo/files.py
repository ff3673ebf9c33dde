"""Landed files: what the generator plans to write (with the moment each file lands), how a
file is rendered to bytes, and how a landing folder is brought up to a moment without ever
changing a file that is already there (SPEC 1: landed files are immutable)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.demo.clock import UTC, midnight

LANDED_SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True)
class PlannedFile:
    """A file of the landing, rendered only when it is needed."""

    dataset: str
    relative: str  # below the landing root, with `/`
    landed_at: dt.datetime
    rows: int
    render: Callable[[], bytes]


@dataclass(frozen=True)
class LandedFile:
    """A file of the landing as of the generator's `as_of`."""

    path: Path
    dataset: str
    landed_at: dt.datetime
    rows: int
    new: bool  # written by this run (False: it was already there, byte-identical)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "dataset": self.dataset,
            "landed_at": self.landed_at.isoformat(),
            "rows": self.rows,
            "new": self.new,
        }


def parquet_bytes(table: pa.Table, **options: Any) -> bytes:
    """The Parquet file of a table. store_schema=False: the Parquet logical types (STRING,
    TIMESTAMP, INT64, DECIMAL, DATE) are the contract; no Arrow-specific schema is embedded."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, store_schema=False, **options)
    return sink.getvalue().to_pybytes()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A CSV file as AWS delivers its seller feeds: header row, every field quoted, `\\n`."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def as_of_moment(as_of: dt.date | dt.datetime | None) -> dt.datetime | None:
    """The last moment included: a date means the whole day (UTC), a naive datetime is UTC."""
    if as_of is None or isinstance(as_of, dt.datetime):
        return as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC)
    return midnight(as_of + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def land(
    out_dir: Path, planned: Sequence[PlannedFile], as_of: dt.datetime | None
) -> list[LandedFile]:
    """Write the planned files that had landed by `as_of` (all when None) under `out_dir`.

    A file already there must be byte-identical to what would be written, and every landed file
    of the datasets written must be a planned one; otherwise ValueError names the file and
    nothing is written. Each new file is written to a temporary name and renamed.
    """
    out_dir = Path(out_dir)
    by_path = {out_dir / f.relative: f for f in planned}
    if len(by_path) != len(planned):
        raise AssertionError("two planned files share a path")
    _refuse_foreign_files(out_dir, {f.dataset for f in planned}, by_path)
    due = [f for f in planned if as_of is None or f.landed_at <= as_of]
    contents: dict[Path, bytes] = {}
    existing: set[Path] = set()
    for path, item in sorted(by_path.items()):
        if path.exists():
            if path.read_bytes() != item.render():
                raise ValueError(
                    f"refusing to write into {out_dir}: {path} differs from what these "
                    "arguments generate, and landed files are immutable; generate into an "
                    "empty folder or pass the arguments that wrote it"
                )
            existing.add(path)
    for item in due:
        path = out_dir / item.relative
        if path not in existing:
            contents[path] = item.render()
    for path, data in contents.items():
        _write_atomically(path, data)
    return [
        LandedFile(
            out_dir / f.relative, f.dataset, f.landed_at, f.rows, out_dir / f.relative in contents
        )
        for f in sorted(due, key=lambda f: (f.landed_at, f.relative))
    ]


def _refuse_foreign_files(
    out_dir: Path, datasets: set[str], planned: dict[Path, PlannedFile]
) -> None:
    for dataset in sorted(datasets):
        folder = out_dir / dataset
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in LANDED_SUFFIXES and path.is_file() and path not in planned:
                raise ValueError(
                    f"refusing to write into {out_dir}: it holds {path}, which these arguments "
                    "do not generate, and landed files are immutable; generate into an empty "
                    "folder or pass the arguments that wrote it"
                )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@dataclass(frozen=True)
class GenerateSummary:
    """What a generator wrote: the files landed (with their landing times), the usage rows
    they hold, the organizations and instances, and notes naming the scenarios by id."""

    files: list[LandedFile]
    rows: int  # usage rows in the landed files
    months: list[str]
    organizations: int
    instances: int
    as_of: dt.datetime | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def files_of(self, dataset: str) -> list[LandedFile]:
        return [f for f in self.files if f.dataset == dataset]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `files` are paths, `landings` the files with their landing times."""
        return {
            "files": [str(f.path) for f in self.files],
            "landings": [f.to_dict() for f in self.files],
            "rows": self.rows,
            "months": self.months,
            "organizations": self.organizations,
            "instances": self.instances,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "notes": self.notes,
        }
