"""The late corrections of a month (SPEC 8): restatements that land mid next month, after the
month was closed and issued, so that the next close re-rates it and books adjustment lines.

For every month but the last, one correction file restates (new event ids, emitted on the 12th
to 14th of the next month):
- a week of the tier-3 organization's ingress, up 20% (a tier-3 adjustment line);
- a week of the tier-2 organization's ingress, down 30% (its tier-2 line shrinks);
- every byte the batch-reading organization's consumers read, to 0 (its egress line disappears).
The licence whose export was lost (`licences.late_licences`) lands the same day.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from automq_billing.demo.clock import US_PER_H, US_PER_S, iso, to_us
from automq_billing.demo.imperfections import Imperfections
from automq_billing.demo.rows import Rows
from automq_billing.demo.timeline import correction_landing
from automq_billing.demo.usage import CORRECTION_SLOT, hour_offsets, month_index, slot


def _restated(
    imperfections: Imperfections, month: int, org: int | None, meter: str, days: range | None
) -> np.ndarray:
    """The measured rows of an organization's usage-based meter in the month (on `days`, 1-based
    days of the month, when given) whose value no other scenario changed."""
    base, world, codes = imperfections.base, imperfections.world, imperfections.codes
    if org is None:
        return np.zeros(0, dtype=np.int64)
    where = (
        (month_index(base, world.span) == month)
        & (base["org"] == org)
        & (base["mode"] == codes.mode("usage_based"))
        & (base["meter"] == codes.meter(meter))
        & (base["qty"] > 0)
    )
    if days is not None:
        day = (hour_offsets(base, world.span) - world.span.month_start_hours()[month]) // 24 + 1
        where &= np.isin(day, list(days))
    return imperfections.grab_unaltered(where)


def _restate(
    imperfections: Imperfections, picked: np.ndarray, month: int, factor: tuple[int, int]
) -> Rows:
    rows = imperfections.copies(picked)
    landing = to_us(correction_landing(imperfections.world.span.months[month]))
    n = len(picked)
    rows["emitted"] = (
        landing - 3 * 24 * US_PER_H + imperfections.rng.integers(0, 48 * 3600, n) * US_PER_S
    )
    rows["qty"] = rows["qty"] * factor[0] // factor[1]
    rows["file"] = np.full(n, slot(month, CORRECTION_SLOT), dtype=np.int16)
    return rows


def _note(
    imperfections: Imperfections, org: int, picked: np.ndarray, restated: Rows
) -> dict[str, Any]:
    return {
        "organization_id": imperfections.world.names.orgs[org],
        "rows": len(picked),
        "quantity_before": int(imperfections.base["qty"][picked].sum()),
        "quantity_after": int(restated["qty"].sum()),
    }


def correction_rows(imperfections: Imperfections) -> tuple[list[Rows], dict[str, Any]]:
    """The correction rows of every month but the last, and notes naming them by month."""
    world, roles = imperfections.world, imperfections.world.roles
    cases = (
        ("raised_ingress", roles.tier3, "ingress_bytes", range(10, 17), (6, 5)),
        ("lowered_ingress", roles.tier2, "ingress_bytes", range(3, 10), (7, 10)),
        ("zeroed_egress", roles.batch_reader, "egress_bytes", None, (0, 1)),
    )
    blocks: list[Rows] = []
    notes: dict[str, Any] = {}
    for month in range(len(world.span.months) - 1):
        month_notes: dict[str, Any] = {
            "landed_at": iso(correction_landing(world.span.months[month]))
        }
        for name, org, meter, days, factor in cases:
            picked = _restated(imperfections, month, org, meter, days)
            if org is None or not len(picked):
                continue
            rows = _restate(imperfections, picked, month, factor)
            blocks.append(rows)
            month_notes[name] = _note(imperfections, org, picked, rows)
        notes[f"{world.span.months[month]:%Y-%m}"] = month_notes
    return blocks, notes
