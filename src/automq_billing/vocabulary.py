"""The project's vocabulary and landing contract, read from the dbt project (their one home).

- Lists of allowed values (meters, quarantine reasons, channels, terms, statuses, ...) are vars
  in `dbt_project.yml`: dbt reads them with `var()` at no build cost, and this module reads the
  same file, so the Python side (landing checks, demo data, benchmark, tests) never restates them.
- The landing contract (which columns each landed dataset must hold, and their types) is the
  sources' YAML under `models/staging/`; the loader and the landing checks read it from here.
- Reference data (rate cards, list prices, Marketplace dimensions) are the seeds; `read_seed`
  returns their rows with exact decimals, typed as `dbt_project.yml` declares them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from automq_billing.errors import BillingError

SYSTEM_COLUMNS = ("source_file", "file_row_number", "load_id")
# the amounts of marketplace_reconciliation (SPEC 9.4), in the order the SPEC lists them
RECONCILIATION_AMOUNTS = (
    "statement_usage_amount",
    "issued_usage_amount",
    "expected_metered_amount",
    "accepted_metered_amount",
    "invoiced_amount",
    "refunded_amount",
    "listing_fee_amount",
    "seller_net_amount",
    "disbursed_amount",
    "rating_variance",
    "metering_variance",
    "invoicing_variance",
)


@dataclass(frozen=True)
class Column:
    """A column of a loaded table: its name and SQL type, and where it comes from."""

    name: str
    data_type: str
    loaded: bool = True  # False: added by the load (source_file, file_row_number, load_id)
    landed_column: str | None = None  # the landed column it is computed from, when renamed
    transform: str | None = None  # how: `sha256`
    month_of: str | None = None  # computed by the load: the month of this (loaded) column

    @property
    def landed_name(self) -> str:
        return self.landed_column or self.name


@dataclass(frozen=True)
class LandedDataset:
    """A landing dataset (SPEC 1, 9.1): a folder of the landing zone and the table it loads."""

    name: str
    source: str
    schema: str
    format: str  # parquet | csv
    required: bool
    columns: tuple[Column, ...]

    @property
    def landed_columns(self) -> tuple[Column, ...]:
        """The columns every landed file of the dataset must hold."""
        return tuple(c for c in self.columns if c.loaded)

    @property
    def suffix(self) -> str:
        return f".{self.format}"


@dataclass(frozen=True)
class Vocabulary:
    vars: dict[str, Any]
    tables: tuple[LandedDataset, ...]  # every source table loaded before dbt runs

    @property
    def datasets(self) -> tuple[LandedDataset, ...]:
        """The landing datasets (schema `landing`)."""
        return tuple(t for t in self.tables if t.schema == "landing")

    def __getattr__(self, name: str) -> Any:
        try:
            return self.vars[name]
        except KeyError:
            raise AttributeError(name) from None

    def dataset(self, name: str) -> LandedDataset:
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        raise KeyError(name)


def load_vocabulary(project_dir: Path) -> Vocabulary:
    return _load(Path(project_dir).resolve())


@functools.cache
def _load(project_dir: Path) -> Vocabulary:
    project = _read_yaml(project_dir / "dbt_project.yml")
    tables = tuple(_source_tables(project_dir))
    return Vocabulary(vars=dict(project.get("vars") or {}), tables=tables)


def _read_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise BillingError(
            f"Cannot read {path}: {error}.",
            hint="pass --project-dir pointing at a copy of the automq-billing repository",
        ) from error


def _source_tables(project_dir: Path) -> Iterator[LandedDataset]:
    """Every source table (all are loaded by automq-billing), in the order the YAML files
    declare them."""
    for path in sorted((project_dir / "models" / "staging").glob("*/_*__sources.yml")):
        for source in _read_yaml(path).get("sources") or []:
            source_meta = (source.get("config") or {}).get("meta") or {}
            for table in source.get("tables") or []:
                meta = {**source_meta, **((table.get("config") or {}).get("meta") or {})}
                yield LandedDataset(
                    name=table["name"],
                    source=source["name"],
                    schema=source["schema"],
                    format=meta.get("landing_format", "parquet"),
                    required=bool(meta.get("landing_required", False)),
                    columns=tuple(_column(column) for column in table.get("columns") or []),
                )


def _column(spec: dict) -> Column:
    meta = (spec.get("config") or {}).get("meta") or {}
    return Column(
        name=spec["name"],
        data_type=str(spec["data_type"]).lower(),
        loaded=bool(meta.get("loaded", True)),
        landed_column=meta.get("landed_column"),
        transform=meta.get("transform"),
        month_of=meta.get("month_of"),
    )


# ---------------------------------------------------------------------------------------------
# Reference data (seeds), typed as dbt_project.yml declares them


def seed_column_types(project_dir: Path, seed: str) -> dict[str, str]:
    project = _read_yaml(Path(project_dir) / "dbt_project.yml")
    config = ((project.get("seeds") or {}).get("automq_billing") or {}).get(seed) or {}
    return {k: str(v).lower() for k, v in (config.get("+column_types") or {}).items()}


def read_seed(project_dir: Path, seed: str) -> list[dict[str, Any]]:
    """The seed's rows, with DATE columns as `datetime.date`, DECIMAL as `Decimal`, INTEGER as
    `int` and empty cells as None."""
    types = seed_column_types(project_dir, seed)
    path = Path(project_dir) / "seeds" / f"{seed}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {name: _typed(value, types.get(name, "varchar")) for name, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _typed(value: str | None, data_type: str) -> Any:
    if value is None or value == "":
        return None
    if data_type.startswith("decimal"):
        return Decimal(value)
    if data_type in ("integer", "bigint"):
        return int(value)
    if data_type == "date":
        return dt.date.fromisoformat(value)
    return value


def check_seed_files(project_dir: Path) -> None:
    """Refuses, naming the file and the line, a seed dbt could not load or would load wrongly:
    not UTF-8, mixed line endings (e.g. a row added by another editor to a file saved with
    Windows line endings; one kind throughout, LF or CRLF, loads fine), or a row whose number of
    fields differs from the header's."""
    for path in sorted((Path(project_dir) / "seeds").glob("*.csv")):
        name = path.relative_to(project_dir)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise BillingError(
                f"{name} line {line} is not UTF-8 text.",
                hint=f"save {name} as UTF-8 and run again",
            ) from None
        lines = text.split("\n")
        endings = ["crlf" if line.endswith("\r") else "lf" for line in lines[:-1]]
        if len(set(endings)) > 1:
            first = endings[0]
            other = next(i for i, ending in enumerate(endings) if ending != first) + 1
            raise BillingError(
                f"{name} mixes line endings: line {other} ends with "
                f"{'CRLF' if endings[other - 1] == 'crlf' else 'LF'} where line 1 ends with "
                f"{'CRLF' if first == 'crlf' else 'LF'} (a row added by another editor?).",
                hint=f"save {name} with one kind of line ending (LF or CRLF) and run again",
            )
        rows = list(csv.reader(line.rstrip("\r") for line in lines if line.rstrip("\r")))
        for number, row in enumerate(rows[1:], start=2):
            if len(row) != len(rows[0]):
                raise BillingError(
                    f"{name} line {number} has {len(row)} field(s) where the header has "
                    f"{len(rows[0])}.",
                    hint=f"fix line {number} of {name} (a missing or extra comma?) and run again",
                )
