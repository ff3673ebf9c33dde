"""Loading the landing zone into the warehouse (SPEC 1, 9.1): each landed file exactly once.

Every file the run's survey listed is compared with `control.loaded_files`, the warehouse's
register of what earlier runs loaded:
- a file never loaded is loaded now, all its rows, with its path relative to the landing root
  (`source_file`), its row number in the file (`file_row_number`) and this run's `load_id`;
- a file loaded before is not read again (landed files are immutable), but its sha256 is
  computed again and must be the one registered: an edit that keeps the size and the
  modification time is seen too (a reuse of the warehouse relies on the content, not on stat);
- a file loaded before that is gone, or whose content changed, stops the run: a full refresh
  (`--full-refresh`) rebuilds the warehouse from the landing as it is now. A full refresh
  empties the register and the control tables that say what the models were built from, so the
  next build is a full one whatever stopped this run before it (SPEC 6; issue 16).
Nothing is ever written into the landing zone. The whole load is one transaction: a file that
cannot be loaded (a value that does not fit its column's type, text that is not UTF-8, a corrupt
data page) stops it, naming the file and the column, and nothing of it remains.

SQL here is built only from identifiers and types the project's YAML declares (never from a
landed value or a path: those are bound parameters; hence the `noqa: S608` marks). No path
becomes SQL text or a file pattern: paths are bound parameters, and DuckDB's glob
characters in them are escaped, so `land[1]/x.parquet` reads exactly that file. No landed value
is echoed in a message about a licence file (a licence holds the product secret, which is hashed
here and never enters the warehouse).

The CSV landing parser is `csv_feed`, the value-fit checks and the diagnosis of a file that cannot
be loaded are `value_fit`, the sha256 of files and values is `hashing`; their names used by other
modules (`sha256_file`, `hash_landed`, `Hashes`, `glob_escaped`) are imported here too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.errors import BillingError
from automq_billing.landing.csv_feed import read_csv
from automq_billing.landing.hashing import Hashes, hash_landed, sha256_array, sha256_file
from automq_billing.landing.survey import LandedFile, LandingSurvey, landing_error, shown
from automq_billing.landing.value_fit import (
    EARLIEST,
    LATEST,
    OUT_OF_RANGE,
    LoadProblem,
    check_decimal_scales,
    check_six_places,
    check_utf8,
    diagnose,
    diagnose_arrow,
    glob_escaped,
    is_text,
)
from automq_billing.vocabulary import Column, LandedDataset, Vocabulary

Progress = Callable[[str], None]

REGISTER_TABLE = "control.loaded_files"
__all__ = [
    "Hashes",
    "LoadResult",
    "LoadedFile",
    "create_loaded_tables",
    "glob_escaped",
    "hash_landed",
    "load_landing",
    "loaded_paths",
    "sha256_file",
]


@dataclass(frozen=True)
class LoadedFile:
    """A landed file as the warehouse knows it after this run."""

    dataset: str
    relative: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    rows: int
    load_id: int
    new: bool


@dataclass
class LoadResult:
    load_id: int
    files: list[LoadedFile] = field(default_factory=list)
    seconds: float = 0.0
    full_refresh: bool = False

    @property
    def new_files(self) -> list[LoadedFile]:
        return [f for f in self.files if f.new]

    def rows_loaded(self, dataset: str | None = None) -> int:
        return sum(f.rows for f in self.new_files if dataset in (None, f.dataset))


# which loads the models were built from; the next build is then a full one (an empty
# control.builds never matches the code fingerprint), so an interrupted refresh cannot leave
# incremental tables holding rows of load ids that are given again
FULL_REFRESH_RESETS = (
    REGISTER_TABLE,
    "control.builds",
    "control.file_warnings",
    "control.checked_loads",
)


# ---------------------------------------------------------------------------------------------
# Tables


# the control tables of builds before they became one (control.builds): a warehouse that has
# them forgets its builds, so its next build is a full one
RETIRED_BUILD_TABLES = ("processed_loads", "build_inputs")


def create_loaded_tables(con: duckdb.DuckDBPyConnection, vocabulary: Vocabulary) -> None:
    """The landing tables, the register and the control and ledger tables, with the columns the
    sources' YAML declares (the same statements dbt's on-run-start hook runs). A warehouse made by
    an earlier version of the project gets the columns it lacks (a month column is computed for
    the rows already loaded), and its control tables of builds are replaced by control.builds."""
    _retire_build_tables(con)
    for table in vocabulary.tables:
        columns = ", ".join(f'"{c.name}" {c.data_type}' for c in table.columns)
        name = f'"{table.schema}"."{table.name}"'
        con.execute(f'create schema if not exists "{table.schema}"').fetchall()
        con.execute(f"create table if not exists {name} ({columns})").fetchall()
        existing = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = $schema and table_name = $table",
                {"schema": table.schema, "table": table.name},
            ).fetchall()
        }
        for column in table.columns:
            if column.name in existing:
                continue
            con.execute(
                f'alter table {name} add column "{column.name}" {column.data_type}'
            ).fetchall()
            if column.month_of:
                con.execute(
                    f'update {name} set "{column.name}" = '  # noqa: S608
                    f"cast(date_trunc('month', \"{column.month_of}\") as date)"
                ).fetchall()


def _retire_build_tables(con: duckdb.DuckDBPyConnection) -> None:
    control = {
        (row[0], row[1])
        for row in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'control'"
        ).fetchall()
    }
    tables = {table for table, _ in control}
    if "builds" in tables and ("builds", "build_id") not in control:
        con.execute("drop table control.builds").fetchall()
    for table in RETIRED_BUILD_TABLES:
        if table in tables:
            con.execute(f"drop table control.{table}").fetchall()  # noqa: S608 (constant names)


def _registered(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, Any]]:
    rows = con.execute(
        f"select dataset, path, size_bytes, mtime_ns, sha256, rows, load_id from {REGISTER_TABLE}"  # noqa: S608
    ).fetchall()
    keys = ("size_bytes", "mtime_ns", "sha256", "rows", "load_id")
    return {(r[0], r[1]): dict(zip(keys, r[2:], strict=True)) for r in rows}


# ---------------------------------------------------------------------------------------------
# The load


def load_landing(
    con: duckdb.DuckDBPyConnection,
    survey: LandingSurvey,
    vocabulary: Vocabulary,
    *,
    full_refresh: bool = False,
    progress: Progress | None = None,
    hashes: Hashes | None = None,
) -> LoadResult:
    """Loads every file of the survey that the warehouse has not loaded yet (all of them with
    `full_refresh`), in one transaction; raises BillingError naming the files that cannot be.
    `hashes` (from hash_landed) are the sha256 of the survey's files when the caller has them;
    otherwise every file is hashed here."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    if hashes is None:
        hashes = hash_landed(survey.files)
    create_loaded_tables(con, vocabulary)
    con.execute("begin transaction").fetchall()
    try:
        if full_refresh:
            for dataset in vocabulary.datasets:
                con.execute(f'delete from landing."{dataset.name}"').fetchall()  # noqa: S608
            for table in FULL_REFRESH_RESETS:
                con.execute(f"delete from {table}").fetchall()  # noqa: S608
        registered = _registered(con)
        load_id = 1 + (
            con.execute(f"select max(load_id) from {REGISTER_TABLE}").fetchall()[0][0] or 0  # noqa: S608
        )  # noqa: S608
        result = LoadResult(load_id=load_id, full_refresh=full_refresh)
        new, known_files = _compare_with_register(survey, registered, load_id, hashes)
        result.files.extend(known_files)
        if new:
            say(
                f"  loading {len(new)} new file(s) "
                f"({sum(f.rows or 0 for f in new):,} row(s) declared) into the warehouse"
            )
            result.files.extend(
                _load_new_files(con, survey.root, new, vocabulary, load_id, say, hashes)
            )
            result.files.sort(key=lambda f: (f.dataset, f.relative))
        con.execute("commit").fetchall()
    except BaseException:
        con.execute("rollback").fetchall()
        raise
    result.seconds = time.monotonic() - started
    return result


