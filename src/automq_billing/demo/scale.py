"""Usage-only landings for the benchmark (`automq_billing.bench`): millions of rows a second,
in bounded memory (numpy, one file of ~4M rows at a time).

Every organization, environment and instance is a function of the seed alone (drawn in blocks
of 1024), and every instance's rows of a month a function of (seed, month, instance): months
written apart agree on their organizations, and `generate_late_file` re-derives a month's rows
to restate them without reading the landing.

A month's rows (~`rows` landed): instance-hours of the vocabulary's meters over Zipf-like
organizations of about four instances; per instance exactly 2% exact duplicates (half
redelivered in the next file), 1% restatements and 0.1% invalid rows (quarantine reasons in
turn). Files: `usage_events/month=YYYY-MM/part-NNNNN.parquet` and the last file's redelivered
duplicates in `usage_events/redelivery/month=YYYY-MM/`; a late file in
`usage_events/late/month=YYYY-MM/`. A month is written once: its files are never overwritten.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from automq_billing.demo.clock import US_PER_H, US_PER_S, to_us
from automq_billing.demo.files import GenerateSummary, LandedFile, parquet_bytes
from automq_billing.demo.reference import Reference
from automq_billing.demo.rows import (
    PROVIDERS,
    REGION_KEYS,
    Names,
    Rows,
    UsageCodes,
    concat,
    new_event_ids,
    other_quantity,
    row_count,
    take,
    usage_table,
)
from automq_billing.months import days_in_month as month_days
from automq_billing.months import month_index, next_month

SCALE_CHUNK_ROWS = 4_000_000
DATASET = "usage_events"
_BLOCK = 1024
_PER_MILLE = {"duplicates": 20, "restatements": 10, "invalid": 1}
_LANDED_PER_BASE = 1 + sum(_PER_MILLE.values()) / 1000
_INVALID_KINDS = 9
_LATE_SHARES = {"restatements": 6, "duplicates": 3}  # tenths; the rest are new instance-hours

Progress = Callable[[str], None] | None


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


class ScaleWorld:
    """The organizations, environments and instances of the scale landings of a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._blocks: dict[tuple[str, int], dict[str, np.ndarray]] = {}

    def rng(self, *key: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, *key])))

    def _block(self, kind: str, index: int) -> dict[str, np.ndarray]:
        if (kind, index) not in self._blocks:
            rng = self.rng({"org": 1, "env": 2, "inst": 3}[kind], index)
            self._blocks[(kind, index)] = getattr(self, f"_draw_{kind}")(rng)
        return self._blocks[(kind, index)]

    @staticmethod
    def _draw_org(rng: np.random.Generator) -> dict[str, np.ndarray]:
        size = 1 + np.minimum(200, np.floor(rng.pareto(1.5, _BLOCK) * 1.5)).astype(np.int64)
        return {"size": size, "tag": rng.integers(0, 2**32, _BLOCK)}

    @staticmethod
    def _draw_env(rng: np.random.Generator) -> dict[str, np.ndarray]:
        provider = rng.choice(3, size=_BLOCK, p=[0.7, 0.18, 0.12])
        regions = [[REGION_KEYS.index((p, r)) for q, r in REGION_KEYS if q == p] for p in PROVIDERS]
        pick = rng.integers(0, 100, _BLOCK)
        region = np.array(
            [
                regions[p][x % len(regions[p])]
                for p, x in zip(provider.tolist(), pick.tolist(), strict=True)
            ]
        )
        return {
            "provider": provider.astype(np.int8),
            "region": region.astype(np.int8),
            "tag": rng.integers(0, 2**40, _BLOCK),
        }

    @staticmethod
    def _draw_inst(rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {
            "prepaid": rng.random(_BLOCK) < 0.1,
            "tier": rng.choice(3, size=_BLOCK, p=[0.25, 0.45, 0.3]).astype(np.int8),
            "rate": np.exp(rng.normal(math.log(2.0 * 2**30), 1.5, _BLOCK)),
            "fanout": rng.uniform(0.8, 3.0, _BLOCK),
            "retention_h": rng.choice([24.0, 72.0, 168.0], _BLOCK),
            "tag": rng.integers(0, 2**48, _BLOCK),
        }

    def _column(self, kind: str, column: str, n: int) -> np.ndarray:
        blocks = range(max(1, math.ceil(n / _BLOCK)))
        return np.concatenate([self._block(kind, b)[column] for b in blocks])[:n]

    def organizations(self, n_instances: int) -> np.ndarray:
        """The organization of each of the first instances."""
        sizes = self._column("org", "size", _BLOCK)
        while sizes.sum() < n_instances:
            sizes = self._column("org", "size", len(sizes) + _BLOCK)
        return np.repeat(np.arange(len(sizes)), sizes)[:n_instances]

    def environments(self, n_instances: int) -> np.ndarray:
        """The environment of each of the first instances: one to three per organization."""
        org = self.organizations(n_instances)
        first = np.concatenate([[0], np.flatnonzero(np.diff(org)) + 1])
        size = np.diff(np.concatenate([first, [n_instances]]))
        per_org = 1 + np.minimum(2, (self._column("org", "size", org[-1] + 1) - 1) // 3)
        local = np.arange(n_instances) - np.repeat(first, size)
        base = np.concatenate([[0], np.cumsum(per_org)[:-1]])
        return base[org] + local % per_org[org]

    def names(self, n_instances: int) -> Names:
        orgs = int(self.organizations(n_instances)[-1]) + 1
        envs = int(self.environments(n_instances).max()) + 1
        org_tags = self._column("org", "tag", orgs)
        env_tags = self._column("env", "tag", envs)
        inst_tags = self._column("inst", "tag", n_instances)
        return Names(
            orgs=[f"org-{t:08x}{i:05x}" for i, t in enumerate(org_tags.tolist())],
            envs=[f"env-{t:010x}{i:05x}" for i, t in enumerate(env_tags.tolist())],
            insts=[f"kf-{t:012x}{i:05x}" for i, t in enumerate(inst_tags.tolist())],
        )

    def lifetimes(self, month: dt.date, n_instances: int) -> tuple[np.ndarray, np.ndarray]:
        """[start, end) hour of each of the first instances in the month: 15% start in it,
        10% end in it."""
        hours = month_days(month) * 24
        starts, ends = [], []
        for block in range(max(1, math.ceil(n_instances / _BLOCK))):
            rng = self.rng(4, month_index(month), block)
            start = np.where(rng.random(_BLOCK) < 0.15, rng.integers(1, hours - 1, _BLOCK), 0)
            end = np.where(rng.random(_BLOCK) < 0.10, rng.integers(start + 1, hours + 1), hours)
            starts.append(start)
            ends.append(end)
        return np.concatenate(starts)[:n_instances], np.concatenate(ends)[:n_instances]

    def month_plan(
        self, month: dt.date, base_rows: int, width: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The month's instances' [start, end) hours: the first instances whose `width` meters
        an hour make `base_rows` rows, the last one cut short."""
        n = _BLOCK
        while True:
            start, end = self.lifetimes(month, n)
            total = np.cumsum((end - start) * width)
            if total[-1] >= base_rows:
                break
            n *= 2
        count = int(np.searchsorted(total, base_rows)) + 1
        start, end = start[:count].copy(), end[:count].copy()
        end[-1] -= (int(total[count - 1]) - base_rows) // width
        return start, end


# ---------------------------------------------------------------------------------------------
# one instance's rows of a month


class _MonthRows:
    """Builds the rows of instances of one month."""

    def __init__(self, world: ScaleWorld, month: dt.date, codes: UsageCodes, n: int) -> None:
        self.world, self.month, self.codes = world, month, codes
        self.hours = month_days(month) * 24
        self.first_us = to_us(month)
        hour_of_day = np.arange(self.hours) % 24
        weekday = (month.weekday() + np.arange(self.hours) // 24) % 7
        self.shape = (1.0 + 0.45 * np.sin(2 * np.pi * (hour_of_day - 9) / 24)) * np.where(
            weekday >= 5, 0.65, 1.0
        )
        self.org = world.organizations(n)
        self.env = world.environments(n)
        inst = {
            c: world._column("inst", c, n)
            for c in ("prepaid", "tier", "rate", "fanout", "retention_h")
        }
        self.inst = inst
        env_count = int(self.env.max()) + 1
        self.env_provider = world._column("env", "provider", env_count)
        self.env_region = world._column("env", "region", env_count)
        self.meter_codes = codes.meter_cycle
        self.width = len(self.meter_codes)  # rows per instance-hour
        self.usage, self.prepaid = codes.mode("usage_based"), codes.mode("prepaid")
        self.empty_instance = -1  # code of an empty instance id (invalid_id), set by the caller

    def base(self, i: int, start: int, end: int, full_end: int) -> tuple[Rows, np.random.Generator]:
        """The measured rows of instance i over [start, end) (drawn for its whole lifetime
        [start, full_end), so that cutting it short keeps the same values)."""
        rng = self.world.rng(5, month_index(self.month), i)
        n_full = full_end - start
        h = np.arange(start, full_end)
        up = np.full(n_full, 3600, dtype=np.int64)
        draws = rng.integers(60, 3600, 2)
        if start > 0:
            up[0] = draws[0]
        if full_end < self.hours:
            up[-1] = min(up[-1], draws[1])
        rate, fanout = self.inst["rate"][i], self.inst["fanout"][i]
        ingress = rate * self.shape[h] * rng.lognormal(0.0, 0.1, n_full) * up / 3600.0
        egress = ingress * fanout
        retained = rate * self.inst["retention_h"][i] * (1.0 + 0.2 * np.sin(2 * np.pi * h / 216))
        quantities = self.codes.stack(
            {
                "ingress_bytes": ingress,
                "egress_bytes": egress,
                "retained_bytes": retained,
                "uptime_seconds": up,
                "write_peak_bytes_per_s": ingress / up * 1.7,
                "read_peak_bytes_per_s": egress / up * 2.2,
            }
        ).astype(np.int64)
        emitted = (
            self.first_us
            + (h + 1) * US_PER_H
            + rng.integers(60 * US_PER_S, 900 * US_PER_S, n_full, dtype=np.int64)
        )
        event_ids = new_event_ids(rng, self.width * n_full)
        n = end - start
        rows: Rows = {
            "org": np.full(self.width * n, self.org[i], dtype=np.int32),
            "env": np.full(self.width * n, self.env[i], dtype=np.int32),
            "inst": np.full(self.width * n, i, dtype=np.int32),
            "prov": np.full(self.width * n, self.env_provider[self.env[i]], dtype=np.int8),
            "region": np.full(self.width * n, self.env_region[self.env[i]], dtype=np.int8),
            "mode": np.full(
                self.width * n,
                self.prepaid if self.inst["prepaid"][i] else self.usage,
                dtype=np.int8,
            ),
            "tier": np.full(
                self.width * n,
                -1 if self.inst["prepaid"][i] else self.inst["tier"][i],
                dtype=np.int8,
            ),
            "meter": np.tile(self.meter_codes, n),
            "hour": np.repeat(self.first_us + h[:n] * US_PER_H, self.width),
            "qty": quantities[:n].ravel(),
            "emitted": np.repeat(emitted[:n], self.width),
            "eid": event_ids[: self.width * n],
            "nulls": np.zeros(6 * n, dtype=np.int16),
            "blanks": np.zeros(6 * n, dtype=np.int16),
        }
        return rows, rng

    def with_imperfections(self, i: int, rows: Rows, rng: np.random.Generator) -> tuple[Rows, Rows]:
        """(rows for this file, duplicates redelivered in the next one): exactly 2%
        duplicates (half now, half later), 1% restatements, 0.1% invalid rows."""
        n = row_count(rows)
        counts = [n * _PER_MILLE[k] // 1000 for k in ("duplicates", "restatements", "invalid")]
        picked = rng.permutation(n)[: sum(counts)]
        duplicates = picked[: counts[0]]
        restated = take(rows, picked[counts[0] : counts[0] + counts[1]])
        restated["eid"] = new_event_ids(rng, row_count(restated))
        restated["emitted"] = restated["emitted"] + rng.integers(24, 72, row_count(restated)) * (
            US_PER_H
        )
        restated["qty"] = other_quantity(restated, self.codes)
        invalid = self.invalid(i, take(rows, picked[counts[0] + counts[1] :]), rng)
        now = concat([rows, take(rows, duplicates[::2]), restated, invalid])
        return now, take(rows, duplicates[1::2])

    def invalid(self, i: int, rows: Rows, rng: np.random.Generator) -> Rows:
        """Copies under new event ids, each breaking one record rule, in turn (each instance
        starting where the previous one stopped)."""
        codes = self.codes
        kind = (np.arange(row_count(rows)) + 4 * i) % _INVALID_KINDS
        rows["eid"] = new_event_ids(rng, row_count(rows))
        rows["qty"] = np.where(kind == 0, -rows["qty"] - 1, rows["qty"])
        rows["meter"] = np.where(kind == 1, len(codes.meters) - 1, rows["meter"]).astype(np.int8)
        rows["hour"] = np.where(kind == 2, rows["hour"] + 1800 * US_PER_S, rows["hour"])
        rows["nulls"] = np.where(kind == 3, codes.bit("instance_id"), 0).astype(np.int16)
        rows["meter"] = np.where(kind == 4, codes.meter("uptime_seconds"), rows["meter"]).astype(
            np.int8
        )
        rows["qty"] = np.where(kind == 4, 7200, rows["qty"])
        rows["emitted"] = np.where(kind == 5, rows["hour"] - 60 * US_PER_S, rows["emitted"])
        rows["tier"] = np.where(kind == 6, len(codes.tiers) - 1, rows["tier"]).astype(np.int8)
        rows["mode"] = np.where(kind == 7, len(codes.modes) - 1, rows["mode"]).astype(np.int8)
        rows["inst"] = np.where(kind == 8, self.empty_instance, rows["inst"]).astype(np.int32)
        return rows


# ---------------------------------------------------------------------------------------------
# writing


def _month_folders(out_dir: Path, month: dt.date) -> dict[str, Path]:
    ym = f"month={month:%Y-%m}"
    root = Path(out_dir) / DATASET
    return {
        "regular": root / ym,
        "redelivery": root / "redelivery" / ym,
        "late": root / "late" / ym,
    }


def _write(path: Path, rows: Rows, names: Names, codes: UsageCodes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(usage_table(rows, names, codes), temporary, store_schema=False)
    temporary.replace(path)
    return row_count(rows)


def _drain(blocks: list[Rows]) -> Rows:
    """The blocks' rows as one block, each column freed from the blocks once copied (a file's
    rows are held once, not twice)."""
    kept = [b for b in blocks if row_count(b)]
    rows = {key: np.concatenate([b.pop(key) for b in kept]) for key in list(kept[0])}
    blocks.clear()
    return rows


def _instance_chunks(start: np.ndarray, end: np.ndarray, width: int) -> Iterator[range]:
    """Consecutive instances making ~SCALE_CHUNK_ROWS base rows each."""
    cumulative = np.cumsum((end - start) * width)
    chunk_of = (cumulative - 1) // SCALE_CHUNK_ROWS
    bounds = [0, *(np.flatnonzero(np.diff(chunk_of)) + 1).tolist(), len(start)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        yield range(a, b)


def _write_month(
    out_dir: Path,
    month: dt.date,
    rows: int,
    seed: int,
    world: ScaleWorld,
    codes: UsageCodes,
    progress: Progress,
) -> tuple[list[LandedFile], dict[str, int], Names]:
    folders = _month_folders(out_dir, month)
    for folder in (folders["regular"], folders["redelivery"]):
        if folder.exists() and any(folder.rglob("*.parquet")):
            raise ValueError(
                f"refusing to write {month:%Y-%m} into {out_dir}: {folder} already holds files "
                "and landed files are immutable; choose another month or an empty folder"
            )
    width = len(codes.vocabulary_meters)  # rows per instance-hour
    base_rows = max(width, round(rows / _LANDED_PER_BASE) // width * width)
    start, end = world.month_plan(month, base_rows, width)
    _, full_end = world.lifetimes(month, len(start))
    builder = _MonthRows(world, month, codes, len(start))
    names = world.names(len(start))
    builder.empty_instance = names.variant("insts", "")
    chunks = list(_instance_chunks(start, end, width))
    _say(
        progress,
        f"scale landing {month:%Y-%m}: ~{rows} rows, {_organization_count(builder)} "
        f"organizations, {len(start)} instances, {len(chunks)} file(s)",
    )
    landed_at = _landing_of(month)
    files: list[LandedFile] = []
    counts = {"base_rows": base_rows, "duplicates": 0, "restatements": 0, "invalid_rows": 0}
    carry: list[Rows] = []
    for index, instances in enumerate(chunks):
        blocks, later = list(carry), []
        for i in instances:
            measured, rng = builder.base(i, int(start[i]), int(end[i]), int(full_end[i]))
            now, redelivered = builder.with_imperfections(i, measured, rng)
            blocks.append(now)
            later.append(redelivered)
            n = row_count(measured)
            counts["duplicates"] += n * _PER_MILLE["duplicates"] // 1000
            counts["restatements"] += n * _PER_MILLE["restatements"] // 1000
            counts["invalid_rows"] += n * _PER_MILLE["invalid"] // 1000
        carry = later
        path = folders["regular"] / f"part-{index:05d}.parquet"
        written = _write(path, _drain(blocks), names, codes)
        files.append(
            LandedFile(path, DATASET, landed_at + dt.timedelta(minutes=index), written, True)
        )
        _say(progress, f"wrote {path.name} ({written} rows)")
    redelivered = concat(carry)
    if row_count(redelivered):
        path = folders["redelivery"] / "part-00000.parquet"
        written = _write(path, redelivered, names, codes)
        files.append(LandedFile(path, DATASET, landed_at + dt.timedelta(days=2), written, True))
    return files, counts, names


def _organization_count(builder: _MonthRows) -> int:
    return int(builder.org[-1]) + 1


def _landing_of(month: dt.date) -> dt.datetime:
    """The month's regular files land together, an hour into the next month."""
    first = next_month(month)
    return dt.datetime(first.year, first.month, 1, 1, tzinfo=dt.UTC)


def generate_scale_landing(
    out_dir: Path,
    rows: int,
    month: dt.date,
    seed: int,
    progress: Progress = None,
    *,
    project_dir: Path | None = None,
) -> GenerateSummary:
    """Write about `rows` usage rows of one month, in Parquet files of ~4M rows, into a landing
    that may hold other months (ValueError if it already holds this one)."""
    return generate_history_landing(out_dir, [month], rows, seed, progress, project_dir=project_dir)


def generate_history_landing(
    out_dir: Path,
    months: Sequence[dt.date],
    rows_per_month: int,
    seed: int,
    progress: Progress = None,
    *,
    project_dir: Path | None = None,
) -> GenerateSummary:
    """Each month as `generate_scale_landing` writes it (distinct event ids, the same
    organizations)."""
    if rows_per_month < 1:
        raise ValueError(f"rows must be >= 1, got {rows_per_month}")
    if not months:
        raise ValueError("no months to generate")
    codes = UsageCodes.of(Reference(project_dir))
    world = ScaleWorld(seed)
    files: list[LandedFile] = []
    totals: dict[str, int] = {}
    organizations = instances = 0
    firsts = sorted({dt.date(m.year, m.month, 1) for m in months})
    for month in firsts:
        month_files, counts, names = _write_month(
            Path(out_dir), month, rows_per_month, seed, world, codes, progress
        )
        files += month_files
        totals = {k: totals.get(k, 0) + v for k, v in counts.items()}
        organizations = max(organizations, len(set(names.orgs)))
        instances = max(instances, len(names.insts) - 1)
    return GenerateSummary(
        files=files,
        rows=sum(f.rows for f in files),
        months=[f"{m:%Y-%m}" for m in firsts],
        organizations=organizations,
        instances=instances,
        notes={"seed": seed, "chunk_rows": SCALE_CHUNK_ROWS, **totals},
    )


# ---------------------------------------------------------------------------------------------
# the late file


def _landed_rows(folders: dict[str, Path], month: dt.date, out_dir: Path) -> int:
    files = [
        p
        for key in ("regular", "redelivery")
        if folders[key].exists()
        for p in sorted(folders[key].rglob("*.parquet"))
    ]
    if not files:
        raise ValueError(
            f"no scale landing of {month:%Y-%m} in {out_dir}: write it first with "
            "generate_scale_landing or generate_history_landing (same seed)"
        )
    return sum(pq.read_metadata(p).num_rows for p in files)


def _check_seed(folders: dict[str, Path], first: Rows, seed: int, month: dt.date) -> None:
    path = folders["regular"] / "part-00000.parquet"
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=1, columns=["event_id"]))
    if batch.column(0)[0].as_py() != bytes(first["eid"][0]).hex():
        raise ValueError(
            f"{path} was not generated with seed {seed}: a late file restates the rows of its "
            f"month, so pass the seed {month:%Y-%m} was generated with"
        )


