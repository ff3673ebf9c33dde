"""Words and numbers as the documents print them: exact decimals, dates, tiers, channels, names.

Money and quantities are printed from `decimal.Decimal` values (never through a float), for people:
amounts with thousands separators and two decimals (`money_text`), quantities exactly without
trailing zeros (`quantity_text`), unit prices with at least two decimals and no needless zeros
(`price_text`), byte counts in GiB (`gib_text`); percentages are rounded half away from zero, like
every other figure. The data files (CSV, Parquet, workbook) keep the close's own decimals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import ROUND_HALF_UP, Decimal

from automq_billing.months import next_month

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

GIB_PER_TIB = Decimal(1024)
BYTES_PER_GIB = Decimal(2**30)

ITEM_TITLES = {
    "data_ingress": "Data ingress",
    "data_egress": "Data egress",
    "data_retention": "Data retention",
    "cluster_uptime": "Cluster uptime",
    "aku_subscription": "AKU subscriptions",
}

ITEM_ORDER = tuple(ITEM_TITLES)

CLUSTER_TIER_TITLES = {"dev": "Dev", "pro": "Pro", "enterprise": "Enterprise"}

TERM_TITLES = {"monthly": "Monthly", "yearly": "Yearly", "trial": "Trial"}

_MARKETPLACES = {
    "aws_marketplace": "AWS Marketplace",
    "azure_marketplace": "Azure Marketplace",
    "gcp_marketplace": "Google Cloud Marketplace",
    "alibaba_marketplace": "Alibaba Cloud Marketplace",
}

# who invoices a charge (statement_lines.invoiced_by, SPEC 10.2), as the documents name it
INVOICER_TITLES = {"automq": "AutoMQ", **_MARKETPLACES}

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

# Names the documents folder already uses for its own files: an organization called so gets the
# hashed name, so that its statement never overwrites the index or the close report.
RESERVED_NAMES = frozenset({"index", "close_report", "close"})


def decimal_text(value: Decimal) -> str:
    """The plain positional text of a Decimal, keeping its scale: 3225.60, -0.45, 0.000000."""
    return format(value, "f")


def money_text(value: Decimal) -> str:
    """An amount as people read it: thousands separators and two decimals, rounded half away
    from zero when the value carries more (a Marketplace sum at six decimals): 1234567.5 ->
    1,234,567.50, -0.45 -> -0.45."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(cents if cents else abs(cents), ",f")  # never "-0.00"


def quantity_text(value: Decimal) -> str:
    """A quantity with thousands separators and no trailing zeros (the exact value the line was
    priced on, never cut short): 10240.000000 -> 10,240, 1536.250000 -> 1,536.25. Hours are
    whole numbers by the rules; a fraction is still shown rather than hidden."""
    return format(value.quantize(Decimal(1).scaleb(-_places(value))), ",f")


def gib_text(byte_count: int) -> str:
    """A byte count in GiB (2^30 bytes) with thousands separators and two decimals, rounded half
    away from zero: 9000000000000 -> 8,381.90."""
    return money_text(Decimal(byte_count) / BYTES_PER_GIB)


def price_text(value: Decimal) -> str:
    """A unit price without trailing zeros beyond what the price needs, but with at least two
    decimals, as money is written: 0.050000 -> 0.05, 0.400000 -> 0.40, 0.035000 -> 0.035,
    1200.000000 -> 1,200.00."""
    return format(value.quantize(Decimal(1).scaleb(-_places(value, 2))), ",f")


def _places(value: Decimal, minimum: int = 0) -> int:
    return max(minimum, -value.normalize().as_tuple().exponent, 0)


def money_sum(values: list[Decimal]) -> Decimal:
    """Sum of cent amounts, at two decimal places even when there is nothing to add."""
    return sum(values, Decimal("0.00")).quantize(Decimal("0.01"))


def short_decimal(value: Decimal, minimum_places: int = 0) -> str:
    """A Decimal without trailing zeros but with at least `minimum_places` decimals: 0.035000 ->
    0.035, 1200.000000 -> 1200.00 (with 2), 10240.000000 -> 10240."""
    normalized = value.normalize()
    places = max(minimum_places, -normalized.as_tuple().exponent)
    return decimal_text(value.quantize(Decimal(1).scaleb(-places)))


