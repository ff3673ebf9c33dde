"""Time in the demo data: UTC instants as integer microseconds (what the numpy row blocks hold)
and the span of months a landing covers (month arithmetic is `automq_billing.months`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from automq_billing.months import next_month

UTC = dt.UTC
US_PER_S = 1_000_000
US_PER_H = 3600 * US_PER_S
US_PER_DAY = 24 * US_PER_H
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def midnight(day: dt.date) -> dt.datetime:
    """The UTC instant a day starts."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def to_us(moment: dt.date | dt.datetime) -> int:
    """Microseconds since the epoch; a date is its UTC midnight, a naive datetime is UTC."""
    if not isinstance(moment, dt.datetime):
        moment = midnight(moment)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * US_PER_S + delta.microseconds


def from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(us))


def iso(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a `Z`: `2026-10-03T06:12:45Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Span:
    """The consecutive months a demo landing covers; hours are counted from its first midnight."""

    months: tuple[dt.date, ...]

    @classmethod
    def of(cls, months: list[dt.date] | tuple[dt.date, ...]) -> Span:
        firsts = sorted({dt.date(m.year, m.month, 1) for m in months})
        if not firsts:
            raise ValueError("no months to generate")
        expected = [firsts[0]]
        while len(expected) < len(firsts):
            expected.append(next_month(expected[-1]))
        if firsts != expected:
            raise ValueError("the months to generate must be consecutive")
        return cls(tuple(firsts))

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def end(self) -> dt.date:
        return next_month(self.months[-1])

    @property
    def start_us(self) -> int:
        return to_us(self.start)

    @property
    def hours(self) -> int:
        return (self.end - self.start).days * 24

    def month_start_hours(self) -> np.ndarray:
        """Hour offset of each month's start, and of the span's end."""
        return np.array([(m - self.start).days * 24 for m in (*self.months, self.end)])

    def month_of_hours(self, hours: np.ndarray) -> np.ndarray:
        """Index of the month each hour offset falls in."""
        return np.searchsorted(self.month_start_hours(), hours, side="right") - 1

    def hour_of(self, moment: dt.datetime) -> int:
        return (to_us(moment) - self.start_us) // US_PER_H
