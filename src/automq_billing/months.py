"""Billing months (SPEC 0): `YYYY-MM` on the command line, the first day as a date inside; and
the one home of month arithmetic (`add_months`, `next_month`, `month_index`, `days_in_month`):
no other module computes a month from `year * 12 + month` or `month % 12` itself."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from automq_billing.errors import BillingError

_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")


def parse_month(text: str, option: str = "--month") -> dt.date:
    """`2026-10` -> date(2026, 10, 1); anything else is refused with what a month looks like."""
    match = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match["month"]) <= 12 or not 1900 <= int(match["year"]) <= 9999:
        raise BillingError(
            f"{option} must be a month written YYYY-MM, between 1900-01 and 9999-12; got {text!r}.",
            hint=f"pass e.g. {option} 2026-10",
        )
    return dt.date(int(match["year"]), int(match["month"]), 1)


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month_range(text: str, option: str = "--months") -> list[dt.date]:
    """`2026-10` or `2026-09:2026-10` (both ends included) -> the first day of every month of
    the range, in order; anything else is refused with what a range looks like."""
    parts = text.split(":") if isinstance(text, str) else []
    if not 1 <= len(parts) <= 2:
        raise BillingError(
            f"{option} must be a month or a range of months written YYYY-MM or "
            f"YYYY-MM:YYYY-MM; got {text!r}.",
            hint=f"pass e.g. {option} 2026-09:2026-10",
        )
    first, last = (parse_month(part.strip(), option) for part in (parts[0], parts[-1]))
    if last < first:
        raise BillingError(
            f"{option} {text!r} runs backwards: {format_month(last)} comes before "
            f"{format_month(first)}.",
            hint=f"write the earlier month first, e.g. {option} "
            f"{format_month(last)}:{format_month(first)}",
        )
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def month_index(month: dt.date) -> int:
    """A count of months since year 0 (`year * 12 + month - 1`): consecutive months differ by 1."""
    return month.year * 12 + month.month - 1


def add_months(day: dt.date, count: int) -> dt.date:
    """`day` moved by `count` months (negative: back), its day clamped to the target month's
    last day, as DuckDB's `date + interval 'n month'`; the first of a month stays the first."""
    year, month = divmod(month_index(day) + count, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s month."""
    return add_months(day.replace(day=1), 1)


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]