def generate_late_file(
    out_dir: Path, month: dt.date, rows: int, seed: int, *, project_dir: Path | None = None
) -> GenerateSummary:
    """One late file of about `rows` rows for a month already written with the same seed:
    60% restatements of the month's rows (re-derived from the seed, emitted a week after the
    month), 30% of them redelivered unchanged, the rest new instance-hours (an exporter's
    backlog: hours of existing instances under a new instance id)."""
    if rows < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    month = dt.date(month.year, month.month, 1)
    out_dir = Path(out_dir)
    folders = _month_folders(out_dir, month)
    landed = _landed_rows(folders, month, out_dir)
    codes = UsageCodes.of(Reference(project_dir))
    world = ScaleWorld(seed)
    pool, names = _late_pool(world, month, codes, landed, rows)
    _check_seed(folders, pool, seed, month)
    rng = world.rng(6, month_index(month))
    late = _late_rows(rng, pool, names, codes, rows, month)
    path = folders["late"] / "part-00000.parquet"
    data = parquet_bytes(usage_table(late, names, codes))
    if path.exists():
        if path.read_bytes() != data:
            raise ValueError(f"refusing to overwrite {path}: landed files are immutable")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    landed_at = _landing_of(month) + dt.timedelta(days=10)
    return GenerateSummary(
        files=[LandedFile(path, DATASET, landed_at, row_count(late), True)],
        rows=row_count(late),
        months=[f"{month:%Y-%m}"],
        organizations=len(set(names.orgs)),
        instances=len(names.insts),
        notes={"seed": seed},
    )


