"""Words and numbers of the documents: exact decimals, dates, tier ranges, channels, naming."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from automq_billing.documents.text import (
    channel_text,
    decimal_text,
    gib_text,
    money_text,
    percent_change,
    price_text,
    quantity_text,
    service_period,
    short_decimal,
    size_text,
    statement_number,
    through_text,
    tier_range_text,
)
from automq_billing.documents.workbook import neutralise

pytestmark = pytest.mark.unit


def test_decimals_print_with_their_scale_and_never_in_exponent_form():
    assert decimal_text(Decimal("3225.60")) == "3225.60"
    assert decimal_text(Decimal("0E-6")) == "0.000000"
    assert decimal_text(Decimal("-0.45")) == "-0.45"
    assert decimal_text(Decimal("1E+3")) == "1000"
    assert short_decimal(Decimal("0.035000"), 2) == "0.035"
    assert short_decimal(Decimal("1200.000000"), 2) == "1200.00"
    assert short_decimal(Decimal("10240.000000")) == "10240"


def test_amounts_read_with_separators_and_two_decimals():
    assert money_text(Decimal("1234567.5")) == "1,234,567.50"
    assert money_text(Decimal("3225.60")) == "3,225.60"
    assert money_text(Decimal("-1234.00")) == "-1,234.00"
    assert money_text(Decimal("0E-6")) == "0.00"
    # a Marketplace sum at six decimals: two, rounded half away from zero, never through a float
    assert money_text(Decimal("1041.005000")) == "1,041.01"
    assert money_text(Decimal("-0.005000")) == "-0.01"
    assert money_text(Decimal("-0.004")) == "0.00"  # never "-0.00"
    assert money_text(Decimal("99999999999999.994999")) == "99,999,999,999,999.99"


def test_quantities_prices_and_bytes_read_short():
    assert quantity_text(Decimal("720.000000")) == "720"  # hours as whole numbers
    assert quantity_text(Decimal("10240.000000")) == "10,240"
    assert quantity_text(Decimal("1536.250000")) == "1,536.25"
    assert quantity_text(Decimal("0.000001")) == "0.000001"  # exact: never cut short
    assert quantity_text(Decimal("0E-6")) == "0"
    assert price_text(Decimal("0.050000")) == "0.05"
    assert price_text(Decimal("0.400000")) == "0.40"  # money keeps two decimals
    assert price_text(Decimal("0.035000")) == "0.035"
    assert price_text(Decimal("0.007500")) == "0.0075"
    assert price_text(Decimal("1200.000000")) == "1,200.00"
    assert gib_text(9_000_000_000_000) == "8,381.90"
    assert gib_text(2**30) == "1.00"
    assert gib_text(0) == "0.00"


def test_tier_ranges_in_words():
    price = Decimal("0.035000")
    assert tier_range_text(Decimal(10240), Decimal(102400), price, "GiB") == (
        "10 TiB to 100 TiB at 0.035 USD per GiB"
    )
    assert tier_range_text(Decimal(0), Decimal(10240), Decimal("0.05"), "GiB") == (
        "Up to 10 TiB at 0.05 USD per GiB"
    )
    assert tier_range_text(Decimal(1024000), None, Decimal("0.0075"), "GiB-month") == (
        "1,000 TiB-month and above at 0.0075 USD per GiB-month"
    )
    assert size_text(Decimal(500), "GiB") == "500 GiB"
    assert size_text(Decimal("1536"), "GiB") == "1,536 GiB"  # not a whole number of TiB
    assert size_text(Decimal("2048"), "GiB-month") == "2 TiB-month"
    assert size_text(Decimal("1000.5"), "GiB") == "1,000.5 GiB"


def test_dates_and_periods_in_utc():
    assert service_period(dt.date(2026, 12, 1)) == (
        "1 December 2026 00:00 UTC to 1 January 2027 00:00 UTC"
    )
    assert through_text(dt.date(2026, 10, 15), dt.date(2027, 10, 15)) == (
        "15 October 2026 through 14 October 2027"
    )


def test_sales_channel_wording():
    assert channel_text("aws_marketplace", "123456789012") == (
        "Invoiced by AWS Marketplace (AWS account 123456789012)"
    )
    assert channel_text("aws_marketplace", None) == "Invoiced by AWS Marketplace"
    assert channel_text("gcp_marketplace", None) == "Invoiced by Google Cloud Marketplace"
    assert channel_text("offline_contract", None) == "Offline contract"
    assert channel_text("direct", None) == "Direct"
    assert channel_text(None, None) == "Not recorded"


def test_statement_numbers_are_stable_and_distinct():
    october = dt.date(2026, 10, 1)
    first = statement_number(october, "org-a", 1)
    assert first == statement_number(october, "org-a", 1)
    assert first.startswith("AMQ-2026-10-") and first.endswith("-v1")
    assert first != statement_number(october, "org-b", 1)
    assert statement_number(october, "org-a", 2).endswith("-v2")


def test_percent_change_rounds_half_away_from_zero():
    assert percent_change(Decimal("5781.61"), Decimal("4800.00")) == Decimal("20.5")
    assert percent_change(Decimal("-1.00"), Decimal("8.00")) == Decimal("-112.5")
    assert percent_change(Decimal("1.00"), Decimal("0.00")) is None


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_characters_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_plain_text_is_left_alone():
    assert neutralise("org-acme") == "org-acme"
    assert neutralise("") == ""


def test_the_statement_names_who_invoices_it_from_its_lines():
    """SPEC 10.2: the header follows the lines' parties (one rule, int_statement_lines_invoiced),
    and a statement lists what each party invoices."""
    from decimal import Decimal

    from automq_billing.documents.statement import _channel, _parties
    from automq_billing.documents.text import invoicer_text, invoicers_heading

    assert invoicers_heading(["aws_marketplace"], "123456789012") == (
        "Invoiced by AWS Marketplace (AWS account 123456789012)"
    )
    assert invoicers_heading(["azure_marketplace", "automq", "automq"], None) == (
        "Invoiced by AutoMQ and Azure Marketplace; each line names its party"
    )
    assert invoicer_text("gcp_marketplace") == "Google Cloud Marketplace"
    assert invoicer_text(None) == ""
    lines = [
        {"invoiced_by": "aws_marketplace", "amount": Decimal("10.00")},
        {"invoiced_by": "automq", "amount": Decimal("-1.25")},
        {"invoiced_by": "aws_marketplace", "amount": Decimal("0.05")},
    ]
    organization = {"sales_channel": "aws_marketplace", "customer_aws_account_id": "1"}
    assert _channel(lines, organization) == (
        "Invoiced by AutoMQ and AWS Marketplace (AWS account 1); each line names its party"
    )
    assert [(p.party, p.amount, p.lines) for p in _parties(lines)] == [
        ("AutoMQ", "-1.25", 1),
        ("AWS Marketplace", "10.05", 2),
    ]
    # a version closed before lines named their party keeps its sales channel
    older = [{"amount": Decimal("1.00")}]
    assert _channel(older, organization) == "Invoiced by AWS Marketplace (AWS account 1)"


def test_the_workbook_cover_totals_what_each_party_invoices():
    from decimal import Decimal
    from types import SimpleNamespace

    from automq_billing.documents.workbook import _party_totals

    close = SimpleNamespace(
        lines=[
            {"invoiced_by": "azure_marketplace", "amount": Decimal("360.00")},
            {"invoiced_by": "automq", "amount": Decimal("1.10")},
            {"invoiced_by": "automq", "amount": Decimal("-0.10")},
            {"amount": Decimal("5.00")},  # a version closed before lines named their party
        ]
    )
    assert _party_totals(close) == [
        ("automq", Decimal("1.00"), 2),
        ("azure_marketplace", Decimal("360.00"), 1),
    ]
