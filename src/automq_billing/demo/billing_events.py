"""AWS's seller data feed `billing_event` (SPEC 9.1, DOMAIN.md) for the demo: what AWS invoiced,
refunded and disbursed for the records it accepted, as delivered (CSV, header row, every field
quoted, empty strings for nulls, ISO 8601 dates and timestamps, amounts with up to 6 decimals,
extra columns the warehouse ignores). AWS invoices a month on the 3rd of the next; every row is
immutable and versioned (a change is a new row with a later update_date).

Per month and account with accepted usage: an INVOICED SELLER_REV_SHARE (the accepted amount:
per dimension, accepted units x the listing's price, rounded to cents) and an AWS_REV_SHARE (the
listing fee, negative); disbursed on the 20th (a DISBURSEMENT row, and new versions of the
disbursed events carrying its id). In the last month only:
- one organization is not invoiced at all;
- one organization's invoice is updated the next day with another amount (a late discount);
- one organization gets a duplicate invoice event, deleted the next day;
- one organization (the one with two accounts) gets a partial refund, with its listing fee.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

import numpy as np

from automq_billing.demo.clock import iso, midnight
from automq_billing.demo.files import PlannedFile, csv_bytes
from automq_billing.demo.marketplace import MeteringLog, uuid_text
from automq_billing.demo.reference import Reference
from automq_billing.demo.timeline import disbursement_day, feed_landing, invoice_day
from automq_billing.months import next_month

DATASET = "marketplace_billing_events"
LISTING_FEE = Decimal("0.03")  # AWS's share of SaaS listings: a few percent
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
# columns AWS delivers that the warehouse does not read, after the column they follow
_EXTRA_COLUMNS = {
    "invoice_id": ("billing_address_id",),
    "transaction_reference_id": ("bank_trace_id", "broker_id", "valid_from"),
}

Event = dict[str, str]


def feed_columns(reference: Reference) -> list[str]:
    """The feed's header: the contract's columns (sources YAML) with AWS's extra ones."""
    columns = []
    for column in reference.columns(DATASET):
        columns.append(column)
        columns.extend(_EXTRA_COLUMNS.get(column, ()))
    return columns


def _amount(value: Decimal) -> str:
    return f"{value.quantize(MICRO).normalize():f}"


class Feed:
    """Builds the feed's rows (every version of every event), in delivery order."""

    def __init__(self, rng: np.random.Generator, log: MeteringLog, currency: str) -> None:
        self.rng, self.log, self.currency = rng, log, currency
        self.seller = self._digits(12)
        self.aws = self._digits(12)
        self.rows: list[tuple[dt.datetime, Event]] = []
        self.current: dict[str, Event] = {}
        self.notes: dict[str, Any] = {}

    def _digits(self, n: int) -> str:
        return str(int(self.rng.integers(10 ** (n - 1), 10**n)))

    def new_id(self) -> str:
        return uuid_text(self.rng.bytes(16).hex())

    def publish(self, at: dt.datetime, event: Event) -> Event:
        """A new row (a new event, or a new version of one) delivered at `at`."""
        event = {**event, "update_date": iso(at)}
        self.rows.append((at, event))
        self.current[event["billing_event_id"]] = event
        return event

    def revise(self, event_id: str, at: dt.datetime, **changes: str) -> Event:
        return self.publish(at, {**self.current[event_id], **changes})

    def invoice(
        self, month: dt.date, account: str, product_id: str, amount: Decimal, at: dt.datetime
    ) -> tuple[Event, Event]:
        """The month's INVOICED seller share and listing fee for one account."""
        day = invoice_day(month)
        common = {
            "end_user_account_id": account,
            "product_id": product_id,
            "action": "INVOICED",
            "currency": self.currency,
            "balance_impacting": "1",
            "invoice_date": day.isoformat(),
            "payment_due_date": (day + dt.timedelta(days=30)).isoformat(),
            "usage_period_start_date": iso(midnight(month)),
            "usage_period_end_date": iso(midnight(next_month(month))),
            "invoice_id": self._digits(10),
            "transaction_reference_id": self.rng.bytes(12).hex(),
            "broker_id": "",
            "valid_from": iso(at),
        }
        seller = self.publish(
            at,
            {
                **common,
                "billing_event_id": self.new_id(),
                "from_account_id": account,
                "to_account_id": self.seller,
                "transaction_type": "SELLER_REV_SHARE",
                "amount": _amount(amount),
                "billing_address_id": "addr-" + self.rng.bytes(8).hex(),
            },
        )
        fee = self.publish(
            at,
            {
                **common,
                "billing_event_id": self.new_id(),
                "from_account_id": self.seller,
                "to_account_id": self.aws,
                "transaction_type": "AWS_REV_SHARE",
                "amount": _amount(-(amount * LISTING_FEE).quantize(MICRO)),
            },
        )
        return seller, fee

    def refund(self, seller: Event, fee: Event, share: Decimal, at: dt.datetime) -> Event:
        refunded = (Decimal(seller["amount"]) * share).quantize(CENT, ROUND_HALF_UP)
        refund = self.publish(
            at,
            {
                **seller,
                "billing_event_id": self.new_id(),
                "parent_billing_event_id": seller["billing_event_id"],
                "transaction_type": "SELLER_REV_SHARE_REFUND",
                "amount": _amount(-refunded),
                "valid_from": iso(at),
            },
        )
        self.publish(
            at,
            {
                **fee,
                "billing_event_id": self.new_id(),
                "parent_billing_event_id": fee["billing_event_id"],
                "transaction_type": "AWS_REV_SHARE_REFUND",
                "amount": _amount((refunded * LISTING_FEE).quantize(MICRO)),
                "valid_from": iso(at),
            },
        )
        return refund

    def disburse(self, month_events: list[str], at: dt.datetime) -> str:
        """Pay the seller the month's net: a DISBURSEMENT row, and the disbursed events again
        with its id."""
        live = [self.current[i] for i in month_events if not self.current[i].get("delete_date")]
        net = sum((Decimal(e["amount"]) for e in live), Decimal(0))
        disbursement = self.publish(
            at,
            {
                "billing_event_id": self.new_id(),
                "from_account_id": self.aws,
                "to_account_id": self.seller,
                "action": "DISBURSED",
                "transaction_type": "DISBURSEMENT",
                "amount": _amount(-net),
                "currency": self.currency,
                "balance_impacting": "1",
                "bank_trace_id": self.rng.bytes(10).hex(),
                "broker_id": "",
                "valid_from": iso(at),
            },
        )
        for event in live:
            self.revise(
                event["billing_event_id"],
                at,
                disbursement_billing_event_id=disbursement["billing_event_id"],
            )
        return disbursement["billing_event_id"]


