"""Hourly usage rows (SPEC 1.1) of the demo's instances, and the files they land in.

`base_rows` is what the control plane measured: six meters per running instance-hour, with
daily and weekly traffic shapes, partial first and last hours, retention that ramps up, peaks
for AKU sizing. `imperfections` and `corrections` add what exporters do to it; `usage_files`
lays every row out in its month's files (regular exports in four layouts, the late file, the
correction file), each with the moment it lands (`timeline`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from automq_billing.demo.clock import US_PER_H, US_PER_S, Span, to_us
from automq_billing.demo.files import PlannedFile, parquet_bytes
from automq_billing.demo.rows import (
    PROVIDERS,
    Rows,
    UsageCodes,
    concat,
    new_event_ids,
    row_count,
    take,
    usage_table,
)
from automq_billing.demo.timeline import (
    CHUNKS_PER_MONTH,
    chunk_days,
    chunk_of_day,
    correction_landing,
    late_landing,
    regular_landing,
)
from automq_billing.demo.world import Instance, World
from automq_billing.months import days_in_month as month_days

SLOTS_PER_MONTH = CHUNKS_PER_MONTH + 2
LATE_SLOT = CHUNKS_PER_MONTH  # restatements, redelivered duplicates, invalid rows
CORRECTION_SLOT = CHUNKS_PER_MONTH + 1  # restatements landing after the month was issued
DATASET = "usage_events"


def hour_offsets(rows: Rows, span: Span) -> np.ndarray:
    return (rows["hour"] - span.start_us) // US_PER_H


def month_index(rows: Rows, span: Span) -> np.ndarray:
    return span.month_of_hours(hour_offsets(rows, span))


def slot(span_month: int | np.ndarray, file_slot: int | np.ndarray) -> Any:
    """The file of a month: its index * SLOTS_PER_MONTH + the slot."""
    return (np.asarray(span_month) * SLOTS_PER_MONTH + file_slot).astype(np.int16)


# ---------------------------------------------------------------------------------------------
# what the control plane measured


def _meter_quantities(
    rng: np.random.Generator, instance: Instance, hours: np.ndarray, uptime: np.ndarray, span: Span
) -> dict[str, np.ndarray]:
    """The six meters of one instance for its running hours (floats, bytes or seconds)."""
    n = len(hours)
    hour_of_day = hours % 24
    weekday = (span.start.weekday() + hours // 24) % 7
    diurnal = 1.0 + 0.45 * np.sin(2 * np.pi * (hour_of_day - 9) / 24)
    shape = diurnal * np.where(weekday >= 5, 0.65, 1.0) * rng.lognormal(0.0, 0.08, n)
    if instance.heavy_w:
        write_peak = instance.heavy_w * (0.75 + 0.25 * shape)
        read_peak = instance.heavy_r * (0.75 + 0.25 * shape * rng.lognormal(0.0, 0.05, n))
        ingress = write_peak / 1.6 * uptime
        egress = read_peak / 1.8 * uptime
        retained_base = instance.heavy_w / 1.6 * 3600 * instance.retention_h
    else:
        ingress = instance.rate * shape * uptime / 3600.0
        egress = ingress * instance.fanout * rng.lognormal(0.0, 0.1, n)
        if instance.batch_reads:  # a week read in the three Sunday hours 02:00-05:00
            batch = (weekday == 6) & (hour_of_day >= 2) & (hour_of_day < 5)
            egress = np.where(batch, instance.rate * instance.fanout * 56 * uptime / 3600, 0.0)
        write_peak = ingress / np.maximum(uptime, 1.0) * instance.peak_w
        read_peak = egress / np.maximum(uptime, 1.0) * instance.peak_r
        retained_base = instance.rate * instance.retention_h
    age_h = (hours * 3600 - instance.created_s) / 3600.0
    ramp = np.clip((age_h + 1.0) / instance.retention_h, 0.02, 1.0)
    slow = (
        1.0
        + instance.ret_amp * np.sin(2 * np.pi * hours / (24 * 9.0) + instance.ret_phase)
        + instance.ret_growth * hours / span.hours
    )
    return {
        "ingress_bytes": ingress,
        "egress_bytes": egress,
        "retained_bytes": retained_base * ramp * slow * rng.lognormal(0.0, 0.005, n),
        "uptime_seconds": uptime,
        "write_peak_bytes_per_s": write_peak,
        "read_peak_bytes_per_s": read_peak,
    }


def _instance_rows(
    rng: np.random.Generator, index: int, instance: Instance, world: World, codes: UsageCodes
) -> Rows | None:
    span = world.span
    starts = np.arange(span.hours, dtype=np.int64) * 3600
    running = np.clip(
        np.minimum(instance.deleted_s, starts + 3600) - np.maximum(instance.created_s, starts),
        0,
        3600,
    )
    hours = np.flatnonzero(running > 0)
    if not len(hours):
        return None
    n = len(hours)
    by_meter = _meter_quantities(rng, instance, hours, running[hours].astype(np.float64), span)
    quantity = codes.stack(by_meter)
    tier = np.full(n, codes.tier(instance.cluster_tier), dtype=np.int8)
    if instance.upgrade is not None:
        tier[hours >= instance.upgrade[0]] = codes.tier(instance.upgrade[1])
    emitted = (
        span.start_us
        + (hours + 1) * US_PER_H
        + rng.integers(60, 900, n) * US_PER_S
        + rng.integers(0, US_PER_S, n)
    )
    env = world.environments[instance.env]
    width = quantity.shape[1]
    rows: Rows = {
        "org": np.full(width * n, instance.org, dtype=np.int32),
        "env": np.full(width * n, instance.env, dtype=np.int32),
        "inst": np.full(width * n, index, dtype=np.int32),
        "prov": np.full(width * n, PROVIDERS.index(env.provider), dtype=np.int8),
        "region": np.full(width * n, env.region, dtype=np.int8),
        "mode": np.full(width * n, codes.mode(instance.pricing_mode), dtype=np.int8),
        "tier": np.repeat(tier, width),
        "meter": np.tile(codes.meter_cycle, n),
        "hour": np.repeat(span.start_us + hours * US_PER_H, width),
        "qty": np.floor(np.maximum(quantity, 0.0)).astype(np.int64).ravel(),
        "emitted": np.repeat(emitted, width),
    }
    if instance.drop_read_peak:
        dropped = (rows["meter"] == codes.meter("read_peak_bytes_per_s")) & (
            np.repeat(hours, width) % 97 == 5
        )
        rows = take(rows, np.flatnonzero(~dropped))
    return rows


def base_rows(rng: np.random.Generator, world: World, codes: UsageCodes) -> Rows:
    """Every measurement of every instance, by hour, instance and meter, each with its event
    id and the regular file it is exported in."""
    blocks = [
        block
        for index, instance in enumerate(world.instances)
        if (block := _instance_rows(rng, index, instance, world, codes)) is not None
    ]
    rows = concat(blocks)
    rows = take(rows, np.lexsort((rows["meter"], rows["inst"], rows["hour"])))
    n = row_count(rows)
    rows["eid"] = new_event_ids(rng, n)
    rows["nulls"] = np.zeros(n, dtype=np.int16)
    rows["blanks"] = np.zeros(n, dtype=np.int16)
    span = world.span
    hours = hour_offsets(rows, span)
    months = span.month_of_hours(hours)
    starts = span.month_start_hours()
    chunk = np.zeros(n, dtype=np.int64)
    for index, month in enumerate(span.months):
        days = month_days(month)
        in_month = months == index
        chunk_of = np.array([chunk_of_day(day, days) for day in range(days)])
        chunk[in_month] = chunk_of[(hours[in_month] - starts[index]) // 24]
    rows["file"] = slot(months, chunk)
    return rows


# ---------------------------------------------------------------------------------------------
# the files


def _exporter_versions(rows: Rows, span: Span) -> pa.Array:
    """Which exporter wrote each row (an extra column, to be ignored)."""
    older = (hour_offsets(rows, span) // 24 + rows["inst"]) % 10 >= 7
    return pa.DictionaryArray.from_arrays(
        pa.array(older.astype(np.int32)), pa.array(["2.4.1", "2.3.0"])
    )


@dataclass(frozen=True)
class _Layout:
    """How one of a month's regular files is written: the variety a reader must accept."""

    description: str
    exporter_version: bool = False  # an extra column
    reordered: bool = False  # the contract's columns in reverse order
    naive: bool = False  # timestamps without a time zone (read as UTC)
    day_folder: bool = False  # one folder deeper: month=YYYY-MM/day=DD/
    options: dict[str, Any] = field(default_factory=dict)  # Parquet writer options

    def relative(self, month: dt.date, chunk: int) -> str:
        folder = f"month={month:%Y-%m}"
        if self.day_folder:
            folder += f"/day={chunk_days(month, chunk)[0].day:02d}"
        return f"{folder}/part-{chunk:04d}.parquet"


