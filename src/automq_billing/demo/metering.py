"""What AutoMQ's control plane meters to AWS Marketplace (SPEC 9.2), computed from the demo's
measured usage (before duplicates and restatements: that the warehouse later finds small
differences for the noisy organizations is realistic).

Per organization, month, listing dimension and hour: q(h) = floor(C(h)) - floor(C(h - 1)), C
the quantity accumulated since the month began, cut into the graduated slice of the dimension's
tier (bounds of the rate card in force, prices of the listing in force: both read from the
seeds), or the billable hours of the dimension's cluster tier. Exact: integers throughout.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from automq_billing.demo.reference import Dimension, Reference, Tier
from automq_billing.demo.rows import Rows, UsageCodes
from automq_billing.demo.usage import hour_offsets
from automq_billing.demo.world import World

GIB = 2**30

MeteredUnits = dict[tuple[int, int], dict[str, np.ndarray]]
"""(organization, month index) -> dimension -> whole units to meter in each hour of the month."""


def whole_units(
    cumulative: list[int], scale: int, lower: Decimal, upper: Decimal | None
) -> np.ndarray:
    """floor(max(0, min(S / scale, upper) - lower)) for each cumulative quantity S."""
    low, high = Fraction(lower), None if upper is None else Fraction(upper)
    if not cumulative or Fraction(cumulative[-1], scale) <= low:
        return np.zeros(len(cumulative), dtype=np.int64)
    denominator = low.denominator * (1 if high is None else high.denominator)
    low_scaled = low.numerator * (denominator // low.denominator) * scale
    capped = None if high is None else int((high - low) // 1)
    high_scaled = None if high is None else high.numerator * (denominator // high.denominator)
    out = []
    for total in cumulative:
        if high_scaled is not None and total * denominator >= high_scaled * scale:
            out.append(capped)
            continue
        excess = total * denominator - low_scaled
        out.append(excess // (denominator * scale) if excess > 0 else 0)
    return np.array(out, dtype=np.int64)


def _tier_of(tiers: tuple[Tier, ...], dimension: Dimension) -> Tier:
    return next(t for t in tiers if t.number == dimension.tier)


@dataclass(frozen=True)
class _MonthUsage:
    """The usage-based measured rows of one month: per organization and hour of the month."""

    base: Rows
    rows: np.ndarray  # indices into base
    hour: np.ndarray  # hour of the month of each row
    organizations: int
    hours: int

    def per_hour(self, where: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Sum of `values` over the rows `where`, as an (organization, hour) grid."""
        grid = np.zeros((self.organizations, self.hours), dtype=np.int64)
        org = self.base["org"][self.rows]
        np.add.at(grid, (org[where], self.hour[where]), values[where])
        return grid

    def meter(self, code: int) -> np.ndarray:
        where = self.base["meter"][self.rows] == code
        return self.per_hour(where, self.base["qty"][self.rows])

    def running_hours(self, uptime: int, tier: int) -> np.ndarray:
        """Billable hours (uptime > 0) at a cluster tier."""
        rows = self.rows
        where = (
            (self.base["meter"][rows] == uptime)
            & (self.base["qty"][rows] > 0)
            & (self.base["tier"][rows] == tier)
        )
        return self.per_hour(where, np.ones(len(rows), dtype=np.int64))


def _month_usage(base: Rows, world: World, codes: UsageCodes, index: int) -> _MonthUsage:
    span = world.span
    hours = hour_offsets(base, span)
    starts = span.month_start_hours()
    in_month = (base["mode"] == codes.mode("usage_based")) & (span.month_of_hours(hours) == index)
    rows = np.flatnonzero(in_month)
    length = int(starts[index + 1] - starts[index])
    return _MonthUsage(base, rows, hours[rows] - starts[index], world.organizations, length)


def metered_units(
    base: Rows, world: World, codes: UsageCodes, reference: Reference
) -> MeteredUnits:
    item_meter = {item: meter for meter, item in reference.vocabulary.meter_billing_items.items()}
    uptime = codes.meter(item_meter["cluster_uptime"])
    per_month = reference.name("billing_units", "GiB-month")  # retention: averaged over H(M)
    out: MeteredUnits = {}
    for index, month in enumerate(world.span.months):
        usage = _month_usage(base, world, codes, index)
        listing, card = reference.listing(month), reference.rate_tiers(month)
        grids: dict[str, np.ndarray] = {}
        for dimension in listing.dimensions:
            if dimension.cluster_tier is not None:
                grids[dimension.name] = usage.running_hours(
                    uptime, codes.tier(dimension.cluster_tier)
                )
            elif dimension.billing_item not in grids:
                meter = codes.meter(item_meter[dimension.billing_item])
                grids[dimension.billing_item] = usage.meter(meter)
        for org in np.unique(base["org"][usage.rows]).tolist():
            units = {}
            for dimension in listing.dimensions:
                if dimension.cluster_tier is not None:
                    units[dimension.name] = grids[dimension.name][org]
                    continue
                scale = GIB * (usage.hours if dimension.unit == per_month else 1)
                tier = _tier_of(card[dimension.billing_item], dimension)
                cumulative = list(itertools.accumulate(grids[dimension.billing_item][org].tolist()))
                whole = whole_units(cumulative, scale, tier.lower, tier.upper)
                units[dimension.name] = np.diff(whole, prepend=0)
            out[(org, index)] = units
    return out
