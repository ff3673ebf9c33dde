"""Usage rows as blocks of numpy arrays (one array per column, codes into value tables), and
their conversion to the `usage_events` landing table (SPEC 1.1). Shared by the demo landing and
the benchmark's scale landings, which need millions of rows a second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from automq_billing.demo.reference import Reference

Rows = dict[str, np.ndarray]
"""A block of usage rows. Columns: org, env, inst, prov, region, mode, tier (-1 = null), meter
(codes); hour, emitted (UTC microseconds); qty; eid (n x 16 random bytes, written as hex);
nulls and blanks (bit per landed column: written as null / as an empty string)."""

# Values outside the vocabulary, for the rows that must be quarantined as unknown_*.
UNKNOWN_METER = "partition_count"
UNKNOWN_PRICING_MODE = "on_demand"
UNKNOWN_CLUSTER_TIER = "premium"

REGIONS_BY_PROVIDER: dict[str, tuple[str, ...]] = {
    "aws": ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"),
    "azure": ("eastus", "westeurope", "southeastasia"),
    "gcp": ("us-central1", "europe-west1", "asia-east1"),
    "alibaba": ("cn-hangzhou", "ap-southeast-1"),
}
PROVIDERS = tuple(REGIONS_BY_PROVIDER)
# a region code is an index into REGION_KEYS; the written value is its region name
REGION_KEYS = tuple((p, r) for p, regions in REGIONS_BY_PROVIDER.items() for r in regions)
# written region names must be unique in a dictionary (duplicates make pyarrow's output unstable)
REGION_NAMES = tuple(sorted({r for _, r in REGION_KEYS}))
_REGION_NAME_OF_CODE = np.array([REGION_NAMES.index(r) for _, r in REGION_KEYS], dtype=np.int32)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def region_code(provider: str, region: str) -> int:
    return REGION_KEYS.index((provider, region))


@dataclass(frozen=True)
class UsageCodes:
    """The value tables the codes of a row block point into, from the project's vocabulary
    (plus one unknown value each), and the landed columns in the contract's order."""

    columns: tuple[str, ...]
    meters: tuple[str, ...]
    modes: tuple[str, ...]
    tiers: tuple[str, ...]

    @classmethod
    def of(cls, reference: Reference) -> UsageCodes:
        return cls(
            columns=reference.columns("usage_events"),
            meters=(*reference.names("usage_meters"), UNKNOWN_METER),
            modes=(*reference.names("pricing_modes"), UNKNOWN_PRICING_MODE),
            tiers=(*reference.names("cluster_tiers"), UNKNOWN_CLUSTER_TIER),
        )

    def meter(self, name: str) -> int:
        return self.meters.index(name)

    def mode(self, name: str) -> int:
        return self.modes.index(name)

    def tier(self, name: str | None) -> int:
        return -1 if name is None else self.tiers.index(name)

    def bit(self, column: str) -> int:
        """The bit of a landed column in the `nulls` and `blanks` masks."""
        return 1 << self.columns.index(column)

    @property
    def vocabulary_meters(self) -> tuple[str, ...]:
        """The vocabulary's meters (the last code is the unknown meter)."""
        return self.meters[:-1]

    def stack(self, by_meter: dict[str, np.ndarray]) -> np.ndarray:
        """Quantities per meter as columns in the vocabulary's meter order (the order of the
        meter codes a row block repeats for each instance-hour)."""
        missing = set(self.vocabulary_meters) - set(by_meter)
        if missing:
            raise ValueError(f"the demo generator has no model for the meter(s) {sorted(missing)}")
        return np.stack([by_meter[m] for m in self.vocabulary_meters], axis=1)

    @property
    def meter_cycle(self) -> np.ndarray:
        """The meter codes of one instance-hour's rows, in the order `stack` uses."""
        return np.array([self.meter(m) for m in self.vocabulary_meters], dtype=np.int8)

    @property
    def always_required(self) -> tuple[str, ...]:
        """The columns that may never be null (cluster_tier is required only for usage-based
        uptime rows: SPEC 1.1)."""
        return tuple(c for c in self.columns if c != "cluster_tier")


@dataclass
class Names:
    """The ids behind the org, env and inst codes. Odd variants of an id (whitespace, a control
    character: SPEC 1.1 `invalid_id`) are extra entries with codes of their own."""

    orgs: list[str]
    envs: list[str]
    insts: list[str]
    _variants: dict[tuple[str, str], int] = field(default_factory=dict)

    def variant(self, kind: str, value: str) -> int:
        """The code of `value` in the `kind` ("orgs", "envs", "insts") table, added if new."""
        key = (kind, value)
        if key not in self._variants:
            table: list[str] = getattr(self, kind)
            if value in table:
                self._variants[key] = table.index(value)
            else:
                table.append(value)
                self._variants[key] = len(table) - 1
        return self._variants[key]