_REGULAR_LAYOUTS = (
    _Layout("snappy"),
    _Layout("an extra column exporter_version", exporter_version=True),
    _Layout("columns in another order, zstd", reordered=True, options={"compression": "zstd"}),
    _Layout(
        "nested deeper, naive (UTC) timestamps, uncompressed, small row groups",
        naive=True,
        day_folder=True,
        options={"compression": "none", "row_group_size": 5000},
    ),
)
FILES_LAYOUT = {
    **{
        f"regular export {k + 1} of the month": x.description
        for k, x in enumerate(_REGULAR_LAYOUTS)
    },
    "late/YYYY/MM/redelivery-0000": "the month's late file: restatements, redelivered "
    "duplicates, invalid rows (lands on the 5th of the next month)",
    "late/YYYY/MM/corrections-<landing date>": "restatements landing after the month was "
    "issued (the 15th of the next month)",
}


def _render(block: Rows, world: World, codes: UsageCodes, layout: _Layout) -> bytes:
    table = usage_table(
        block,
        world.names,
        codes,
        naive=layout.naive,
        order=tuple(reversed(codes.columns)) if layout.reordered else None,
        extra={"exporter_version": _exporter_versions(block, world.span)}
        if layout.exporter_version
        else None,
    )
    return parquet_bytes(table, **layout.options)