def _compare_with_register(
    survey: LandingSurvey,
    registered: dict[tuple[str, str], dict[str, Any]],
    load_id: int,
    hashes: Hashes,
) -> tuple[list[LandedFile], list[LoadedFile]]:
    """(files to load, files already loaded) or BillingError for files that changed or went."""
    new: list[LandedFile] = []
    known: list[LoadedFile] = []
    problems: list[str] = []
    listed = set()
    for landed in survey.files:
        key = (landed.dataset, landed.relative)
        listed.add(key)
        entry = registered.get(key)
        if entry is None:
            new.append(landed)
            continue
        sha256 = entry["sha256"]
        if hashes[key] != sha256:  # whatever its size and modification time say
            problems.append(
                f"{shown(landed.path)}: its content changed since it was loaded (load "
                f"{entry['load_id']}); landed files are immutable"
            )
            continue
        known.append(
            LoadedFile(
                landed.dataset,
                landed.relative,
                landed.size_bytes,
                landed.mtime_ns,
                sha256,
                int(entry["rows"]),
                int(entry["load_id"]),
                new=False,
            )
        )
    for dataset, relative in sorted(set(registered) - listed):
        problems.append(
            f"{shown(survey.root / relative)}: loaded by an earlier run (load "
            f"{registered[(dataset, relative)]['load_id']}) but no longer in the landing"
        )
    if problems:
        raise BillingError(
            f"The landing zone {shown(survey.root)} no longer matches what the warehouse loaded "
            f"({len(problems)} file(s)); nothing was written:\n"
            + "\n".join(f"  - {p}" for p in problems[:25]),
            hint="put the original files back (landed files are never edited or removed: land "
            "corrections as new files), or rebuild the warehouse from the landing as it is with "
            "--full-refresh, or use another --warehouse for another landing",
        )
    return new, known