def _late_pool(
    world: ScaleWorld, month: dt.date, codes: UsageCodes, landed: int, rows: int
) -> tuple[Rows, Names]:
    """The measured rows of the month's first instances, as many as four late files' worth,
    of instances the landing surely holds whole (their rows are within landed / 1.031)."""
    surely = int(landed / _LANDED_PER_BASE)
    start, end = world.lifetimes(month, _BLOCK)
    cumulative = np.cumsum((end - start) * len(codes.vocabulary_meters))
    count = max(1, int(np.searchsorted(cumulative, min(surely, 4 * rows), side="right")))
    count = min(count, len(start))
    builder = _MonthRows(world, month, codes, count)
    blocks = [builder.base(i, int(start[i]), int(end[i]), int(end[i]))[0] for i in range(count)]
    return concat(blocks), world.names(count)


def _late_rows(
    rng: np.random.Generator,
    pool: Rows,
    names: Names,
    codes: UsageCodes,
    rows: int,
    month: dt.date,
) -> Rows:
    n = row_count(pool)
    restated_count = min(n, rows * _LATE_SHARES["restatements"] // 10)
    duplicate_count = min(n, rows * _LATE_SHARES["duplicates"] // 10)
    restated = take(pool, np.sort(rng.choice(n, restated_count, replace=False)))
    restated["eid"] = new_event_ids(rng, restated_count)
    week_after = to_us(next_month(month)) + 5 * 24 * US_PER_H
    restated["emitted"] = week_after + rng.integers(0, 5 * 24 * 3600, restated_count) * US_PER_S
    restated["qty"] = other_quantity(restated, codes, 2)
    duplicates = take(pool, np.sort(rng.choice(n, duplicate_count, replace=False)))
    width = len(codes.vocabulary_meters)
    backlog = _backlog(rng, pool, names, max(0, rows - restated_count - duplicate_count), width)
    return concat([restated, duplicates, backlog])


def _backlog(rng: np.random.Generator, pool: Rows, names: Names, count: int, width: int) -> Rows:
    """`count` rows (whole instance-hours of `width` rows) of a pool instance under a new
    instance id."""
    hours = min(count // width, row_count(pool) // width)
    if hours == 0:
        return take(pool, np.zeros(0, dtype=np.int64))
    first = int(rng.integers(0, row_count(pool) // width - hours + 1)) * width
    rows = take(pool, np.arange(first, first + width * hours))
    rows["eid"] = new_event_ids(rng, row_count(rows))
    rows["inst"][:] = names.variant("insts", f"kf-backlog{rng.bytes(6).hex()}")
    return rows