def _planned(
    block: Rows, month: dt.date, file_slot: int, world: World, codes: UsageCodes
) -> PlannedFile:
    if file_slot < CHUNKS_PER_MONTH:
        layout = _REGULAR_LAYOUTS[file_slot % len(_REGULAR_LAYOUTS)]
        landed_at = regular_landing(month, file_slot)
        relative = layout.relative(month, file_slot)
    else:
        layout = _REGULAR_LAYOUTS[0]
        block = take(block, np.argsort(block["emitted"], kind="stable"))  # in order of emission
        folder = f"late/{month:%Y}/{month:%m}"
        if file_slot == LATE_SLOT:
            landed_at = late_landing(month)
            relative = f"{folder}/redelivery-0000.parquet"
        else:
            landed_at = correction_landing(month)
            relative = f"{folder}/corrections-{landed_at:%Y-%m-%d}.parquet"
    emitted = block["emitted"][(block["nulls"] & codes.bit("emitted_at")) == 0]
    if len(emitted) and emitted.max() >= to_us(landed_at):
        raise AssertionError(f"{relative} holds rows emitted after it lands")
    render = partial(_render, block, world, codes, layout)
    return PlannedFile(DATASET, f"{DATASET}/{relative}", landed_at, row_count(block), render)


def usage_files(
    rows: Rows, world: World, codes: UsageCodes
) -> tuple[list[PlannedFile], dict[str, Any]]:
    """The usage files of every month, and notes naming them by month."""
    planned: list[PlannedFile] = []
    notes: dict[str, dict[str, Any]] = {}
    for index, month in enumerate(world.span.months):
        month_notes: dict[str, Any] = {"regular": [], "late": None, "corrections": None}
        for file_slot in range(SLOTS_PER_MONTH):
            selected = np.flatnonzero(rows["file"] == slot(index, file_slot))
            if not len(selected):
                continue
            block = take(rows, selected)
            del block["file"]
            item = _planned(block, month, file_slot, world, codes)
            planned.append(item)
            if file_slot < CHUNKS_PER_MONTH:
                month_notes["regular"].append(item.relative)
            else:
                month_notes["late" if file_slot == LATE_SLOT else "corrections"] = item.relative
        notes[f"{month:%Y-%m}"] = month_notes
    return planned, {"usage_files": notes, "files_layout": FILES_LAYOUT}
