"""The close's manifest (SPEC 6): what was read, what was written, and the counts that prove it.

A typed record: the close fills it, `summary` prints it by attribute, `to_json` writes it. Money
is written as decimal strings ("4927.60"), never as floats; quantities of the conservation counts
as integers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa

MANIFEST_VERSION = 2
OUTCOMES = ("rated", "duplicate", "superseded")


def money(value: Decimal | int | None) -> str:
    return f"{Decimal(value or 0):.2f}"


@dataclass
class Counts:
    """SPEC 6's shape: landed = rated + duplicate + superseded + quarantined (by reason)."""

    landed: int = 0
    rated: int = 0
    duplicate: int = 0
    superseded: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str, reason: str | None, amount: int) -> None:
        self.landed += amount
        if outcome == "quarantined":
            self.quarantined[reason or "unknown"] = (
                self.quarantined.get(reason or "unknown", 0) + amount
            )
        else:
            setattr(self, outcome, getattr(self, outcome) + amount)

    @property
    def accounted(self) -> int:
        return self.rated + self.duplicate + self.superseded + sum(self.quarantined.values())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quarantined"] = dict(sorted(self.quarantined.items()))
        return data


@dataclass
class Conservation:
    rows: Counts = field(default_factory=Counts)
    quantity: dict[str, Counts] = field(default_factory=dict)
    month_rows: int = 0
    rows_without_month: int = 0

    @classmethod
    def from_outcomes(cls, outcomes: list[tuple]) -> Conservation:
        """From int_usage_outcomes_counted rows (month, meter, outcome, reason, rows, quantity)
        of the month and of the rows without a month."""
        result = cls()
        for usage_month, meter, outcome, reason, row_count, meter_quantity in outcomes:
            key = meter if meter is not None else "(null)"
            result.rows.add(outcome, reason, int(row_count))
            result.quantity.setdefault(key, Counts()).add(outcome, reason, int(meter_quantity))
            if usage_month is None:
                result.rows_without_month += int(row_count)
            else:
                result.month_rows += int(row_count)
        return result

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows.as_dict(),
            "quantity": {k: v.as_dict() for k, v in sorted(self.quantity.items())},
        }


@dataclass
class Totals:
    organizations: int = 0
    statement_lines: int = 0
    usage_amount: Decimal = Decimal("0")
    subscription_amount: Decimal = Decimal("0")
    adjustment_amount: Decimal = Decimal("0")
    total_amount: Decimal = Decimal("0")
    line_amount: Decimal = Decimal("0")
    currency: str = "USD"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = money(value)
        return data


@dataclass
class Corrections:
    window: list[str] = field(default_factory=list)
    issued_basis: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, dict[str, Any]] = field(default_factory=dict)
    outside_window: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Manifest:
    month: str
    version: int
    closed_at: str
    project: dict[str, str]
    tools: dict[str, str]
    paths: dict[str, str]
    inputs: list[dict[str, Any]]
    reference_data: list[dict[str, str]]
    usage_events: Conservation
    outputs: dict[str, dict[str, Any]]
    totals: Totals
    licenses: dict[str, Any]
    license_compliance: dict[str, int]
    prepaid: dict[str, Any]
    quarantine: dict[str, Any]
    corrections: Corrections
    marketplace: dict[str, Any] | None
    validation: dict[str, Any]
    dbt: dict[str, Any]
    load: dict[str, Any]
    warnings: list[str]
    timings: dict[str, float]
    documents: dict[str, Any] = field(default_factory=dict)
    landed_months: dict[str, dict[str, int]] = field(default_factory=dict)  # SPEC 8, finalize
    focus: dict[str, Any] | None = None  # SPEC 10.3: version, rows, billed and effective cost
    journal: dict[str, Any] | None = None  # SPEC 12.3

    def as_dict(self) -> dict[str, Any]:
        data = {
            "manifest_version": MANIFEST_VERSION,
            "month": self.month,
            "version": self.version,
            "closed_at": self.closed_at,
            "project": self.project,
            "tools": self.tools,
            "paths": self.paths,
            "inputs": self.inputs,
            "reference_data": self.reference_data,
            "usage_events": self.usage_events.as_dict(),
            "usage_events_scope": {
                "month_rows": self.usage_events.month_rows,
                "rows_without_month": self.usage_events.rows_without_month,
            },
            "outputs": dict(sorted(self.outputs.items())),
            "totals": self.totals.as_dict(),
            "licenses": self.licenses,
            "license_compliance": self.license_compliance,
            "prepaid": self.prepaid,
            "quarantine": self.quarantine,
            "corrections": self.corrections.as_dict(),
            "validation": self.validation,
            "documents": self.documents,
            "dbt": self.dbt,
            "load": self.load,
            "warnings": self.warnings,
            "timings": self.timings,
            "landed_months": self.landed_months,
        }
        if self.marketplace is not None:
            data["marketplace"] = self.marketplace
        if self.focus is not None:
            data["focus"] = self.focus
        if self.journal is not None:
            data["journal"] = self.journal
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, default=str) + "\n"


def prepaid_summary(lines: pa.Table, revenue: pa.Table, utilization: pa.Table) -> dict:
    """The manifest's `prepaid` block: subscription lines, revenue, capacity."""
    recognized = [r["recognized_amount"] for r in revenue.to_pylist()]
    subscription = [row for row in lines.to_pylist() if row["line_type"] == "subscription"]
    over = [
        {
            "organization_id": row["organization_id"],
            "environment_id": row["environment_id"],
            "hours_over_capacity": row["hours_over_capacity"],
            "peak_required_aku": row["peak_required_aku"],
            "peak_allocated_aku": row["peak_allocated_aku"],
        }
        for row in utilization.to_pylist()
        if row["hours_over_capacity"]
    ]
    return {
        "subscription_lines": len(subscription),
        "subscription_amount": money(sum((r["amount"] for r in subscription), Decimal(0))),
        "recognized_revenue": money(sum((r for r in recognized if r is not None), Decimal(0))),
        "environments_with_capacity": utilization.num_rows,
        "environments_over_capacity": over,
    }
