"""What exporters do to the measured rows (SPEC 1.1), one named step per imperfection:

- exact duplicates, half in the same file and half redelivered in the month's late file;
- restatements (a new event id, a later emitted_at, another quantity), a fifth restated twice;
- a restatement whose newer row is invalid (the older row must stay rated);
- one scenario per quarantine reason of the vocabulary, including both conflicts: an event id
  re-sent with other content, and measurements whose latest rows tie on emitted_at but differ
  in the quantity, in the organization only, or in the cluster tier only.

Rows whose rated value changes (restatements, conflicts) are drawn from the noisy
organizations only (`world.Roles.noisy`); the others' usage is rated as measured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from automq_billing.demo.clock import US_PER_H, US_PER_S, from_us, iso
from automq_billing.demo.rows import (
    Rows,
    UsageCodes,
    concat,
    new_event_ids,
    other_quantity,
    row_count,
    take,
)
from automq_billing.demo.usage import LATE_SLOT, month_index, slot
from automq_billing.demo.world import World


class Imperfections:
    """Draws disjoint groups of the measured rows and builds the rows each scenario adds."""

    def __init__(
        self, rng: np.random.Generator, base: Rows, world: World, codes: UsageCodes
    ) -> None:
        self.rng, self.base, self.world, self.codes = rng, base, world, codes
        n = row_count(base)
        self.each = max(4, n // 8000)  # rows per quarantine scenario
        self._order = rng.permutation(n)
        self._taken = np.zeros(n, dtype=bool)
        self._altered = np.zeros(n, dtype=bool)  # rows whose rated value a scenario changes
        self.late = slot(month_index(base, world.span), LATE_SLOT)
        self.noisy = np.isin(base["org"], world.roles.noisy)
        self.usage_uptime = (base["mode"] == codes.mode("usage_based")) & (
            base["meter"] == codes.meter("uptime_seconds")
        )
        self.notes: dict[str, Any] = {}

    # -- drawing rows

    def grab(
        self, count: int, where: np.ndarray | None = None, *, alters: bool = False
    ) -> np.ndarray:
        """`count` random rows not drawn before (among `where`), now drawn; `alters`: the
        scenario changes the value the warehouse rates for them."""
        free = ~self._taken[self._order]
        if where is not None:
            free &= where[self._order]
        picked = self._order[np.flatnonzero(free)[:count]]
        self._taken[picked] = True
        self._altered[picked] |= alters
        return picked

    def grab_unaltered(self, where: np.ndarray) -> np.ndarray:
        """Every row of `where` whose rated value no scenario changed (duplicated or invalid
        copies are fine), in row order; from now on altered."""
        picked = np.flatnonzero(where & ~self._altered)
        self._taken[picked] = self._altered[picked] = True
        return picked

    def copies(self, picked: np.ndarray, *, new_ids: bool = True) -> Rows:
        """Copies of rows, bound for their month's late file, with new event ids."""
        rows = take(self.base, picked)
        rows["file"] = self.late[picked]
        if new_ids:
            rows["eid"] = new_event_ids(self.rng, len(picked))
        return rows

    def key(self, rows: Rows, i: int = 0) -> dict[str, str]:
        """A measurement's identity (instance, hour, meter), for the notes."""
        return {
            "instance_id": self.world.names.insts[rows["inst"][i]],
            "hour_start": iso(from_us(rows["hour"][i])),
            "meter": self.codes.meters[rows["meter"][i]],
        }

    # -- scenarios that are not quarantined

    def exact_duplicates(self) -> Rows:
        """Copies equal in every column: half in the same file, half in the late file."""
        n = row_count(self.base)
        picked = self.grab(max(4, n * 25 // 1000))
        rows = self.copies(picked, new_ids=False)
        same_file = np.arange(len(picked)) % 2 == 0
        rows["file"] = np.where(same_file, self.base["file"][picked], rows["file"])
        self.notes["exact_duplicates"] = {
            "same_file": int(same_file.sum()),
            "late_file": int((~same_file).sum()),
        }
        return rows

    def restatements(self) -> Rows:
        """A later emitted_at and another quantity under a new event id, within two days; every
        fifth restated again within a day and a half."""
        picked = self.grab(max(4, row_count(self.base) * 2 // 100), self.noisy, alters=True)
        first = self.copies(picked)
        first["emitted"] = first["emitted"] + self._delay(len(picked), 48)
        first["qty"] = other_quantity(first, self.codes, 1)
        again = take(first, np.flatnonzero(np.arange(len(picked)) % 5 == 0))
        again["eid"] = new_event_ids(self.rng, row_count(again))
        again["emitted"] = again["emitted"] + self._delay(row_count(again), 36)
        again["qty"] = other_quantity(again, self.codes, 2)
        self.notes["restatements"] = {"rows": len(picked), "restated_twice": row_count(again)}
        return concat([first, again])

    def invalid_restatements(self) -> Rows:
        """A restatement whose newer row is invalid (negative): the older row stays rated."""
        picked = self.grab(self.each)
        rows = self.copies(picked)
        rows["emitted"] = rows["emitted"] + 26 * US_PER_H
        rows["qty"] = -np.maximum(rows["qty"], 1)
        self.notes["invalid_restatements"] = {"rows": len(picked), **self.key(rows)}
        return rows

    def _delay(self, n: int, max_hours: int) -> np.ndarray:
        hours = self.rng.integers(1, max_hours, n) * US_PER_H
        return hours + self.rng.integers(0, 3600, n) * US_PER_S

    # -- one scenario per quarantine reason (SPEC 1.1, in the vocabulary's order)

    def missing_field(self) -> Rows:
        """Each always-required column null in turn (three rows have no hour_start, so belong
        to no month: they land in the first month's late file), and usage-based uptime rows
        without a cluster tier."""
        picked = self.grab(self.each)
        rows = self.copies(picked)
        required = self.codes.always_required
        rows["nulls"] = np.array(
            [self.codes.bit(required[i % len(required)]) for i in range(len(picked))],
            dtype=np.int16,
        )
        first_month = month_index(self.base, self.world.span) == 0
        no_hour = self.copies(self.grab(3, first_month))
        no_hour["nulls"] |= self.codes.bit("hour_start")
        no_tier = self.copies(self.grab(2, self.usage_uptime))
        no_tier["tier"][:] = -1
        self.notes["rows_without_hour_start"] = row_count(no_hour)
        return concat([rows, no_hour, no_tier])

    def invalid_id(self) -> Rows:
        """An empty event id, an organization id with a leading space, an instance id with a
        trailing space, an environment id holding a control character."""
        picked = self.grab(self.each)
        rows = self.copies(picked)
        names = self.world.names
        examples = []
        for i in range(len(picked)):
            kind = i % 4
            if kind == 0:
                rows["blanks"][i] |= self.codes.bit("event_id")
                example = ("event_id", "")
            elif kind == 1:
                value = " " + names.orgs[rows["org"][i]]
                rows["org"][i] = names.variant("orgs", value)
                example = ("organization_id", value)
            elif kind == 2:
                value = names.insts[rows["inst"][i]] + " "
                rows["inst"][i] = names.variant("insts", value)
                example = ("instance_id", value)
            else:
                env = names.envs[rows["env"][i]]
                value = env[:4] + "\x07" + env[4:]
                rows["env"][i] = names.variant("envs", value)
                example = ("environment_id", value)
            if i < 4:
                examples.append({"column": example[0], "value": example[1]})
        self.notes["invalid_ids"] = examples
        return rows

    def unknown_meter(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["meter"][:] = len(self.codes.meters) - 1
        return rows

    def unknown_pricing_mode(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["mode"][:] = len(self.codes.modes) - 1
        return rows

    def unknown_cluster_tier(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["tier"][:] = len(self.codes.tiers) - 1
        return rows

    def negative_quantity(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["qty"] = -(rows["qty"] + 1)
        return rows

    def misaligned_hour(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["hour"] = rows["hour"] + 30 * 60 * US_PER_S
        return rows

    def uptime_out_of_range(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["meter"][:] = self.codes.meter("uptime_seconds")
        rows["qty"] = 3600 + self.rng.integers(1, 3600, row_count(rows))
        return rows

    def future_hour(self) -> Rows:
        rows = self.copies(self.grab(self.each))
        rows["emitted"] = rows["hour"] - self.rng.integers(1, 600, row_count(rows)) * US_PER_S
        return rows

    def event_id_conflict(self) -> Rows:
        """The same event id sent again 17 seconds later with another quantity."""
        picked = self.grab(self.each, self.noisy, alters=True)
        rows = self.copies(picked, new_ids=False)
        rows["qty"] = other_quantity(rows, self.codes, 3)
        rows["emitted"] = rows["emitted"] + 17 * US_PER_S
        return rows

    def measurement_conflict(self) -> Rows:
        """Rows under a new event id with the same emitted_at as the measured row: with another
        quantity; with only another organization; with only another cluster tier (SPEC 1.1
        rule 3: a tie differing in any column but event_id is a conflict)."""
        rows = self.copies(self.grab(self.each, self.noisy, alters=True))
        rows["qty"] = other_quantity(rows, self.codes, 4)
        blocks = [rows]
        ties: dict[str, Any] = {}
        organizations = self.world.organizations
        org_tie = self.copies(self.grab(1 if organizations > 1 else 0, self.noisy, alters=True))
        if row_count(org_tie):  # none left to draw at hundreds of organizations
            org_tie["org"] = (org_tie["org"] + 1) % organizations
            blocks.append(org_tie)
            ties["organization"] = self.key(org_tie)
        tiers = len(self.codes.tiers) - 1
        tier_tie = self.copies(
            self.grab(1, self.noisy & self.usage_uptime & (self.base["tier"] >= 0), alters=True)
        )
        if row_count(tier_tie) and tiers > 1:
            tier_tie["tier"] = ((tier_tie["tier"] + 1) % tiers).astype(np.int8)
            blocks.append(tier_tie)
            ties["cluster_tier"] = self.key(tier_tie)
        self.notes["measurement_conflict_ties"] = ties
        return concat(blocks)


_QUARANTINE_SCENARIOS: dict[str, Callable[[Imperfections], Rows]] = {
    "missing_field": Imperfections.missing_field,
    "invalid_id": Imperfections.invalid_id,
    "unknown_meter": Imperfections.unknown_meter,
    "unknown_pricing_mode": Imperfections.unknown_pricing_mode,
    "unknown_cluster_tier": Imperfections.unknown_cluster_tier,
    "negative_quantity": Imperfections.negative_quantity,
    "misaligned_hour": Imperfections.misaligned_hour,
    "uptime_out_of_range": Imperfections.uptime_out_of_range,
    "future_hour": Imperfections.future_hour,
    "event_id_conflict": Imperfections.event_id_conflict,
    "measurement_conflict": Imperfections.measurement_conflict,
}


def quarantine_scenario(reason: str) -> Callable[[Imperfections], Rows]:
    try:
        return _QUARANTINE_SCENARIOS[reason]
    except KeyError:
        raise ValueError(
            f"the demo generator has no scenario for the quarantine reason {reason!r} of the "
            "vocabulary: add one to automq_billing.demo.imperfections"
        ) from None


def add_imperfections(imperfections: Imperfections, reasons: tuple[str, ...]) -> list[Rows]:
    """The rows every scenario adds, in a fixed order (the output is deterministic)."""
    blocks = [imperfections.exact_duplicates(), imperfections.restatements()]
    quarantined: dict[str, int] = {}
    for reason in reasons:
        rows = quarantine_scenario(reason)(imperfections)
        quarantined[reason] = row_count(rows)
        blocks.append(rows)
    blocks.append(imperfections.invalid_restatements())
    imperfections.notes["rows_added_per_quarantine_scenario"] = quarantined
    return blocks
