"""Billing months (SPEC 0): `YYYY-MM` on the command line, the first day as a date inside."""

from __future__ import annotations

import datetime as dt
import re

from automq_billing.errors import BillingError

_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")


def parse_month(text: str, option: str = "--month") -> dt.date:
    """`2026-10` -> date(2026, 10, 1); anything else is refused with what a month looks like."""
    match = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match["month"]) <= 12 or not 2000 <= int(match["year"]) <= 2999:
        raise BillingError(
            f"{option} must be a month written YYYY-MM, between 2000-01 and 2999-12; got {text!r}.",
            hint=f"pass e.g. {option} 2026-10",
        )
    return dt.date(int(match["year"]), int(match["month"]), 1)


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
