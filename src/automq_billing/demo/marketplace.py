"""AWS Marketplace as the demo's control plane knows it (SPEC 9.1): which AWS account each
usage-based organization subscribed with (`marketplace_customers`) and what BatchMeterUsage
answered to every record it sent (`marketplace_metering`), for the quantities `metering`
computes. Scenarios (in every month unless said):

- most organizations subscribed long ago; one changed accounts before the span (unsubscribed,
  then subscribed with another); one subscribes in the middle of the last month, and its records
  before that come back CustomerNotSubscribed; one never subscribes: the control plane knows an
  account of it (not in the customers export) and sends records for a few hours of the last
  month, which come back CustomerNotSubscribed;
- the tier-3 organization: a three-hour sender outage (hours never sent); a batch throttled and
  retried too late (TimestampOutOfBoundsException: never accepted); records of a retired
  dimension the listing no longer has (rejected);
- the tier-2 organization: a batch rejected with TimestampOutOfBoundsException and retried
  successfully; a record first sent one unit short, then resent with the right quantity
  (DuplicateRecord: the first write wins);
- the tier-1-only organization: a record stamped an hour late (nothing for its own hour, a
  record for an hour where nothing was due);
- AutoMQ's staging account, which no organization owns, sends records that AWS accepts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from automq_billing.demo.clock import US_PER_H, US_PER_S, from_us, iso, to_us
from automq_billing.demo.files import PlannedFile, parquet_bytes
from automq_billing.demo.metering import MeteredUnits
from automq_billing.demo.reference import Reference
from automq_billing.demo.rows import Rows, concat, row_count, take
from automq_billing.demo.timeline import export_landing, history_landing
from automq_billing.demo.world import World

DAY_US = 24 * US_PER_H
RETIRED_DIMENSION = "cluster_uptime_standard"  # an old build still sends it
THROTTLED = "ThrottlingException"
OUT_OF_BOUNDS = "TimestampOutOfBoundsException"
INVALID_DIMENSION = "InvalidUsageDimensionException"


@dataclass(frozen=True)
class Account:
    """A customer AWS account, and when the control plane meters for it."""

    account_id: str
    org: int | None  # None: no organization owns it
    subscribed_us: int | None  # at AWS; None: never subscribed
    unsubscribed_us: int | None = None
    sends_from_us: int | None = None  # default: from the subscription
    sends_until_us: int | None = None  # default: until the unsubscription
    exported: bool = True  # in the control plane's marketplace_customers export

    def sends(self, hours: np.ndarray) -> np.ndarray:
        start = self.subscribed_us if self.sends_from_us is None else self.sends_from_us
        until = self.unsubscribed_us if self.sends_until_us is None else self.sends_until_us
        return (hours >= start) & (hours < (np.iinfo(np.int64).max if until is None else until))

    def subscribed(self, hours: np.ndarray) -> np.ndarray:
        if self.subscribed_us is None:
            return np.zeros(len(hours), dtype=bool)
        until = np.iinfo(np.int64).max if self.unsubscribed_us is None else self.unsubscribed_us
        return (hours >= self.subscribed_us) & (hours < until)


@dataclass(frozen=True)
class Cast:
    """The organizations of the subscription and invoicing scenarios, drawn from the clean
    ones (not noisy, not tier-1-only), last first; None when there are too few."""

    mid_month_subscriber: int | None
    two_accounts: int | None  # also the refund
    not_invoiced: int | None
    invoice_mismatch: int | None
    deleted_event: int | None
    never_subscribed: int | None

    @classmethod
    def of(cls, world: World) -> Cast:
        roles = world.roles
        clean = [
            o
            for o in reversed(range(world.organizations))
            if o not in roles.noisy and o != roles.tier1_only
        ]
        names = [f.name for f in fields(cls)]
        return cls(**{name: clean[i] if i < len(clean) else None for i, name in enumerate(names)})


class MeteringLog:
    """The accounts and the control plane's log of BatchMeterUsage results."""

    def __init__(
        self, rng: np.random.Generator, world: World, reference: Reference, units: MeteredUnits
    ) -> None:
        self.rng, self.world, self.reference, self.units = rng, world, reference, units
        self.cast = Cast.of(world)
        self.listings = [reference.listing(month) for month in world.span.months]
        self.dimensions: list[str] = []
        self.statuses: list[str] = []
        self.accounts: list[Account] = []
        self.notes: dict[str, Any] = {}
        self._add_accounts()

    # -- codes

    def dimension(self, name: str) -> int:
        if name not in self.dimensions:
            self.dimensions.append(name)
        return self.dimensions.index(name)

    def status(self, name: str) -> int:
        if name not in self.statuses:
            self.statuses.append(name)
        return self.statuses.index(name)

    def vocabulary_status(self, name: str) -> int:
        return self.status(self.reference.name("marketplace_metering_statuses", name))

    # -- accounts

    def _account_id(self) -> str:
        taken = {a.account_id for a in self.accounts}
        while (value := str(int(self.rng.integers(10**11, 10**12)))) in taken:
            pass
        return value

    def _add_accounts(self) -> None:
        span, cast = self.world.span, self.cast
        start = to_us(span.start)
        last = to_us(span.months[-1])
        for org in range(self.world.organizations):
            if org == cast.never_subscribed:
                sends = last + DAY_US
                self.accounts.append(
                    Account(
                        self._account_id(),
                        org,
                        None,
                        None,
                        sends,
                        sends + 8 * US_PER_H,
                        exported=False,
                    )
                )
            elif org == cast.mid_month_subscriber:
                subscribed = last + 13 * DAY_US + 10 * US_PER_H + 1062 * US_PER_S
                self.accounts.append(
                    Account(self._account_id(), org, subscribed, sends_from_us=last)
                )
            elif org == cast.two_accounts:
                left = start - 80 * DAY_US
                self.accounts.append(Account(self._account_id(), org, start - 400 * DAY_US, left))
                self.accounts.append(Account(self._account_id(), org, left + 3 * DAY_US))
            else:
                days = int(self.rng.integers(60, 500))
                subscribed = start - days * DAY_US - int(self.rng.integers(0, 86400)) * US_PER_S
                self.accounts.append(Account(self._account_id(), org, subscribed))
        self.staging = len(self.accounts)
        self.accounts.append(
            Account(self._account_id(), None, start - 700 * DAY_US, exported=False)
        )

    def accounts_of(self, org: int | None) -> list[int]:
        return [i for i, a in enumerate(self.accounts) if a.org == org]

    # -- what was sent

    def _batch(
        self,
        account: np.ndarray,
        dims: np.ndarray,
        hours: np.ndarray,
        qty: np.ndarray,
        status: np.ndarray,
        submitted: np.ndarray,
    ) -> Rows:
        return {
            "account": account.astype(np.int32),
            "dimension": dims.astype(np.int32),
            "hour": hours.astype(np.int64),
            "qty": qty.astype(np.int64),
            "status": status.astype(np.int32),
            "submitted": submitted.astype(np.int64),
        }

    def sent(self, org: int, month: int) -> Rows:
        """Every hour's batch of the organization's records with a quantity, sent 4-7 minutes
        after the hour to the account the control plane meters for then."""
        units = self.units[(org, month)]
        names = list(units)
        grid = np.stack([units[n] for n in names], axis=1)
        hour, column = np.nonzero(grid)
        first_hour = to_us(self.world.span.months[month])
        hours = first_hour + hour * US_PER_H
        account = np.full(len(hour), -1)
        subscribed = np.zeros(len(hour), dtype=bool)
        for index in self.accounts_of(org):
            sends = self.accounts[index].sends(hours)
            account[sends] = index
            subscribed[sends] = self.accounts[index].subscribed(hours[sends])
        jitter = self.rng.integers(0, 180, grid.shape[0]) * US_PER_S
        ok, not_subscribed = (
            self.vocabulary_status("Success"),
            self.vocabulary_status("CustomerNotSubscribed"),
        )
        rows = self._batch(
            account,
            np.array([self.dimension(n) for n in names])[column] if len(column) else column,
            hours,
            grid[hour, column],
            np.where(subscribed, ok, not_subscribed),
            hours + US_PER_H + 4 * 60 * US_PER_S + jitter[hour],
        )
        return take(rows, np.flatnonzero(account >= 0))

    def at_hour(self, rows: Rows, month: int, day: int, hour: int) -> np.ndarray:
        moment = to_us(self.world.span.months[month]) + (day - 1) * DAY_US + hour * US_PER_H
        return np.flatnonzero(rows["hour"] == moment)

    # -- the imperfections

    def outage(self, rows: Rows, month: int) -> tuple[Rows, dict[str, Any]]:
        """The sender crashed: three hours of the organization never sent."""
        lost = np.concatenate([self.at_hour(rows, month, 9, h) for h in (3, 4, 5)])
        hours = sorted({iso(from_us(h)) for h in rows["hour"][lost]})
        return take(rows, np.setdiff1d(np.arange(row_count(rows)), lost)), {"hours": hours}

    def throttled_then_too_late(self, rows: Rows, month: int) -> tuple[Rows, dict[str, Any]]:
        """A batch throttled, retried seven hours later: too late (never accepted)."""
        batch = self.at_hour(rows, month, 17, 5)
        rows["status"][batch] = self.status(THROTTLED)
        retry = take(rows, batch)
        retry["status"][:] = self.status(OUT_OF_BOUNDS)
        retry["submitted"] = retry["submitted"] + 7 * US_PER_H
        return concat([rows, retry]), self._hour_note(rows, batch, [THROTTLED, OUT_OF_BOUNDS])

    def rejected_then_retried(self, rows: Rows, month: int) -> tuple[Rows, dict[str, Any]]:
        """A batch rejected (a sender host's clock was off), retried 20 minutes later: accepted."""
        batch = self.at_hour(rows, month, 11, 14)
        retry = take(rows, batch)
        rows["status"][batch] = self.status(OUT_OF_BOUNDS)
        retry["submitted"] = retry["submitted"] + 20 * 60 * US_PER_S
        return concat([rows, retry]), self._hour_note(rows, batch, [OUT_OF_BOUNDS, "Success"])

    def resent_with_another_quantity(self, rows: Rows, month: int) -> tuple[Rows, dict[str, Any]]:
        """The hour's largest record first sent one unit short (accepted), then resent with the
        right quantity 40 minutes later: DuplicateRecord, the first write stands."""
        batch = self.at_hour(rows, month, 20, 9)
        if not len(batch):
            return rows, {}
        record = batch[int(np.argmax(rows["qty"][batch]))]
        resent = take(rows, np.array([record]))
        rows["qty"][record] -= 1
        resent["status"][:] = self.vocabulary_status("DuplicateRecord")
        resent["submitted"] = resent["submitted"] + 40 * 60 * US_PER_S
        note = self._hour_note(rows, np.array([record]), ["Success", "DuplicateRecord"])
        note |= {
            "accepted_quantity": int(rows["qty"][record]),
            "resent_quantity": int(resent["qty"][0]),
        }
        return concat([rows, resent]), note

    def clock_skew(self, rows: Rows, org: int, month: int) -> tuple[Rows, dict[str, Any]]:
        """One record stamped an hour late, in an hour where its dimension had nothing due."""
        units = self.units[(org, month)]
        first_hour = to_us(self.world.span.months[month])
        for name in sorted(units):
            q = units[name]
            due = np.flatnonzero((q[96:-1] > 0) & (q[97:] == 0))
            if not len(due):
                continue
            hour = first_hour + (96 + int(due[0])) * US_PER_H
            found = np.flatnonzero(
                (rows["hour"] == hour) & (rows["dimension"] == self.dimension(name))
            )
            if len(found) != 1:
                continue
            record = found[0]
            rows["hour"][record] += US_PER_H
            rows["submitted"][record] += US_PER_H
            return rows, {
                "dimension": name,
                "measured_hour": iso(from_us(hour)),
                "stamped_hour": iso(from_us(hour + US_PER_H)),
            }
        return rows, {}

    def retired_dimension(self, account: int, month: int) -> tuple[Rows, dict[str, Any]]:
        """Six hourly records of a dimension the listing no longer has: rejected."""
        hours = to_us(self.world.span.months[month]) + 2 * DAY_US + np.arange(6) * US_PER_H
        rows = self._fixed(account, RETIRED_DIMENSION, hours, self.status(INVALID_DIMENSION))
        return rows, {"dimension": RETIRED_DIMENSION, "status": INVALID_DIMENSION, "rows": 6}

    def staging_records(self, month: int) -> tuple[Rows, dict[str, Any]]:
        """A day of uptime records of AutoMQ's staging account, accepted by AWS."""
        listing = self.listings[month]
        name = next(d.name for d in listing.dimensions if d.cluster_tier is not None)
        hours = to_us(self.world.span.months[month]) + DAY_US + np.arange(24) * US_PER_H
        rows = self._fixed(self.staging, name, hours, self.vocabulary_status("Success"))
        return rows, {"dimension": name, "rows": 24}

    def _fixed(self, account: int, dimension: str, hours: np.ndarray, status: int) -> Rows:
        n = len(hours)
        return self._batch(
            np.full(n, account),
            np.full(n, self.dimension(dimension)),
            hours,
            np.ones(n),
            np.full(n, status),
            hours + US_PER_H + 5 * 60 * US_PER_S,
        )

    def _hour_note(self, rows: Rows, batch: np.ndarray, statuses: list[str]) -> dict[str, Any]:
        if not len(batch):
            return {}
        note = {
            "usage_hour": iso(from_us(rows["hour"][batch[0]])),
            "statuses": statuses,
            "records": len(batch),
        }
        if len(batch) == 1:
            note["dimension"] = self.dimensions[rows["dimension"][batch[0]]]
        return note

    # -- the whole log

    def log(self) -> Rows:
        roles = self.world.roles
        blocks: list[Rows] = []
        for month in range(len(self.world.span.months)):
            month_notes: dict[str, Any] = {}
            for org in range(self.world.organizations):
                if (org, month) not in self.units:
                    continue
                rows = self.sent(org, month)
                if org == roles.tier3:
                    rows, month_notes["not_sent"] = self.outage(rows, month)
                    rows, month_notes["rejected"] = self.throttled_then_too_late(rows, month)
                    account = self.accounts_of(org)[-1]
                    retired, month_notes["unknown_dimension"] = self.retired_dimension(
                        account, month
                    )
                    blocks.append(retired)
                if org == roles.tier2:
                    rows, month_notes["retried"] = self.rejected_then_retried(rows, month)
                    rows, month_notes["duplicate_record"] = self.resent_with_another_quantity(
                        rows, month
                    )
                if org == roles.tier1_only:
                    rows, month_notes["clock_skew"] = self.clock_skew(rows, org, month)
                blocks.append(rows)
            staging, month_notes["unknown_customer"] = self.staging_records(month)
            blocks.append(staging)
            self.notes[f"{self.world.span.months[month]:%Y-%m}"] = month_notes
        rows = concat(blocks)
        rows = take(
            rows,
            np.lexsort(
                (
                    rows["status"],
                    rows["hour"],
                    rows["dimension"],
                    rows["account"],
                    rows["submitted"],
                )
            ),
        )
        ok = rows["status"] == self.vocabulary_status("Success")
        rows["record"] = np.full(row_count(rows), -1, dtype=np.int64)
        rows["record"][ok] = np.arange(int(ok.sum()))
        raw = self.rng.bytes(16 * int(ok.sum())).hex()
        self.record_ids = [uuid_text(raw[i : i + 32]) for i in range(0, len(raw), 32)]
        return rows

    def accepted(self, rows: Rows) -> dict[tuple[int, int], dict[str, int]]:
        """(account, month) -> dimension -> accepted units: per (account, dimension, hour) the
        earliest Success by submitted_at (ties: the smallest record id), as AWS bills them."""
        ok = np.flatnonzero(rows["status"] == self.vocabulary_status("Success"))
        span = self.world.span
        months = span.month_of_hours((rows["hour"][ok] - span.start_us) // US_PER_H).tolist()
        records = sorted(
            (a, d, h, submitted, self.record_ids[r], q, m)
            for a, d, h, submitted, r, q, m in zip(
                rows["account"][ok].tolist(),
                rows["dimension"][ok].tolist(),
                rows["hour"][ok].tolist(),
                rows["submitted"][ok].tolist(),
                rows["record"][ok].tolist(),
                rows["qty"][ok].tolist(),
                months,
                strict=True,
            )
        )
        seen: set[tuple[int, int, int]] = set()
        out: dict[tuple[int, int], dict[str, int]] = {}
        for account, dimension, hour, _, _, quantity, month in records:
            if (account, dimension, hour) in seen:
                continue
            seen.add((account, dimension, hour))
            per_dimension = out.setdefault((account, month), {})
            name = self.dimensions[dimension]
            per_dimension[name] = per_dimension.get(name, 0) + quantity
        return out


def uuid_text(text: str) -> str:
    """32 hex digits written as a UUID."""
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# ---------------------------------------------------------------------------------------------
# files


def _metering_table(rows: Rows, log: MeteringLog, schema: pa.Schema) -> pa.Table:
    span = log.world.span
    months = span.month_of_hours((rows["hour"] - span.start_us) // US_PER_H)
    return pa.table(
        {
            "product_code": [log.listings[m].product_code for m in months.tolist()],
            "customer_aws_account_id": [log.accounts[a].account_id for a in rows["account"]],
            "dimension": [log.dimensions[d] for d in rows["dimension"]],
            "usage_hour": rows["hour"],
            "quantity": rows["qty"],
            "status": [log.statuses[s] for s in rows["status"]],
            "metering_record_id": [log.record_ids[r] if r >= 0 else None for r in rows["record"]],
            "submitted_at": rows["submitted"],
        },
        schema=schema,
    )


def _customers_table(accounts: list[Account], log: MeteringLog, schema: pa.Schema) -> pa.Table:
    return pa.table(
        {
            "organization_id": [log.world.names.orgs[a.org or 0] for a in accounts],
            "product_code": [log.listings[0].product_code] * len(accounts),
            "customer_aws_account_id": [a.account_id for a in accounts],
            "subscribed_at": [a.subscribed_us for a in accounts],
            "unsubscribed_at": [a.unsubscribed_us for a in accounts],
        },
        schema=schema,
    )


def metering_files(log: MeteringLog, rows: Rows) -> list[PlannedFile]:
    """The metering log by day of submission, and the customers: one history file for the
    subscriptions before the span, then one file per day with a new subscription."""
    reference = log.reference
    planned = []
    days = (rows["submitted"] // DAY_US) * DAY_US
    schema = reference.schema("marketplace_metering")
    for day_us in np.unique(days).tolist():
        day = from_us(day_us).date()
        block = take(rows, np.flatnonzero(days == day_us))
        render = partial(_render, _metering_table, block, log, schema)
        planned.append(
            PlannedFile(
                "marketplace_metering",
                f"marketplace_metering/date={day:%Y-%m-%d}/part-0000.parquet",
                export_landing(day),
                row_count(block),
                render,
            )
        )
    schema = reference.schema("marketplace_customers")
    start = log.world.span.start
    groups: dict[tuple[str, dt.datetime], list[Account]] = {}
    for account in log.accounts:
        if not account.exported or account.subscribed_us is None:
            continue
        day = from_us(account.subscribed_us).date()
        key = (
            ("history", history_landing(start))
            if day < start
            else (f"date={day:%Y-%m-%d}", export_landing(day))
        )
        groups.setdefault(key, []).append(account)
    for (folder, landed), accounts in sorted(groups.items()):
        render = partial(_render, _customers_table, accounts, log, schema)
        planned.append(
            PlannedFile(
                "marketplace_customers",
                f"marketplace_customers/{folder}/part-0000.parquet",
                landed,
                len(accounts),
                render,
            )
        )
    return planned


def _render(table: Any, rows: Any, log: MeteringLog, schema: pa.Schema) -> bytes:
    return parquet_bytes(table(rows, log, schema))


def marketplace_notes(log: MeteringLog) -> dict[str, Any]:
    """Who is who on Marketplace, by id (GenerateSummary.notes["marketplace"])."""
    names, cast = log.world.names, log.cast

    def accounts(org: int | None) -> list[dict[str, Any]]:
        return [
            {
                "customer_aws_account_id": a.account_id,
                "subscribed_at": None if a.subscribed_us is None else iso(from_us(a.subscribed_us)),
                "unsubscribed_at": (
                    None if a.unsubscribed_us is None else iso(from_us(a.unsubscribed_us))
                ),
                "in_customers_export": a.exported,
            }
            for a in (log.accounts[i] for i in log.accounts_of(org))
        ]

    def who(org: int | None) -> dict[str, Any] | None:
        if org is None:
            return None
        return {"organization_id": names.orgs[org], "accounts": accounts(org)}

    return {
        "product_code": log.listings[-1].product_code,
        "product_id": log.listings[-1].product_id,
        "accounts": {
            names.orgs[o]: [a["customer_aws_account_id"] for a in accounts(o)]
            for o in range(log.world.organizations)
        },
        "subscriptions": {
            "mid_month_subscriber": who(cast.mid_month_subscriber),
            "two_accounts": who(cast.two_accounts),
            "never_subscribed": who(cast.never_subscribed),
            "staging_account": log.accounts[log.staging].account_id,
        },
        "metering": {
            "sender_issues": {
                "tier3": names.orgs[log.world.roles.tier3],
                "tier2": None
                if log.world.roles.tier2 is None
                else names.orgs[log.world.roles.tier2],
                "clock_skew": None
                if log.world.roles.tier1_only is None
                else names.orgs[log.world.roles.tier1_only],
            },
            "by_month": log.notes,
        },
    }
