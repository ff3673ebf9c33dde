"""Unit tests of automq_billing.months: month and month-range parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from automq_billing.errors import BillingError
from automq_billing.months import parse_month_range

pytestmark = pytest.mark.unit


def test_a_single_month_and_a_range() -> None:
    assert parse_month_range("2026-10") == [dt.date(2026, 10, 1)]
    assert parse_month_range("2026-09:2026-10") == [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert parse_month_range("2026-11:2027-02") == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
    ]
    assert parse_month_range("2026-10:2026-10") == [dt.date(2026, 10, 1)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-13", "YYYY-MM"),
        ("2026-00", "YYYY-MM"),
        ("", "YYYY-MM"),
        ("2026/10", "YYYY-MM"),
        ("2026-10-01", "YYYY-MM"),
        ("2026-09:2026-10:2026-11", "YYYY-MM:YYYY-MM"),
        ("2026-10:2026-09", "runs backwards"),
    ],
)
def test_bad_ranges_are_refused_with_a_sentence(text: str, fragment: str) -> None:
    with pytest.raises(BillingError, match=fragment) as error:
        parse_month_range(text)
    assert error.value.hint
