"""Billing months (SPEC 0): `YYYY-MM` on the command line, the first day as a date inside."""

from __future__ import annotations

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
        current = months[-1]
        months.append(dt.date(current.year + current.month // 12, current.month % 12 + 1, 1))
    return months
