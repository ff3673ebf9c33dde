"""The FOCUS export of a close (close/focus.py, SPEC 10): the file's columns and order, InvoiceId
on what AutoMQ invoices, the CSV twin's date/times, the manifest block, and the blocking check
refusing a file that breaks a FOCUS 1.2 rule or an identity of SPEC 10.3."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal as D

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automq_billing.close.focus import (
    CUSTOM_COLUMNS,
    FOCUS_COLUMNS,
    focus_block,
    focus_problems,
    focus_table,
    write_focus,
)
from automq_billing.documents.text import statement_number

pytestmark = pytest.mark.unit

OCTOBER = dt.date(2026, 10, 1)
START, END = dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1)
COMMON = {
    "BillingAccountName": None,
    "BillingCurrency": "USD",
    "BillingPeriodEnd": END,
    "BillingPeriodStart": START,
    "ProviderName": "AutoMQ",
    "PublisherName": "AutoMQ",
    "ServiceCategory": "Integration",
    "ServiceName": "AutoMQ BYOC",
    "ServiceSubcategory": "Messaging",
    "ChargeClass": None,
    "x_AdjustedMonth": None,
}
NO_COMMITMENT = dict.fromkeys(
    (
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus",
        "CommitmentDiscountType",
        "CommitmentDiscountUnit",
    )
)
LICENCE = {
    "CommitmentDiscountCategory": "Usage",
    "CommitmentDiscountId": "lic-1",
    "CommitmentDiscountName": "lic-1",
    "CommitmentDiscountType": "AKU Licence",
    "CommitmentDiscountUnit": "AKU-Hours",
    "SkuId": "aku_subscription",
    "SkuPriceDetails": '{"Term": "monthly"}',
    "SkuPriceId": "aku_subscription:monthly:2026-01-01",
    "x_BillingItem": "aku_subscription",
    "x_Tier": None,
    "x_ClusterTier": None,
    "x_LicenseId": "lic-1",
    "x_RateCardVersion": "2026-01-01",
    "x_SalesChannel": "azure_marketplace",
    "InvoiceIssuerName": "Microsoft",
    "RegionId": None,
    "RegionName": None,
    "ResourceId": None,
    "ResourceName": None,
    "ResourceType": None,
}
USAGE = {
    **COMMON,
    **NO_COMMITMENT,
    "BilledCost": D("0.50"),
    "BillingAccountId": "org-a",
    "ChargeCategory": "Usage",
    "ChargeDescription": "Cluster uptime, pro cluster tier, 0.500000 USD per hour",
    "ChargeFrequency": "Usage-Based",
    "ChargePeriodEnd": END,
    "ChargePeriodStart": START,
    "ConsumedQuantity": D("1.000000"),
    "ConsumedUnit": "Hours",
    "ContractedCost": D("0.500000000000"),
    "ContractedUnitPrice": D("0.500000"),
    "EffectiveCost": D("0.50"),
    "InvoiceIssuerName": "AutoMQ",
    "ListCost": D("0.500000000000"),
    "ListUnitPrice": D("0.500000"),
    "PricingCategory": "Standard",
    "PricingQuantity": D("1.000000"),
    "PricingUnit": "Hours",
    "RegionId": "eu-west-1",
    "RegionName": "eu-west-1",
    "ResourceId": "kf-1",
    "ResourceName": "kf-1",
    "ResourceType": "Kafka Cluster",
    "SkuId": "cluster_uptime",
    "SkuMeter": "Cluster Uptime",
    "SkuPriceDetails": '{"ClusterTier": "pro"}',
    "SkuPriceId": "2026-01:cluster_uptime:pro",
    "SubAccountId": "env-1",
    "SubAccountName": "env-1",
    "x_LineType": "usage",
    "x_BillingItem": "cluster_uptime",
    "x_Tier": None,
    "x_ClusterTier": "pro",
    "x_LicenseId": None,
    "x_RateCardVersion": "2026-01",
    "x_SalesChannel": "direct",
}
PURCHASE = {
    **COMMON,
    **LICENCE,
    "BilledCost": D("0.00"),
    "BillingAccountId": "org-a",
    "ChargeCategory": "Purchase",
    "ChargeDescription": "AKU licence lic-1, monthly term 2026-10-01 to 2026-11-01, 1 AKU",
    "ChargeFrequency": "Recurring",
    "ChargePeriodEnd": END,
    "ChargePeriodStart": START,
    "CommitmentDiscountQuantity": D("744.000000"),
    "CommitmentDiscountStatus": None,
    "ConsumedQuantity": None,
    "ConsumedUnit": None,
    "ContractedCost": D("120.000000000000"),
    "ContractedUnitPrice": D("120.000000"),
    "EffectiveCost": D("0.00"),
    "ListCost": D("120.000000000000"),
    "ListUnitPrice": D("120.000000"),
    "PricingCategory": "Standard",
    "PricingQuantity": D("1.000000"),
    "PricingUnit": "AKU",
    "SkuMeter": "AKU Subscription",
    "SubAccountId": None,
    "SubAccountName": None,
    "x_LineType": "subscription",
}
AMORTIZATION = {
    **PURCHASE,
    "ChargeCategory": "Usage",
    "ChargeDescription": "AKU licence lic-1: unused AKU capacity",
    "ChargeFrequency": "Usage-Based",
    "CommitmentDiscountStatus": "Unused",
    "ContractedCost": D("0E-12"),
    "ContractedUnitPrice": D("0.000000"),
    "EffectiveCost": D("120.00"),
    "ListCost": D("0E-12"),
    "ListUnitPrice": D("0.000000"),
    "PricingCategory": "Committed",
    "PricingQuantity": D("744.000000"),
    "PricingUnit": "AKU-Hours",
    "SkuMeter": "AKU Capacity",
    "x_LineType": "amortization",
}
LINES = pa.Table.from_pylist(
    [
        {"organization_id": "org-a", "line_type": "usage", "billing_item": "cluster_uptime",
         "tier": None, "cluster_tier": "pro", "quantity": D("1.000000"), "amount": D("0.50"),
         "invoiced_by": "automq"},
        {"organization_id": "org-a", "line_type": "subscription",
         "billing_item": "aku_subscription", "tier": None, "cluster_tier": None,
         "quantity": D("1.000000"), "amount": D("120.00"), "invoiced_by": "azure_marketplace"},
    ]
)  # fmt: skip
REVENUE = pa.Table.from_pylist(
    [{"license_id": "lic-1", "organization_id": "org-a", "recognized_amount": D("120.00")}]
)
LICENCES = pa.Table.from_pylist(
    [
        {
            "license_id": "lic-1",
            "aku_quota": 1,
            "start_date": dt.date(2026, 10, 1),
            "end_date": dt.date(2026, 11, 1),
        }
    ]
)
MART_COLUMNS = [c for c in FOCUS_COLUMNS if c != "InvoiceId"] + list(CUSTOM_COLUMNS[1:])


def charges(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist([{c: row[c] for c in MART_COLUMNS} for row in rows])


def problems(table: pa.Table) -> list[str]:
    return focus_problems(table, month=OCTOBER, lines=LINES, revenue=REVENUE, licenses=LICENCES)


def test_the_file_orders_the_columns_and_names_the_statement_on_what_automq_invoices():
    table = focus_table(charges(USAGE, PURCHASE, AMORTIZATION), OCTOBER, 3)
    assert tuple(table.column_names) == FOCUS_COLUMNS + CUSTOM_COLUMNS
    assert table.column_names.index("InvoiceId") == table.column_names.index("EffectiveCost") + 1
    assert table.column("InvoiceId").to_pylist() == [
        statement_number(OCTOBER, "org-a", 3),  # AutoMQ invoices the usage
        None,  # the marketplace invoices the licence
        None,  # licence rows belong to no invoice
    ]
    assert set(table.column("x_StatementVersion").to_pylist()) == {3}
    assert table.schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    assert problems(table) == []


def test_the_csv_writes_utc_times_with_z_and_the_manifest_lists_both_files(tmp_path):
    hostile = {**USAGE, "ChargeDescription": "=HYPERLINK(1)"}
    table = focus_table(charges(hostile, PURCHASE, AMORTIZATION), OCTOBER, 1)
    entries = write_focus(tmp_path, table)
    assert set(entries) == {"focus.parquet", "focus.csv"}
    assert entries["focus.csv"]["rows"] == 3 and len(entries["focus.csv"]["sha256"]) == 64
    rows = list(csv.DictReader((tmp_path / "focus.csv").open(encoding="utf-8")))
    assert rows[0]["BillingPeriodStart"] == "2026-10-01T00:00:00Z"
    assert rows[0]["ChargePeriodEnd"] == "2026-11-01T00:00:00Z"
    assert rows[0]["ChargeDescription"] == "'=HYPERLINK(1)"
    assert pq.read_table(tmp_path / "focus.parquet").column("ChargeDescription")[0].as_py() == (
        "=HYPERLINK(1)"
    )
    assert focus_block(table) == {
        "version": "1.2",
        "rows": 3,
        "billed_cost": "0.50",
        "effective_cost": "120.50",
    }


@pytest.mark.parametrize(
    ("row", "change", "found"),
    [
        (USAGE, {"ListCost": D("0.51")}, "ListCost 0.510000000000 != ListUnitPrice"),
        (USAGE, {"ContractedUnitPrice": D("0.4")}, "ContractedCost"),
        (USAGE, {"PricingUnit": "hours"}, "breaks the FOCUS unit format"),
        (USAGE, {"ChargeCategory": "Fee"}, "ChargeCategory 'Fee' is not one of"),
        (USAGE, {"ChargeDescription": None}, "ChargeDescription is null"),
        (USAGE, {"RegionName": None}, "RegionName and RegionId are not null together"),
        (USAGE, {"SkuPriceDetails": '{"Tier": {"n": 1}}'}, "is not a flat JSON object"),
        (USAGE, {"SkuPriceDetails": "[1]"}, "is not a flat JSON object"),
        (PURCHASE, {"BilledCost": D("120.00")}, "a marketplace invoices has BilledCost != 0"),
        (PURCHASE, {"EffectiveCost": D("1.00")}, "a Purchase has EffectiveCost != 0"),
        (PURCHASE, {"ChargeFrequency": "Usage-Based"}, "a Purchase is Usage-Based"),
        (AMORTIZATION, {"ConsumedQuantity": D("1"), "ConsumedUnit": "AKU-Hours"}, "Consumed"),
        (AMORTIZATION, {"CommitmentDiscountStatus": None}, "CommitmentDiscountStatus is set"),
    ],
)
def test_a_row_that_breaks_a_focus_rule_is_refused(row, change, found):
    rows = [USAGE, PURCHASE, AMORTIZATION]
    rows[rows.index(row)] = {**row, **change}
    listed = problems(focus_table(charges(*rows), OCTOBER, 1))
    assert any(found in problem for problem in listed), listed


def test_an_identity_of_spec_10_3_that_fails_is_refused():
    short = {**USAGE, "PricingQuantity": D("0.5"), "ConsumedQuantity": D("0.5"),
             "ListCost": D("0.25"), "ContractedCost": D("0.25")}  # fmt: skip
    listed = problems(focus_table(charges(short, PURCHASE, AMORTIZATION), OCTOBER, 1))
    assert any("rows sum to 0.5" in problem for problem in listed), listed
    cheap = {**AMORTIZATION, "EffectiveCost": D("119.99")}
    listed = problems(focus_table(charges(USAGE, PURCHASE, cheap), OCTOBER, 1))
    assert any("EffectiveCost sums to 120.49" in p for p in listed), listed
    assert any("licence lic-1: its licence rows sum to 119.99" in p for p in listed), listed


def test_a_file_with_a_custom_column_before_a_focus_one_is_refused():
    table = focus_table(charges(USAGE, PURCHASE, AMORTIZATION), OCTOBER, 1)
    moved = table.select(["x_LineType", *[c for c in table.column_names if c != "x_LineType"]])
    assert "columns are" in problems(moved)[0]