def _load_new_files(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    files: list[LandedFile],
    vocabulary: Vocabulary,
    load_id: int,
    say: Progress,
    hashes: Hashes,
) -> list[LoadedFile]:
    datasets = {d.name: d for d in vocabulary.datasets}
    loaded: list[LoadedFile] = []
    problems: list[str] = []
    for index, landed in enumerate(files, 1):
        dataset = datasets[landed.dataset]
        try:
            rows = _load_file(con, landed, dataset, load_id)
        except LoadProblem as problem:
            # the failed insert aborted the load's transaction: stop at the first bad file
            left = len(files) - index
            problems.append(str(problem))
            if left:
                problems.append(f"({left} other new file(s) were not checked yet)")
            break
        _check_unchanged(landed)
        if landed.rows is not None and rows != landed.rows:
            problems.append(
                f"{shown(landed.path)}: {rows} row(s) loaded where its footer declares "
                f"{landed.rows}"
            )
            continue
        loaded.append(
            LoadedFile(
                landed.dataset,
                landed.relative,
                landed.size_bytes,
                landed.mtime_ns,
                hashes[(landed.dataset, landed.relative)],
                rows,
                load_id,
                new=True,
            )
        )
        if index % 50 == 0 or (landed.rows or 0) > 1_000_000:
            say(f"  loaded {index}/{len(files)}: {shown(landed.relative)} ({rows:,} rows)")
    if problems:
        raise landing_error(root, problems)
    now = dt.datetime.now(dt.UTC)
    con.executemany(
        f"insert into {REGISTER_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        [
            [f.dataset, f.relative, f.size_bytes, f.mtime_ns, f.sha256, f.rows, f.load_id, now]
            for f in loaded
        ],
    ).fetchall()
    return loaded


def _check_unchanged(landed: LandedFile) -> None:
    stat = landed.path.stat()
    if (stat.st_size, stat.st_mtime_ns) != (landed.size_bytes, landed.mtime_ns):
        raise BillingError(
            f"{shown(landed.path)} changed while it was being loaded; nothing was written.",
            hint="land files by writing them elsewhere and moving them into the landing zone "
            "when complete, then run again",
        )


