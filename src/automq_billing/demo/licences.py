"""Prepaid licences and their allocations (SPEC 1.2, 1.3, 4), one named scenario each:

- over capacity: a yearly licence of the heavy environment, allocated below its peaks;
- split: one yearly licence over two environments;
- a quota breach: a monthly licence over-allocated from its 6th day, one allocation left open
  after the licence ended;
- renewals: monthly licences, each starting when the previous one ends;
- a negotiated offline contract (price set, null product secret);
- a 14-day trial converted to monthly marketplace licences (one with a clamped end date);
- an `invalid_term` licence (a "yearly" term of six months);
- invalid allocation rows (0 AKU; valid_to not after valid_from) and one day's allocations
  landed twice;
- for every month but the last, a licence starting that month whose export was lost and that
  lands with the month's corrections (a subscription line only in the re-rating).

Licences land in daily exports of the day they were bought, allocations of the day they start.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from automq_billing.demo.clock import US_PER_H, US_PER_S, iso, to_us
from automq_billing.demo.files import PlannedFile, parquet_bytes
from automq_billing.demo.reference import Reference
from automq_billing.demo.rows import Rows, UsageCodes
from automq_billing.demo.timeline import correction_landing, export_landing, history_landing
from automq_billing.demo.usage import hour_offsets
from automq_billing.demo.world import World
from automq_billing.months import add_months

MIB = 2**20
TRIAL_AKU = 14
_NEGOTIATED_DISCOUNT = Decimal("0.8")  # of the list price


@dataclass
class Licence:
    license_id: str
    org: int
    channel: str
    term: str
    quota: int
    start: dt.date
    end: dt.date
    price: Decimal | None
    secret: str | None
    purchased_us: int
    lost_export: bool = False  # lands with the month's corrections


@dataclass(frozen=True)
class Allocation:
    license_id: str
    env: int
    aku: int
    valid_from: dt.date
    valid_to: dt.date | None


def required_aku(base: Rows, world: World, codes: UsageCodes, reference: Reference) -> np.ndarray:
    """AKUs each environment needs in each hour of the span (SPEC 4.3, the capacity spec in force
    for the hour's month), in integers, from the measured peaks; 0 where nothing prepaid runs.
    The licence scenarios are sized from it (allocations above or below the peaks)."""
    span = world.span
    prepaid = np.flatnonzero(base["mode"] == codes.mode("prepaid"))
    required = np.zeros((len(world.environments), span.hours), dtype=np.int64)
    hours = hour_offsets(base, span)[prepaid]
    key = base["inst"][prepaid].astype(np.int64) * span.hours + hours
    keys, inverse = np.unique(key, return_inverse=True)
    peaks = {}
    for meter in ("write_peak_bytes_per_s", "read_peak_bytes_per_s"):
        values = np.zeros(len(keys), dtype=np.int64)
        of_meter = base["meter"][prepaid] == codes.meter(meter)
        np.maximum.at(values, inverse[of_meter], base["qty"][prepaid][of_meter])
        peaks[meter] = values
    month = span.month_of_hours(keys % span.hours)
    aku = np.zeros(len(keys), dtype=np.int64)
    for index, first_day in enumerate(span.months):
        spec = reference.capacity(first_day)
        write, read = Fraction(spec.write_mib_per_s), Fraction(spec.read_mib_per_s)
        w, r = peaks["write_peak_bytes_per_s"], peaks["read_peak_bytes_per_s"]
        a, b, c, d = write.numerator, write.denominator, read.numerator, read.denominator
        if spec.combine == "max":
            need = np.maximum(-(-w * b // (a * MIB)), -(-r * d // (c * MIB)))
        else:
            need = -(-(w * b * c + r * d * a) // (a * c * MIB))
        aku = np.where(month == index, np.maximum(spec.min_aku, need), aku)
    env = np.zeros(len(keys), dtype=np.int64)
    env[inverse] = base["env"][prepaid]
    np.add.at(required, (env, keys % span.hours), aku)
    return required


class LicenceBook:
    """Builds the licences and allocations, from its own random stream."""

    def __init__(
        self, rng: np.random.Generator, world: World, reference: Reference, required: np.ndarray
    ) -> None:
        self.rng, self.world, self.reference, self.required = rng, world, reference, required
        self.licences: list[Licence] = []
        self.allocations: list[Allocation] = []
        self.scenarios: dict[str, Any] = {}
        self._ids: set[str] = set()

    # -- building blocks

    def channel(self, name: str) -> str:
        return self.reference.name("license_channels", name)

    def marketplace(self, env: int) -> str:
        return self.channel(f"{self.world.environments[env].provider}_marketplace")

    def term_end(self, start: dt.date, term: str) -> dt.date:
        if term == "monthly":
            return add_months(start, 1)
        if term == "yearly":
            return add_months(start, 12)
        return start + dt.timedelta(days=14)

    def licence(
        self,
        org: int,
        channel: str,
        term: str,
        quota: int,
        start: dt.date,
        *,
        price: Decimal | None = None,
        end: dt.date | None = None,
    ) -> Licence:
        """A licence bought 1-5 days before it starts."""
        while (license_id := "lic-" + self.rng.bytes(6).hex()) in self._ids:
            pass
        self._ids.add(license_id)
        lead_us = int(self.rng.integers(1, 6)) * 24 * US_PER_H + int(
            self.rng.integers(0, 24 * 3600 * US_PER_S)
        )
        licence = Licence(
            license_id=license_id,
            org=org,
            channel=channel,
            term=self.reference.name("license_terms", term),
            quota=quota,
            start=start,
            end=end or self.term_end(start, term),
            price=price,
            secret="amq_sk_" + self.rng.bytes(16).hex(),
            purchased_us=to_us(start) - lead_us,
        )
        self.licences.append(licence)
        return licence

    def allocate(
        self,
        licence: Licence,
        env: int,
        aku: int,
        valid_from: dt.date | None = None,
        *,
        open_ended: bool = False,
    ) -> None:
        """AKUs of a licence for an environment, from its start (or `valid_from`) to its end
        (or for ever: `open_ended`, valid_to null)."""
        valid_to = None if open_ended else licence.end
        self.allocations.append(
            Allocation(licence.license_id, env, aku, valid_from or licence.start, valid_to)
        )

    def chain(self, start: dt.date, term: str) -> list[dt.date]:
        """Start dates of a licence renewed back to back until the span ends."""
        starts = [start]
        while self.term_end(starts[-1], term) < self.world.span.end:
            starts.append(self.term_end(starts[-1], term))
        return starts

    def roomy(self, env: int) -> int:
        """Comfortably above the environment's peak requirement."""
        return math.ceil(max(int(self.required[env].max()), 3) * 1.5) + 2

    def renewed(self, org: int, env: int, term: str, start: dt.date) -> list[str]:
        """Licences on the environment's marketplace renewed back to back from `start` until
        the span ends, each comfortably above the environment's peaks and allocated whole."""
        ids = []
        for begin in self.chain(start, term):
            quota = self.roomy(env)
            licence = self.licence(org, self.marketplace(env), term, quota, begin)
            self.allocate(licence, env, quota)
            ids.append(licence.license_id)
        return ids

    def list_price(self, term: str, day: dt.date) -> Decimal:
        rows = [
            r
            for r in self.reference.seed("aku_list_prices")
            if r["term"] == term and r["effective_from"] <= day
        ]
        return max(rows, key=lambda r: r["effective_from"])["price_per_aku"]

    # -- the scenarios

    def over_capacity(self) -> None:
        """A yearly AWS licence bought four months before the span, allocated at the 70th
        percentile of the heavy environment's hourly needs: over capacity at its peaks."""
        plan, span = self.world.plan, self.world.span
        hours = self.required[plan.heavy_env][self.required[plan.heavy_env] > 0]
        aku = int(np.percentile(hours, 70)) if len(hours) else 3
        if len(hours) and not (hours > aku).any():
            aku = int(hours.max()) - 1
        aku = max(aku, 1)
        ids = []
        org = self.world.environments[plan.heavy_env].org
        for start in self.chain(add_months(span.start, -4) + dt.timedelta(days=14), "yearly"):
            licence = self.licence(org, self.channel("aws_marketplace"), "yearly", aku, start)
            self.allocate(licence, plan.heavy_env, aku)
            ids.append(licence.license_id)
        self.scenarios["over_capacity"] = {
            "environment_id": self.world.names.envs[plan.heavy_env],
            "license_ids": ids,
            "aku_allocated": aku,
        }

    def split(self) -> None:
        """One yearly GCP licence, its AKUs split over two environments."""
        plan = self.world.plan
        env_a, env_b = plan.split_envs
        ids = []
        for start in self.chain(add_months(self.world.span.start, -2), "yearly"):
            a, b = self.roomy(env_a), self.roomy(env_b)
            licence = self.licence(
                plan.split_org, self.marketplace(env_a), "yearly", a + b + 2, start
            )
            self.allocate(licence, env_a, a)
            self.allocate(licence, env_b, b)
            ids.append(licence.license_id)
        first = self.licences[-len(ids)]
        self.scenarios["split"] = {
            "license_id": ids[0],
            "aku_quota": first.quota,
            "allocations": {
                self.world.names.envs[x.env]: x.aku
                for x in self.allocations
                if x.license_id == ids[0]
            },
        }

    def breach(self) -> None:
        """A 6-AKU monthly licence allocated 4 + 4 AKU from its 6th day (over quota), the second
        allocation left open after the licence ended (outside its term)."""
        plan = self.world.plan
        env_a, env_b = plan.split_envs
        start = self.world.span.start + dt.timedelta(days=9)
        licence = self.licence(plan.split_org, self.marketplace(env_a), "monthly", 6, start)
        over_from = start + dt.timedelta(days=5)
        self.allocate(licence, env_a, 4)
        self.allocate(licence, env_b, 4, valid_from=over_from, open_ended=True)
        self.scenarios["breach"] = {
            "license_id": licence.license_id,
            "aku_quota": licence.quota,
            "over_quota": [over_from.isoformat(), licence.end.isoformat()],
            "outside_term_from": licence.end.isoformat(),
        }

    def renewals(self) -> None:
        """Monthly Alibaba licences from the 20th of the month before the span, back to back."""
        plan = self.world.plan
        before = add_months(self.world.span.start, -1).replace(day=20)
        ids = self.renewed(plan.renewal_org, plan.renewal_env, "monthly", before)
        self.scenarios["renewal"] = {
            "environment_id": self.world.names.envs[plan.renewal_env],
            "license_ids": ids,
        }

    def negotiated(self) -> None:
        """A yearly offline contract at a negotiated price, activated without a product secret
        (its product_secret is null)."""
        plan, span = self.world.plan, self.world.span
        ids = []
        for start in self.chain(span.start, "yearly"):
            quota = self.roomy(plan.negotiated_env) + 1
            price = (self.list_price("yearly", start) * _NEGOTIATED_DISCOUNT).quantize(
                Decimal("0.000001")
            )
            licence = self.licence(
                plan.renewal_org,
                self.channel("offline_contract"),
                "yearly",
                quota,
                start,
                price=price,
            )
            self.allocate(licence, plan.negotiated_env, quota - 1)
            ids.append(licence.license_id)
        self.licences[[x.license_id for x in self.licences].index(ids[0])].secret = None
        self.scenarios["negotiated"] = {
            "license_ids": ids,
            "price_per_aku": str(self.licences[-len(ids)].price),
            "channel": self.licences[-len(ids)].channel,
        }

    def trial(self) -> None:
        """A 14-day, 14-AKU trial, converted to monthly Azure licences when it ends."""
        plan = self.world.plan
        trial = self.licence(
            plan.trial_org, self.channel("trial"), "trial", TRIAL_AKU, plan.trial_start
        )
        self.allocate(trial, plan.trial_env, TRIAL_AKU)
        ids = self.renewed(plan.trial_org, plan.trial_env, "monthly", plan.conversion_start)
        self.scenarios["trial"] = {
            "license_id": trial.license_id,
            "start_date": trial.start.isoformat(),
            "end_date": trial.end.isoformat(),
            "converted_to": ids,
        }

    def other_environments(self) -> None:
        """Yearly licences on their cloud's marketplace for the other prepaid environments,
        bought one to five months before the span."""
        plan = self.world.plan
        planned = {
            plan.heavy_env,
            *plan.split_envs,
            plan.renewal_env,
            plan.negotiated_env,
            plan.trial_env,
        }
        for org, env in self.world.prepaid_environments():
            if env in planned:
                continue
            start = add_months(self.world.span.start, -int(self.rng.integers(1, 6))) + (
                dt.timedelta(days=int(self.rng.integers(0, 27)))
            )
            self.renewed(org, env, "yearly", start)

    def invalid_term(self) -> None:
        """A "yearly" licence of six months: quarantined as invalid_term (SPEC 1.2)."""
        start = self.world.span.start + dt.timedelta(days=19)
        licence = self.licence(
            self.world.roles.heavy,
            self.channel("aws_marketplace"),
            "yearly",
            4,
            start,
            end=add_months(start, 6),
        )
        self.scenarios["invalid"] = {
            "license_id": licence.license_id,
            "reason": self.reference.name("license_quarantine_reasons", "invalid_term"),
            "start_date": licence.start.isoformat(),
            "end_date": licence.end.isoformat(),
        }

    def invalid_allocations(self) -> None:
        """Allocation rows that take no part in capacity (SPEC 1.3 invalid_allocation): 0 AKU
        of the split licence, and a renewal allocation whose valid_to equals its valid_from."""
        split_id = self.scenarios["split"]["license_id"]
        renewal_id = self.scenarios["renewal"]["license_ids"][0]
        by_id = {x.license_id: x for x in self.licences}
        day = self.world.span.start + dt.timedelta(days=6)
        zero = Allocation(split_id, self.world.plan.split_envs[0], 0, day, by_id[split_id].end)
        empty = Allocation(renewal_id, self.world.plan.renewal_env, 2, day, day)
        self.allocations += [zero, empty]
        self.scenarios["invalid_allocations"] = [
            {
                "license_id": x.license_id,
                "environment_id": self.world.names.envs[x.env],
                "aku_allocated": x.aku,
                "valid_from": x.valid_from.isoformat(),
                "valid_to": x.valid_to.isoformat() if x.valid_to else None,
            }
            for x in (zero, empty)
        ]

    def lost_exports(self) -> dict[str, dict[str, Any]]:
        """For every month but the last: a monthly AWS licence of the renewal organization,
        bought on the 20th and starting on the 22nd, whose export lands mid next month."""
        plan, months = self.world.plan, self.world.span.months
        notes = {}
        for month in months[:-1]:
            licence = self.licence(
                plan.renewal_org,
                self.channel("aws_marketplace"),
                "monthly",
                6,
                month.replace(day=22),
            )
            licence.purchased_us = to_us(month.replace(day=20)) + 9 * US_PER_H + 1234 * US_PER_S
            licence.lost_export = True
            notes[f"{month:%Y-%m}"] = {
                "license_id": licence.license_id,
                "organization_id": self.world.names.orgs[licence.org],
                "start_date": licence.start.isoformat(),
                "landed_at": iso(_lost_export_landing(month)),
            }
        return notes


def _lost_export_landing(month: dt.date) -> dt.datetime:
    return correction_landing(month) + dt.timedelta(minutes=30)


def build_licences(
    rng: np.random.Generator, world: World, reference: Reference, required: np.ndarray
) -> tuple[LicenceBook, dict[str, Any]]:
    book = LicenceBook(rng, world, reference, required)
    for scenario in (
        book.over_capacity,
        book.split,
        book.breach,
        book.renewals,
        book.negotiated,
        book.trial,
        book.other_environments,
        book.invalid_term,
        book.invalid_allocations,
    ):
        scenario()
    lost = book.lost_exports()
    return book, _notes(book, lost)


def _notes(book: LicenceBook, lost: dict[str, Any]) -> dict[str, Any]:
    """What the licence scenarios are, by id (GenerateSummary.notes)."""
    envs, scenarios, licences = book.world.names.envs, book.scenarios, book.licences
    heavy = scenarios["over_capacity"]["environment_id"]
    allocated = {envs[a.env] for a in book.allocations}
    clamped = [x for x in licences if x.term == "monthly" and x.end.day < x.start.day]
    if clamped:
        scenarios["clamped_end"] = {
            "license_id": clamped[0].license_id,
            "start_date": clamped[0].start.isoformat(),
            "end_date": clamped[0].end.isoformat(),
        }
    scenarios["by_channel"] = _count(x.channel for x in licences)
    scenarios["by_term"] = _count(x.term for x in licences)
    scenarios["lost_exports"] = lost
    return {
        "trial_license": scenarios["trial"]["license_id"],
        "negotiated_license": scenarios["negotiated"]["license_ids"][0],
        "split_license": scenarios["split"]["license_id"],
        "renewal_licenses": scenarios["renewal"]["license_ids"][:2],
        "invalid_license": scenarios["invalid"]["license_id"],
        "breach_license": scenarios["breach"]["license_id"],
        "over_capacity_environment": heavy,
        "within_capacity_environments": sorted(allocated - {heavy}),
        "null_secret_license": next(x.license_id for x in licences if x.secret is None),
        # the product secrets landed (sensitive: tests search outputs for them; never printed)
        "secrets": sorted(x.secret for x in licences if x.secret is not None),
        "license_scenarios": scenarios,
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------------------
# files


def _licence_table(
    licences: list[Licence], world: World, schema: pa.Schema, currency: str
) -> pa.Table:
    rows = sorted(licences, key=lambda x: (x.purchased_us, x.license_id))
    return pa.table(
        {
            "license_id": [x.license_id for x in rows],
            "organization_id": [world.names.orgs[x.org] for x in rows],
            "channel": [x.channel for x in rows],
            "term": [x.term for x in rows],
            "aku_quota": [x.quota for x in rows],
            "start_date": [x.start for x in rows],
            "end_date": [x.end for x in rows],
            "price_per_aku": [x.price for x in rows],
            "currency": [currency] * len(rows),
            "product_secret": [x.secret for x in rows],
            "purchased_at": [x.purchased_us for x in rows],
        },
        schema=schema,
    )


def _allocation_table(allocations: list[Allocation], world: World, schema: pa.Schema) -> pa.Table:
    return pa.table(
        {
            "license_id": [x.license_id for x in allocations],
            "environment_id": [world.names.envs[x.env] for x in allocations],
            "aku_allocated": [x.aku for x in allocations],
            "valid_from": [to_us(x.valid_from) for x in allocations],
            "valid_to": [None if x.valid_to is None else to_us(x.valid_to) for x in allocations],
        },
        schema=schema,
    )


def _grouped(items: list[Any], key: Callable[[Any], tuple[str, dt.datetime]]):
    groups: dict[tuple[str, dt.datetime], list[Any]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return sorted(groups.items())


def licence_files(
    book: LicenceBook, reference: Reference
) -> tuple[list[PlannedFile], dict[str, Any]]:
    """Licences by day of purchase, allocations by day they start (one history file for what
    predates the span), the lost exports, and one day's allocations landed twice."""
    world = book.world
    start = world.span.start

    def licence_key(x: Licence) -> tuple[str, dt.datetime]:
        day = dt.datetime.fromtimestamp(x.purchased_us / US_PER_S, dt.UTC).date()
        if x.lost_export:
            landed = _lost_export_landing(dt.date(day.year, day.month, 1))
            return f"redelivery/date={landed:%Y-%m-%d}", landed
        if day < start:
            return "history", history_landing(start)
        return f"date={day:%Y-%m-%d}", export_landing(day)

    def allocation_key(x: Allocation) -> tuple[str, dt.datetime]:
        if x.valid_from < start:
            return "history", history_landing(start)
        return f"date={x.valid_from:%Y-%m-%d}", export_landing(x.valid_from)

    planned: list[PlannedFile] = []
    lic_schema = reference.schema("licenses")
    currency = reference.name("currencies", "USD")
    for (folder, landed), rows in _grouped(book.licences, licence_key):
        render = partial(
            _render, partial(_licence_table, currency=currency), rows, world, lic_schema
        )
        planned.append(
            PlannedFile(
                "licenses", f"licenses/{folder}/part-0000.parquet", landed, len(rows), render
            )
        )
    alloc_schema = reference.schema("license_allocations")
    allocation_days = _grouped(book.allocations, allocation_key)
    for (folder, landed), rows in allocation_days:
        render = partial(_render, _allocation_table, rows, world, alloc_schema)
        planned.append(
            PlannedFile(
                "license_allocations",
                f"license_allocations/{folder}/part-0000.parquet",
                landed,
                len(rows),
                render,
            )
        )
    twice = _landed_twice(allocation_days, world, alloc_schema)
    planned.append(twice)
    notes = {
        "files": [twice.relative.replace("part-0001", "part-0000"), twice.relative],
        "rows": twice.rows,
    }
    return planned, {"duplicate_allocations": notes}


def _landed_twice(allocation_days: list[Any], world: World, schema: pa.Schema) -> PlannedFile:
    """The first in-span day's allocations, delivered again the next day."""
    (folder, landed), rows = next(
        ((key, rows) for key, rows in allocation_days if key[0] != "history"),
        allocation_days[0],
    )
    render = partial(_render, _allocation_table, rows, world, schema)
    return PlannedFile(
        "license_allocations",
        f"license_allocations/{folder}/part-0001.parquet",
        landed + dt.timedelta(days=1),
        len(rows),
        render,
    )


def _render(
    table: Callable[..., pa.Table], rows: list[Any], world: World, schema: pa.Schema
) -> bytes:
    return parquet_bytes(table(rows, world, schema))


def __getattr__(name: str) -> Any:
    """`LICENSE_SCHEMA`: the licences' landed columns as an Arrow schema, read from this
    repository's sources YAML when first asked for (for tests that write licence files)."""
    if name == "LICENSE_SCHEMA":
        return Reference().schema("licenses")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
