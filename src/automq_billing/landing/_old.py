"""The landing zone (SPEC 1): which files make up each dataset, and whether dbt can read them.

Only Parquet footers are read here (schemas and row counts), never the rows: the record rules run
in SQL. A file that cannot be read, lacks a required column, or holds a column of a type that
cannot be cast to the contract's type stops the run before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.errors import BillingError

TypeCheck = Callable[[pa.DataType], bool]

# The meters of SPEC 1.1 (dbt has the same list in macros/usage_rules.sql).
METERS: tuple[str, ...] = (
    "ingress_bytes",
    "egress_bytes",
    "retained_bytes",
    "uptime_seconds",
    "write_peak_bytes_per_s",
    "read_peak_bytes_per_s",
)


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_integer(t: pa.DataType) -> bool:
    return pa.types.is_integer(t)


def _is_timestamp(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t)


def _is_date(t: pa.DataType) -> bool:
    return pa.types.is_date(t) or pa.types.is_timestamp(t)


def _is_decimal(t: pa.DataType) -> bool:
    return pa.types.is_decimal(t) or pa.types.is_integer(t)


_TYPE_NAMES: dict[TypeCheck, str] = {
    _is_text: "a string",
    _is_integer: "an integer",
    _is_timestamp: "a timestamp",
    _is_date: "a date",
    _is_decimal: "a decimal",
}


@dataclass(frozen=True)
class Dataset:
    """A landing dataset: its folder name and its required columns with their accepted types."""

    name: str
    columns: dict[str, TypeCheck]
    required: bool = True


USAGE_EVENTS = Dataset(
    "usage_events",
    {
        "event_id": _is_text,
        "organization_id": _is_text,
        "environment_id": _is_text,
        "instance_id": _is_text,
        "cloud_provider": _is_text,
        "region": _is_text,
        "pricing_mode": _is_text,
        "cluster_tier": _is_text,
        "meter": _is_text,
        "hour_start": _is_timestamp,
        "quantity": _is_integer,
        "emitted_at": _is_timestamp,
    },
)

LICENSES = Dataset(
    "licenses",
    {
        "license_id": _is_text,
        "organization_id": _is_text,
        "channel": _is_text,
        "term": _is_text,
        "aku_quota": _is_integer,
        "start_date": _is_date,
        "end_date": _is_date,
        "price_per_aku": _is_decimal,
        "currency": _is_text,
        "product_secret": _is_text,
        "purchased_at": _is_timestamp,
    },
    required=False,
)

LICENSE_ALLOCATIONS = Dataset(
    "license_allocations",
    {
        "license_id": _is_text,
        "environment_id": _is_text,
        "aku_allocated": _is_integer,
        "valid_from": _is_timestamp,
        "valid_to": _is_timestamp,
    },
    required=False,
)

DATASETS: tuple[Dataset, ...] = (USAGE_EVENTS, LICENSES, LICENSE_ALLOCATIONS)

# The usage columns that may never be null (cluster_tier is required only for usage-based
# uptime rows: SPEC 1.1).
ALWAYS_REQUIRED_USAGE_COLUMNS: tuple[str, ...] = tuple(
    column for column in USAGE_EVENTS.columns if column != "cluster_tier"
)


@dataclass(frozen=True)
class LandedFile:
    """One landed file as its footer describes it, with whatever makes it unusable."""

    dataset: str
    path: Path
    size_bytes: int
    rows: int
    readable: bool = True
    missing_columns: tuple[str, ...] = ()
    bad_type_columns: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def dataset_files(landing_root: Path, dataset: str) -> list[Path]:
    """Every `*.parquet` file below the dataset folder, at any depth, in a stable order."""
    folder = landing_root / dataset
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.parquet") if p.is_file())


def inspect_file(path: Path, dataset: Dataset) -> LandedFile:
    """Reads one file's footer: row count, required columns and their types."""
    size = path.stat().st_size
    try:
        metadata = pq.read_metadata(path)
        schema = metadata.schema.to_arrow_schema()
    except (OSError, pa.ArrowException) as error:
        return LandedFile(
            dataset.name,
            path,
            size,
            0,
            readable=False,
            problems=(f"{path}: not a readable Parquet file ({error})",),
        )
    missing, bad_types, problems = [], [], []
    for column, accepts in dataset.columns.items():
        index = schema.get_field_index(column)
        if index < 0:
            missing.append(column)
            problems.append(f"{path}: required column '{column}' is missing")
            continue
        data_type = schema.field(index).type
        if not (pa.types.is_null(data_type) or accepts(data_type)):
            bad_types.append(column)
            problems.append(
                f"{path}: column '{column}' has type {data_type}, expected {_TYPE_NAMES[accepts]}"
            )
    if metadata.num_rows == 0:
        problems.append(f"{path}: contains no rows (an empty export)")
    return LandedFile(
        dataset.name,
        path,
        size,
        metadata.num_rows,
        missing_columns=tuple(missing),
        bad_type_columns=tuple(bad_types),
        problems=tuple(problems),
    )


def survey_landing(
    landing_root: Path, datasets: Iterable[Dataset] = DATASETS
) -> tuple[list[LandedFile], list[str]]:
    """Every landed file with its footer facts, and every problem found: a required dataset
    with no file, and each file's own problems (unreadable, missing or badly typed column, no
    rows). Raises BillingError only when the landing folder itself is missing."""
    if not landing_root.is_dir():
        raise BillingError(
            f"The landing folder {landing_root} does not exist.",
            hint="pass --landing DIR (or set AUTOMQ_BILLING_LANDING) to the folder holding "
            "usage_events/, or run `make demo` to generate demo data",
        )
    files: list[LandedFile] = []
    problems: list[str] = []
    for dataset in datasets:
        paths = dataset_files(landing_root, dataset.name)
        if not paths and dataset.required:
            problems.append(
                f"{landing_root / dataset.name}: no *.parquet files (the {dataset.name} dataset "
                "is required)"
            )
        files.extend(inspect_file(path, dataset) for path in paths)
    problems += [problem for f in files for problem in f.problems]
    return files, problems


def landing_error(landing_root: Path, problems: list[str]) -> BillingError:
    shown = "\n".join(f"  - {p}" for p in problems[:25])
    more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
    return BillingError(
        f"The landing zone {landing_root} has {len(problems)} problem(s); nothing was "
        f"written:\n{shown}{more}",
        hint="fix or remove the named files (landed files are immutable: land a corrected "
        "copy under a new name and move the bad one out of the landing folder), then run again",
    )


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