def _load_file(
    con: duckdb.DuckDBPyConnection, landed: LandedFile, dataset: LandedDataset, load_id: int
) -> int:
    if dataset.format == "csv":
        return _insert_arrow(con, dataset, read_csv(landed, dataset), landed, load_id)
    needs_arrow = any(c.transform for c in dataset.columns) or "file_row_number" in landed.columns
    if needs_arrow:
        return _insert_arrow(con, dataset, _read_parquet_arrow(landed, dataset), landed, load_id)
    check_decimal_scales(con, landed, dataset)
    relation = "read_parquet($path, file_row_number = true)"
    try:
        return _insert(con, dataset, relation, {"path": glob_escaped(landed.path)}, landed, load_id)
    except duckdb.Error as error:
        raise LoadProblem(diagnose(con, landed, dataset, error)) from None


def _cast(column: Column) -> str:
    value = f'cast("{column.landed_name}" as {column.data_type})'
    if column.data_type.startswith(("timestamp", "date")):
        # a moment DuckDB holds but no later stage can (Python, Parquet readers, spreadsheets)
        # stops the load, naming the column (SPEC 1: it does not fit the declared type)
        kind = "date" if column.data_type == "date" else "timestamptz"
        message = OUT_OF_RANGE.format(column=column.landed_name)
        value = (
            f"case when {value} < {kind} '{EARLIEST}' or {value} >= {kind} '{LATEST}' "
            f"then error('{message.replace(chr(39), chr(39) * 2)}') else {value} end"
        )
    return f'{value} as "{column.name}"'


def _insert(
    con: duckdb.DuckDBPyConnection,
    dataset: LandedDataset,
    relation: str,
    params: dict[str, Any],
    landed: LandedFile,
    load_id: int,
) -> int:
    columns = dataset.landed_columns
    computed = [c for c in dataset.columns if c.month_of]
    names = ", ".join(f'"{c.name}"' for c in [*columns, *computed])
    casts = ", ".join(
        [_cast(c) for c in columns]
        + [
            f"cast(date_trunc('month', cast(\"{c.month_of}\" as timestamptz)) as date)"
            for c in computed
        ]
    )
    inserted = con.execute(
        f'insert into landing."{dataset.name}" ({names}, source_file, file_row_number, load_id) '  # noqa: S608
        f"select {casts}, $source_file, file_row_number, $load_id from {relation}",  # noqa: S608
        {**params, "source_file": landed.relative, "load_id": load_id},
    ).fetchall()[0]
    return int(inserted[0])


def _insert_arrow(
    con: duckdb.DuckDBPyConnection,
    dataset: LandedDataset,
    table: pa.Table,
    landed: LandedFile,
    load_id: int,
) -> int:
    con.register("landed_arrow", table)
    try:
        return _insert(con, dataset, "landed_arrow", {}, landed, load_id)
    except duckdb.Error as error:
        raise LoadProblem(diagnose_arrow(table, landed, dataset, error)) from None
    finally:
        try:
            con.unregister("landed_arrow")
        except duckdb.Error:  # the failed insert aborted the transaction; it is rolled back
            pass


# ---------------------------------------------------------------------------------------------
# Reading through Arrow: licence files (their secret is hashed before anything else sees it),
# files holding a column named file_row_number, and CSV feeds


def _read_parquet_arrow(landed: LandedFile, dataset: LandedDataset) -> pa.Table:
    names = [c.landed_name for c in dataset.landed_columns]
    try:
        table = pq.read_table(landed.path, columns=names)
    except (OSError, pa.ArrowException, ValueError):
        raise LoadProblem(
            f"{shown(landed.path)}: its data cannot be read (a corrupt page behind a valid footer?)"
        ) from None
    arrays, fields = [], []
    for column in dataset.landed_columns:
        array = table.column(column.landed_name).combine_chunks()
        if column.transform == "sha256":
            array = sha256_array(array)
        elif is_text(array.type):
            check_utf8(array, landed, column)
        elif pa.types.is_decimal(array.type) and array.type.scale > 6:
            check_six_places(array, landed, column)
        arrays.append(array)
        fields.append(column.landed_name)
    arrays.append(pa.array(range(table.num_rows), pa.int64()))
    fields.append("file_row_number")
    return pa.table(arrays, names=fields)


def loaded_paths(files: Iterable[LoadedFile], dataset: str) -> list[str]:
    return [f.relative for f in files if f.dataset == dataset]
