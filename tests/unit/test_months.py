"""Unit tests of automq_billing.months: month and month-range parsing, month arithmetic, and that
no other module computes months itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from automq_billing.errors import BillingError
from automq_billing.months import (
    add_months,
    days_in_month,
    month_index,
    next_month,
    parse_month_range,
)
from helpers import REPO

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


def test_month_arithmetic_crosses_years_and_clamps_days() -> None:
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 2, 1), -3) == dt.date(2025, 11, 1)
    assert add_months(dt.date(2026, 1, 1), -12) == dt.date(2025, 1, 1)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)  # as DuckDB's interval
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert next_month(dt.date(2026, 12, 17)) == dt.date(2027, 1, 1)
    assert month_index(dt.date(2027, 1, 1)) - month_index(dt.date(2026, 12, 1)) == 1
    assert [days_in_month(dt.date(y, m, 1)) for y, m in ((2026, 2), (2028, 2), (2026, 4))] == [
        28,
        29,
        30,
    ]


# month arithmetic written out: `year * 12 + month`, `month // 12`, `month % 12`, `divmod(..., 12)`,
# `calendar.monthrange`
MONTH_ARITHMETIC = re.compile(r"\* 12 \+|// 12\b|% 12\b|divmod\([^)]*,\s*12\)|monthrange")


def test_month_arithmetic_is_written_only_in_months_py() -> None:
    package = REPO / "src" / "automq_billing"
    copies = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "months.py" or path.parent != package
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MONTH_ARITHMETIC.search(line)
    ]
    assert not copies, "month arithmetic outside months.py (use its functions): " + "; ".join(
        copies
    )
