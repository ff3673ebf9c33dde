"""What the demo generator reads from the dbt project: the vocabulary (`dbt_project.yml` vars),
the landing contract (the sources' YAML) and the reference data (the seeds), all through
`automq_billing.vocabulary`, their one home. Nothing here restates a list or a price."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from automq_billing.vocabulary import Vocabulary, load_vocabulary, read_seed


@dataclass(frozen=True)
class Tier:
    number: int
    lower: Decimal
    upper: Decimal | None
    unit_price: Decimal


@dataclass(frozen=True)
class Dimension:
    """One dimension of the Marketplace listing (SPEC 9.1)."""

    name: str
    billing_item: str
    tier: int | None
    cluster_tier: str | None
    unit: str
    price: Decimal


@dataclass(frozen=True)
class Listing:
    product_code: str
    product_id: str
    dimensions: tuple[Dimension, ...]


@dataclass(frozen=True)
class CapacitySpec:
    write_mib_per_s: Decimal
    read_mib_per_s: Decimal
    combine: str
    min_aku: int


def repository_root() -> Path:
    """The checkout this package runs from (the default project_dir)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "dbt_project.yml").is_file():
        raise ValueError(
            f"{root} is not the billing project (no dbt_project.yml there): pass project_dir"
        )
    return root


def _arrow_type(sql_type: str) -> pa.DataType:
    if sql_type.startswith("decimal("):
        precision, scale = sql_type[len("decimal(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "date": pa.date32(),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    }[sql_type]


def _in_force(rows: Iterable[dict[str, Any]], month: dt.date) -> list[dict[str, Any]]:
    """The rows of the version in force for the month: greatest effective_from <= its first day."""
    rows = list(rows)
    dates = [r["effective_from"] for r in rows if r["effective_from"] <= month]
    if not dates:
        raise ValueError(f"no reference version is in force for {month:%Y-%m}")
    return [r for r in rows if r["effective_from"] == max(dates)]


class Reference:
    """The project's vocabulary, landing contract and seeds, as the generator needs them."""

    def __init__(self, project_dir: Path | None = None) -> None:
        self.project_dir = Path(project_dir) if project_dir else repository_root()
        self.vocabulary: Vocabulary = load_vocabulary(self.project_dir)
        self._seeds: dict[str, tuple[dict[str, Any], ...]] = {}

    def names(self, var: str) -> tuple[str, ...]:
        """A vocabulary list (`dbt_project.yml` var), e.g. `usage_meters`."""
        return tuple(getattr(self.vocabulary, var))

    def name(self, var: str, value: str) -> str:
        """`value`, checked to be in the vocabulary list `var` (a scenario that names a meter,
        channel or status fails loudly when the vocabulary no longer has it)."""
        if value not in self.names(var):
            raise ValueError(
                f"{value!r} is not in the vocabulary list {var} of "
                f"{self.project_dir / 'dbt_project.yml'}"
            )
        return value

    def columns(self, dataset: str) -> tuple[str, ...]:
        """The columns every landed file of the dataset holds, in the contract's order."""
        return tuple(c.landed_name for c in self.vocabulary.dataset(dataset).landed_columns)

    def schema(self, dataset: str) -> pa.Schema:
        """The dataset's landed columns as an Arrow schema (types from the sources' YAML)."""
        return pa.schema(
            [
                (c.landed_name, _arrow_type(c.data_type))
                for c in self.vocabulary.dataset(dataset).landed_columns
            ]
        )

    def seed(self, name: str) -> tuple[dict[str, Any], ...]:
        """A seed's rows, typed (exact Decimals), read once."""
        if name not in self._seeds:
            self._seeds[name] = tuple(read_seed(self.project_dir, name))
        return self._seeds[name]

    def rate_tiers(self, month: dt.date) -> dict[str, tuple[Tier, ...]]:
        """The data items' tiers of the rate card in force for the month."""
        tiers: dict[str, list[Tier]] = {}
        for row in sorted(_in_force(self.seed("rate_card_tiers"), month), key=lambda r: r["tier"]):
            tiers.setdefault(row["billing_item"], []).append(
                Tier(row["tier"], row["lower_bound"], row["upper_bound"], row["unit_price"])
            )
        return {item: tuple(rows) for item, rows in tiers.items()}

    def listing(self, month: dt.date) -> Listing:
        """The Marketplace listing in force for the month (seed `marketplace_dimensions`)."""
        rows = _in_force(self.seed("marketplace_dimensions"), month)
        return Listing(
            product_code=rows[0]["product_code"],
            product_id=rows[0]["product_id"],
            dimensions=tuple(
                Dimension(
                    r["dimension"],
                    r["billing_item"],
                    r["tier"],
                    r["cluster_tier"],
                    r["unit"],
                    r["price_per_unit"],
                )
                for r in rows
            ),
        )

    def capacity(self, month: dt.date) -> CapacitySpec:
        """The AKU capacity spec in force for the month (seed `aku_capacity_specs`)."""
        (row,) = _in_force(self.seed("aku_capacity_specs"), month)
        return CapacitySpec(
            row["write_mib_per_s_per_aku"],
            row["read_mib_per_s_per_aku"],
            row["combine"],
            row["min_aku"],
        )
