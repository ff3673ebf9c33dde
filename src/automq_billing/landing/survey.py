"""Which files make up the landing zone (SPEC 1, 9.1), and whether each can be loaded.

Only what a file declares is read here: a Parquet footer (schema, row count) or a CSV header
row. The values are checked when the file is loaded (`automq_billing.landing.load`). The survey
is taken once, when a run starts: the files it lists are the files the run reads.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.errors import BillingError
from automq_billing.vocabulary import Column, LandedDataset, Vocabulary

TypeCheck = Callable[[pa.DataType], bool]


@dataclass(frozen=True)
class LandedFile:
    """One landed file as its footer (or header row) describes it."""

    dataset: str
    path: Path  # absolute
    relative: str  # POSIX path relative to the landing root: the row's `source_file`
    size_bytes: int
    mtime_ns: int
    rows: int | None  # None for a CSV file until it is loaded
    columns: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.problems


@dataclass
class LandingSurvey:
    root: Path
    files: list[LandedFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of(self, dataset: str) -> list[LandedFile]:
        return [f for f in self.files if f.dataset == dataset]

    @property
    def rows(self) -> int:
        return sum(f.rows or 0 for f in self.files)


def survey_landing(root: Path, vocabulary: Vocabulary) -> LandingSurvey:
    """Every landed file with its footer facts, every problem that stops a run (a required
    dataset with no file; a file that cannot be read, lacks a column or holds one of an
    incompatible type) and every warning (files that are not read). Raises BillingError only
    when the landing folder itself is missing."""
    if not root.is_dir():
        raise BillingError(
            f"The landing folder {shown(root)} does not exist.",
            hint="pass --landing DIR (or set AUTOMQ_BILLING_LANDING) to the folder holding "
            "usage_events/, or run `make demo` to generate demo data",
        )
    survey = LandingSurvey(root)
    for dataset in vocabulary.datasets:
        paths = list(_dataset_files(root, dataset, survey.warnings))
        if not paths and dataset.required:
            survey.problems.append(
                f"{shown(root / dataset.name)}: no *{dataset.suffix} files (the {dataset.name} "
                "dataset is required)"
            )
        for path in paths:
            landed = inspect_file(root, path, dataset)
            survey.files.append(landed)
            survey.problems.extend(landed.problems)
    return survey


def _dataset_files(root: Path, dataset: LandedDataset, warnings: list[str]) -> Iterator[Path]:
    """The dataset's files at any depth, in a stable order. Symbolic links to files are read;
    links to folders are not followed; broken links and files of another kind are warnings."""
    folder = root / dataset.name
    if not folder.is_dir():
        return
    skipped: list[str] = []
    for current, folders, names in os.walk(folder, followlinks=False):
        folders.sort()
        here = Path(current)
        for name in list(folders):
            if (here / name).is_symlink():
                warnings.append(
                    f"{shown(here / name)}: a symbolic link to a folder is not followed"
                )
        for name in sorted(names):
            path = here / name
            if not name.endswith(dataset.suffix):
                skipped.append(str(path))
            elif path.is_symlink() and not path.is_file():
                warnings.append(f"{shown(path)}: a broken or looping symbolic link was skipped")
            elif path.is_file():
                yield path
            else:
                warnings.append(f"{shown(path)}: not a regular file, skipped")
    if skipped:
        listed = ", ".join(shown(p) for p in skipped[:3]) + (
            f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        )
        warnings.append(
            f"{shown(folder)}: {len(skipped)} file(s) that are not *{dataset.suffix} were not read "
            f"({listed})"
        )


def inspect_file(root: Path, path: Path, dataset: LandedDataset) -> LandedFile:
    stat = path.stat()
    relative = path.relative_to(root).as_posix()
    if dataset.format == "csv":
        columns, rows, problems = _inspect_csv(path, dataset)
    else:
        columns, rows, problems = _inspect_parquet(path, dataset)
    return LandedFile(
        dataset=dataset.name,
        path=path,
        relative=relative,
        size_bytes=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        rows=rows,
        columns=columns,
        problems=tuple(problems),
    )


def _inspect_parquet(
    path: Path, dataset: LandedDataset
) -> tuple[tuple[str, ...], int | None, list[str]]:
    try:
        metadata = pq.read_metadata(path)
        schema = metadata.schema.to_arrow_schema()
    except (OSError, pa.ArrowException, ValueError) as error:
        return (), None, [f"{shown(path)}: not a readable Parquet file ({_short(error)})"]
    names = tuple(schema.names)
    problems = []
    for column in dataset.landed_columns:
        indexes = [i for i, name in enumerate(names) if name == column.landed_name]
        if not indexes:
            problems.append(f"{shown(path)}: required column '{column.landed_name}' is missing")
        elif len(indexes) > 1:
            problems.append(
                f"{shown(path)}: column '{column.landed_name}' appears {len(indexes)} times; a "
                "column name must be unique"
            )
        else:
            data_type = schema.field(indexes[0]).type
            expected = accepted_types(column)
            if not (pa.types.is_null(data_type) or expected[0](data_type)):
                problems.append(
                    f"{shown(path)}: column '{column.landed_name}' has type {data_type}, expected "
                    f"{expected[1]}"
                )
    return names, metadata.num_rows, problems


def _inspect_csv(
    path: Path, dataset: LandedDataset
) -> tuple[tuple[str, ...], int | None, list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        return (
            (),
            None,
            [f"{shown(path)}: not a readable CSV file with a header row ({_short(error)})"],
        )
    if not header:
        return (), None, [f"{shown(path)}: empty file; a header row is required"]
    names = tuple(name.strip() for name in header)
    problems = []
    for column in dataset.landed_columns:
        count = names.count(column.landed_name)
        if count == 0:
            problems.append(f"{shown(path)}: required column '{column.landed_name}' is missing")
        elif count > 1:
            problems.append(
                f"{shown(path)}: column '{column.landed_name}' appears {count} times in the header"
            )
    return names, None, problems


def accepted_types(column: Column) -> tuple[TypeCheck, str]:
    """Which Parquet (Arrow) types can be loaded as the column's contract type."""
    data_type = column.data_type
    if data_type == "varchar":
        return _is_text, "a string"
    if data_type in ("bigint", "integer"):
        return pa.types.is_integer, "an integer"
    if data_type.startswith("timestamp"):
        return pa.types.is_timestamp, "a timestamp"
    if data_type == "date":
        return (lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t)), "a date"
    if data_type.startswith("decimal"):
        return (lambda t: pa.types.is_decimal(t) or pa.types.is_integer(t)), "a decimal"
    raise ValueError(f"no Parquet type check for {data_type}")


def _is_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        return _is_text(data_type.value_type)
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def shown(path: Path | str) -> str:
    """A path as messages print it: as it is when every character is printable, otherwise with
    its newlines, control and format characters escaped as Python writes them (`\\n`,
    `\\u202e`), so a file name can never split or disguise a line of a summary."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def landing_error(root: Path, problems: Iterable[str]) -> BillingError:
    problems = list(problems)
    listed = "\n".join(f"  - {p}" for p in problems[:25])
    more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
    return BillingError(
        f"The landing zone {shown(root)} has {len(problems)} problem(s); nothing was written:\n"
        f"{listed}{more}",
        hint="fix or remove the named files (landed files are immutable: land a corrected "
        "copy under a new name and move the bad one out of the landing folder), then run again",
    )