def _accepted_amount(units: dict[str, int], prices: dict[str, Decimal]) -> Decimal:
    """Per dimension of the listing, accepted units x price rounded to cents, summed."""
    return sum(
        (
            (Decimal(q) * prices[d]).quantize(CENT, ROUND_HALF_UP)
            for d, q in units.items()
            if d in prices
        ),
        Decimal(0),
    )


def billing_events(
    rng: np.random.Generator, log: MeteringLog, accepted: dict[tuple[int, int], dict[str, int]]
) -> Feed:
    """Every version of every billing event of the months the demo covers."""
    reference, cast, names = log.reference, log.cast, log.world.names
    feed = Feed(rng, log, reference.name("currencies", "USD"))
    months = log.world.span.months
    for index, month in enumerate(months):
        listing = log.listings[index]
        prices = {d.name: d.price for d in listing.dimensions}
        at = midnight(invoice_day(month)) + dt.timedelta(hours=6)
        next_day = at + dt.timedelta(days=1)
        last = index == len(months) - 1
        month_events: list[str] = []
        for account_index, account in enumerate(log.accounts):
            amount = _accepted_amount(accepted.get((account_index, index), {}), prices)
            if amount <= 0:
                continue
            if last and account.org is not None and account.org == cast.not_invoiced:
                feed.notes["not_invoiced"] = {
                    "organization_id": names.orgs[account.org],
                    "customer_aws_account_id": account.account_id,
                    "month": f"{month:%Y-%m}",
                }
                continue
            at += dt.timedelta(seconds=37)
            seller, fee = feed.invoice(month, account.account_id, listing.product_id, amount, at)
            month_events += [seller["billing_event_id"], fee["billing_event_id"]]
            if last and account.org is not None:
                month_events += _last_month_cases(feed, account.org, seller, fee, next_day)
        at = midnight(disbursement_day(month)) + dt.timedelta(hours=4)
        feed.notes.setdefault("disbursements", {})[f"{month:%Y-%m}"] = feed.disburse(
            month_events, at
        )
    return feed


def _last_month_cases(
    feed: Feed, org: int, seller: Event, fee: Event, next_day: dt.datetime
) -> list[str]:
    """The last month's updated, deleted and refunded events; the ids of new events."""
    cast, names = feed.log.cast, feed.log.world.names
    seller_id = seller["billing_event_id"]
    organization = names.orgs[org]
    if org == cast.invoice_mismatch:
        first = Decimal(seller["amount"])
        second = first - (first * Decimal("0.05")).quantize(CENT, ROUND_HALF_UP)
        feed.revise(seller_id, next_day, amount=_amount(second))
        feed.notes["invoice_mismatch"] = {
            "organization_id": organization,
            "billing_event_id": seller_id,
            "amounts": [_amount(first), _amount(second)],
        }
    if org == cast.deleted_event:
        duplicate = feed.publish(seller_date(seller), {**seller, "billing_event_id": feed.new_id()})
        feed.revise(duplicate["billing_event_id"], next_day, delete_date=iso(next_day))
        feed.notes["deleted_event"] = {
            "organization_id": organization,
            "billing_event_id": duplicate["billing_event_id"],
            "duplicate_of": seller_id,
        }
        return [duplicate["billing_event_id"]]
    if org == cast.two_accounts:
        refund = feed.refund(seller, fee, Decimal("0.1"), next_day)
        feed.notes["refund"] = {
            "organization_id": organization,
            "billing_event_id": refund["billing_event_id"],
            "parent_billing_event_id": seller_id,
        }
        return [refund["billing_event_id"]]
    return []


def seller_date(event: Event) -> dt.datetime:
    return dt.datetime.fromisoformat(event["update_date"].replace("Z", "+00:00"))


def billing_event_files(feed: Feed) -> list[PlannedFile]:
    """One CSV per delivery day, landing the next day."""
    header = feed_columns(feed.log.reference)
    days: dict[dt.date, list[Event]] = {}
    for at, event in feed.rows:
        days.setdefault(at.date(), []).append(event)
    return [
        PlannedFile(
            DATASET,
            f"{DATASET}/date={day:%Y-%m-%d}/billing_event.csv",
            feed_landing(day),
            len(events),
            partial(csv_bytes, header, [[e.get(c, "") for c in header] for e in events]),
        )
        for day, events in sorted(days.items())
    ]