def long_date(day: dt.date) -> str:
    """1 October 2026 (no locale involved)."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def month_title(month: dt.date) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def service_period(month: dt.date) -> str:
    """1 October 2026 00:00 UTC to 1 November 2026 00:00 UTC (the end is exclusive)."""
    start, end = service_period_bounds(month)
    return f"{start} to {end}"


def service_period_bounds(month: dt.date) -> tuple[str, str]:
    """The first instant of the month and the first instant after it, in words."""
    return f"{long_date(month)} 00:00 UTC", f"{long_date(next_month(month))} 00:00 UTC"


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 timestamp from a manifest, as an aware UTC datetime (naive means UTC)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    """2 November 2026 03:00 UTC."""
    return f"{long_date(moment.date())} {moment:%H:%M} UTC"


def through_text(start: dt.date, end_exclusive: dt.date) -> str:
    """A licence term written for people: 15 October 2026 through 14 October 2027."""
    return f"{long_date(start)} through {long_date(end_exclusive - dt.timedelta(days=1))}"


def size_text(gib: Decimal, unit: str) -> str:
    """A tier bound in words: whole TiB as TiB (10240 GiB -> 10 TiB), anything else in GiB.
    For GiB-month bounds the suffix follows (10 TiB-month)."""
    suffix = unit.removeprefix("GiB")
    if gib != 0 and gib % GIB_PER_TIB == 0:
        return f"{quantity_text(gib / GIB_PER_TIB)} TiB{suffix}"
    return f"{quantity_text(gib)} GiB{suffix}"


def tier_range_text(
    lower: Decimal, upper: Decimal | None, unit_price: Decimal, unit: str, currency: str = "USD"
) -> str:
    """10 TiB to 100 TiB at 0.035 USD per GiB; Up to 10 TiB ...; 1000 TiB and above ..."""
    price = f"at {price_text(unit_price)} {currency} per {unit}"
    if upper is None:
        return f"{size_text(lower, unit)} and above {price}"
    if lower == 0:
        return f"Up to {size_text(upper, unit)} {price}"
    return f"{size_text(lower, unit)} to {size_text(upper, unit)} {price}"


def channel_text(sales_channel: str | None, aws_account_id: str | None) -> str:
    """How the statement names who invoices it."""
    if sales_channel in _MARKETPLACES:
        words = f"Invoiced by {_MARKETPLACES[sales_channel]}"
        if sales_channel == "aws_marketplace" and aws_account_id:
            words += f" (AWS account {aws_account_id})"
        return words
    if sales_channel == "offline_contract":
        return "Offline contract"
    if sales_channel == "direct":
        return "Direct"
    if sales_channel is None:
        return "Not recorded"
    return sales_channel


def invoicer_text(invoiced_by: str | None) -> str:
    """The party that invoices a line, in words ("" for a version closed before lines named it)."""
    if invoiced_by is None:
        return ""
    return INVOICER_TITLES.get(invoiced_by, invoiced_by)


def invoicers_heading(parties: list[str], aws_account_id: str | None) -> str:
    """The statement's header line on who invoices it, from its lines' parties (the one rule of
    SPEC 10.2): one party, or every party in order, AutoMQ first."""
    ordered = sorted(set(parties), key=lambda p: (p != "automq", p))
    names = [INVOICER_TITLES.get(p, p) for p in ordered]
    words = "Invoiced by " + (" and ".join(names) if len(names) <= 2 else ", ".join(names))
    if "aws_marketplace" in ordered and aws_account_id:
        words += f" (AWS account {aws_account_id})"
    if len(ordered) > 1:
        words += "; each line names its party"
    return words


def document_name(organization_id: str) -> str:
    """The file name (without suffix) of an organization's statement: its id when that is a plain
    name, else `org-<16 hex of sha256(id)>`."""
    if _PLAIN_NAME.fullmatch(organization_id) and organization_id not in RESERVED_NAMES:
        return organization_id
    return f"org-{hashlib.sha256(organization_id.encode('utf-8')).hexdigest()[:16]}"


def statement_number(month: dt.date, organization_id: str, version: int) -> str:
    """AMQ-2026-10-<8 hex>-v1: the same month, organization and version always give the same
    number, and two organizations practically never share one."""
    key = f"{month_label(month)}\n{organization_id}\n{version}".encode()
    return f"AMQ-{month_label(month)}-{hashlib.sha256(key).hexdigest()[:8]}-v{version}"


def percent_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """(current - previous) / |previous| in percent, one decimal, half away from zero; None when
    the previous total is zero (no meaningful percentage)."""
    if previous == 0:
        return None
    change = (current - previous) / abs(previous) * 100
    return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def signed_percent_text(value: Decimal) -> str:
    return f"{'+' if value > 0 else ''}{decimal_text(value)} %"