def take(rows: Rows, index: np.ndarray) -> Rows:
    return {k: v[index] for k, v in rows.items()}


def row_count(rows: Rows) -> int:
    return len(next(iter(rows.values())))


def concat(blocks: Sequence[Rows]) -> Rows:
    """One block of the blocks' rows, in order (blocks without rows are left out)."""
    kept = [b for b in blocks if row_count(b)] or list(blocks[:1])
    return {k: np.concatenate([b[k] for b in kept]) for k in kept[0]}


def other_quantity(rows: Rows, codes: UsageCodes, bump: int = 1) -> np.ndarray:
    """A different, still valid quantity for each row (a restatement's): uptime moves by a
    minute per bump and stays within 1..3600 seconds, the other meters grow by ~5% per bump."""
    qty = rows["qty"]
    uptime = rows["meter"] == codes.meter("uptime_seconds")
    shifted = qty + np.maximum(qty // 20, 1) * bump
    uptime_shifted = np.where(qty > 60 * bump, qty - 60 * bump, qty + 60 * bump)
    return np.where(uptime, np.clip(uptime_shifted, 1, 3600), shifted).astype(np.int64)


def new_event_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)


def hex_strings(raw: np.ndarray) -> pa.Array:
    """Rows of random bytes as lowercase hex strings, without a Python loop."""
    n, width = raw.shape
    out = np.empty((n, 2 * width), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    offsets = np.arange(0, 2 * width * (n + 1), 2 * width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(out))
    ).cast(pa.string())


def _mask(rows: Rows, name: str, codes: UsageCodes, column: str) -> np.ndarray | None:
    hit = (rows[name] & codes.bit(column)) != 0
    return hit if hit.any() else None


def _dictionary(codes: np.ndarray, values: Sequence[str], mask: np.ndarray | None) -> pa.Array:
    index = pa.array(codes.astype(np.int32, copy=False), type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(index, pa.array(list(values), type=pa.string()))


def usage_table(
    rows: Rows,
    names: Names,
    codes: UsageCodes,
    *,
    naive: bool = False,
    order: Sequence[str] | None = None,
    extra: dict[str, pa.Array] | None = None,
) -> pa.Table:
    """The landing table of a row block: the contract's columns (in `order`, default the
    contract's), then `extra` columns. `naive`: timestamps without a time zone (read as UTC)."""
    ts_type = pa.timestamp("us") if naive else pa.timestamp("us", tz="UTC")
    tier_null = rows["tier"] < 0

    def null(column: str) -> np.ndarray | None:
        return _mask(rows, "nulls", codes, column)

    arrays: dict[str, pa.Array] = {
        "event_id": hex_strings(rows["eid"]),
        "organization_id": _dictionary(rows["org"], names.orgs, null("organization_id")),
        "environment_id": _dictionary(rows["env"], names.envs, null("environment_id")),
        "instance_id": _dictionary(rows["inst"], names.insts, null("instance_id")),
        "cloud_provider": _dictionary(rows["prov"], PROVIDERS, null("cloud_provider")),
        "region": _dictionary(_REGION_NAME_OF_CODE[rows["region"]], REGION_NAMES, null("region")),
        "pricing_mode": _dictionary(rows["mode"], codes.modes, null("pricing_mode")),
        "cluster_tier": _dictionary(
            np.maximum(rows["tier"], 0), codes.tiers, tier_null if tier_null.any() else None
        ),
        "meter": _dictionary(rows["meter"], codes.meters, null("meter")),
        "hour_start": pa.array(rows["hour"], type=ts_type, mask=null("hour_start")),
        "quantity": pa.array(rows["qty"], type=pa.int64(), mask=null("quantity")),
        "emitted_at": pa.array(rows["emitted"], type=ts_type, mask=null("emitted_at")),
    }
    event_id_null = null("event_id")
    if event_id_null is not None:
        arrays["event_id"] = pc.if_else(
            pa.array(event_id_null), pa.scalar(None, pa.string()), arrays["event_id"]
        )
    for column in codes.columns:
        blank = _mask(rows, "blanks", codes, column)
        if blank is not None:
            text = arrays[column].cast(pa.string())
            arrays[column] = pc.if_else(pa.array(blank), pa.scalar("", pa.string()), text)
    names_out = [*(order or codes.columns), *(extra or {})]
    arrays.update(extra or {})
    return pa.table({name: arrays[name] for name in names_out})
