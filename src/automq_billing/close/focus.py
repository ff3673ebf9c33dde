"""The FOCUS 1.2 export of a close (SPEC 10): `focus.parquet` and `focus.csv`, the month's charges
for every organization, from marts.fct_focus_charges.

The mart holds every FOCUS column but two that depend on the version a close publishes: InvoiceId
(the statement number the PDF statement shows, on the charges AutoMQ invoices) and the custom
x_StatementVersion. `focus_table` adds them and puts the columns in order (FOCUS columns
alphabetically, then the custom ones); `focus_problems` is the blocking check of the file's rows
(SPEC 10.3): a close that finds a problem publishes nothing. The CSV twin writes date/times as
`YYYY-MM-DDTHH:MM:SSZ` and neutralises spreadsheet formulas like every other CSV.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from automq_billing.close.export import file_entry, neutralise_formulas
from automq_billing.documents.text import statement_number
from automq_billing.errors import BillingError
from automq_billing.months import next_month

FOCUS_VERSION = "1.2"
FOCUS_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
)
CUSTOM_COLUMNS = (
    "x_StatementVersion",
    "x_LineType",
    "x_BillingItem",
    "x_Tier",
    "x_ClusterTier",
    "x_LicenseId",
    "x_AdjustedMonth",
    "x_RateCardVersion",
    "x_SalesChannel",
)
DATETIME_COLUMNS = (
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargePeriodEnd",
    "ChargePeriodStart",
)
# FOCUS 1.2: never null (Mandatory non-nullable columns and the ones SPEC 10.2 always fills)
NOT_NULL = (
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "x_StatementVersion",
    "x_LineType",
)
# FOCUS 1.2: not null on Usage and Purchase rows that are not corrections
PRICED = (
    "PricingCategory",
    "PricingQuantity",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "SkuPriceId",
)
ALLOWED = {
    "BillingCurrency": {"USD"},
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeClass": {None, "Correction"},
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {None, "Standard", "Dynamic", "Committed", "Other"},
    "CommitmentDiscountCategory": {None, "Spend", "Usage"},
    "CommitmentDiscountStatus": {None, "Used", "Unused"},
    "ServiceCategory": {"Integration"},
    "ServiceSubcategory": {"Messaging"},
    "InvoiceIssuerName": {"AutoMQ", "Amazon Web Services", "Microsoft", "Google", "Alibaba Cloud"},
    "x_LineType": {"usage", "subscription", "amortization", "adjustment"},
}
UNIT_COLUMNS = ("PricingUnit", "ConsumedUnit", "CommitmentDiscountUnit")
# FOCUS unit format: abbreviated data sizes, capitalised time units, `<unit>-<plural time unit>`
UNIT_FORMAT = re.compile(r"^(GiB|AKU|Hours)(-(Hours|Months))?$")
PAIRS = (  # FOCUS 1.2: null exactly when the other is null
    ("PricingUnit", "PricingQuantity"),
    ("ConsumedUnit", "ConsumedQuantity"),
    ("RegionName", "RegionId"),
    ("SubAccountName", "SubAccountId"),
    ("CommitmentDiscountUnit", "CommitmentDiscountQuantity"),
    ("CommitmentDiscountCategory", "CommitmentDiscountId"),
    ("CommitmentDiscountType", "CommitmentDiscountId"),
    ("CommitmentDiscountName", "CommitmentDiscountId"),
)
CSV_DATETIME = "%Y-%m-%dT%H:%M:%SZ"

__all__ = [
    "FOCUS_VERSION",
    "focus_block",
    "focus_problems",
    "focus_table",
    "write_focus",
]


def focus_table(charges: pa.Table, month: dt.date, version: int) -> pa.Table:
    """The month's charges as the FOCUS file holds them: InvoiceId (the statement number, on the
    charges AutoMQ invoices, licence rows aside) and x_StatementVersion added, date/times in UTC,
    FOCUS columns alphabetically, then the custom ones."""
    accounts = charges.column("BillingAccountId").to_pylist()
    issuers = charges.column("InvoiceIssuerName").to_pylist()
    line_types = charges.column("x_LineType").to_pylist()
    numbers: dict[str, str] = {}
    invoice_ids = []
    for account, issuer, line_type in zip(accounts, issuers, line_types, strict=True):
        if issuer == "AutoMQ" and line_type != "amortization":
            if account not in numbers:
                numbers[account] = statement_number(month, account, version)
            invoice_ids.append(numbers[account])
        else:
            invoice_ids.append(None)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in FOCUS_COLUMNS:
        if name == "InvoiceId":
            columns[name] = pa.array(invoice_ids, pa.string())
        elif name in DATETIME_COLUMNS:
            columns[name] = pc.assume_timezone(charges.column(name).cast(pa.timestamp("us")), "UTC")
        else:
            columns[name] = charges.column(name)
    columns["x_StatementVersion"] = pa.array([version] * charges.num_rows, pa.int32())
    for name in CUSTOM_COLUMNS[1:]:
        columns[name] = charges.column(name)
    return pa.table(columns)


def write_focus(folder: Path, table: pa.Table) -> dict[str, dict]:
    """`focus.parquet` (exact values) and `focus.csv` (date/times `YYYY-MM-DDTHH:MM:SSZ`,
    formulas neutralised); returns their manifest entries."""
    parquet_path, csv_path = folder / "focus.parquet", folder / "focus.csv"
    pq.write_table(table, parquet_path, compression="zstd")
    text = table
    for name in DATETIME_COLUMNS:
        index = text.schema.get_field_index(name)
        seconds = text.column(name).cast(pa.timestamp("s", tz="UTC"))
        formatted = pc.strftime(seconds, format=CSV_DATETIME, locale="C")
        text = text.set_column(index, name, formatted)
    pacsv.write_csv(neutralise_formulas(text), csv_path)
    return {
        parquet_path.name: file_entry(parquet_path, table.num_rows),
        csv_path.name: file_entry(csv_path, table.num_rows),
    }


def focus_block(table: pa.Table) -> dict[str, str | int]:
    """The manifest's `focus` block (SPEC 10.3)."""
    return {
        "version": FOCUS_VERSION,
        "rows": table.num_rows,
        "billed_cost": f"{_total(table, 'BilledCost'):.2f}",
        "effective_cost": f"{_total(table, 'EffectiveCost'):.2f}",
    }


def _total(table: pa.Table, column: str) -> Decimal:
    return sum((v for v in table.column(column).to_pylist() if v is not None), Decimal(0))


def focus_problems(
    table: pa.Table,
    *,
    month: dt.date,
    lines: pa.Table,
    revenue: pa.Table,
    licenses: pa.Table,
) -> list[str]:
    """Every rule of SPEC 10.2 / FOCUS 1.2 the file breaks, and every identity of SPEC 10.3 that
    does not hold against the month's statement lines, revenue schedule and licences (empty when
    the file may be published)."""
    problems = _column_problems(table)
    rows = table.to_pylist()
    for number, row in enumerate(rows, start=1):
        problems += [f"row {number}: {p}" for p in _row_problems(row)]
        if len(problems) > 20:
            return [*problems[:20], "(more problems not listed)"]
    return problems + _identity_problems(rows, month, lines, revenue, licenses)


def _column_problems(table: pa.Table) -> list[str]:
    names = tuple(table.column_names)
    if names != FOCUS_COLUMNS + CUSTOM_COLUMNS:
        return [f"columns are {names}, expected the FOCUS columns, then {CUSTOM_COLUMNS}"]
    problems = []
    for name in DATETIME_COLUMNS:
        kind = table.schema.field(name).type
        if not (pa.types.is_timestamp(kind) and kind.tz == "UTC"):
            problems.append(f"{name} is {kind}, not a UTC timestamp")
    for name in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        if not pa.types.is_decimal(table.schema.field(name).type):
            problems.append(f"{name} is {table.schema.field(name).type}, not a decimal")
    return problems


def _row_problems(row: dict) -> list[str]:
    problems = [f"{name} is null" for name in NOT_NULL if row[name] is None]
    correction = row["ChargeClass"] == "Correction"
    if row["ChargeCategory"] in ("Usage", "Purchase") and not correction:
        problems += [f"{name} is null" for name in PRICED if row[name] is None]
    for name, allowed in ALLOWED.items():
        if row[name] not in allowed:
            problems.append(f"{name} {row[name]!r} is not one of {sorted(map(str, allowed))}")
    for name in UNIT_COLUMNS:
        if row[name] is not None and not UNIT_FORMAT.match(row[name]):
            problems.append(f"{name} {row[name]!r} breaks the FOCUS unit format")
    for first, second in PAIRS:
        if (row[first] is None) != (row[second] is None):
            problems.append(f"{first} and {second} are not null together")
    if not correction:
        for cost, price in (
            ("ListCost", "ListUnitPrice"),
            ("ContractedCost", "ContractedUnitPrice"),
        ):
            if None not in (row[price], row["PricingQuantity"]) and (
                row[cost] != row[price] * row["PricingQuantity"]
            ):
                problems.append(f"{cost} {row[cost]} != {price} x PricingQuantity")
    for price in ("ListUnitPrice", "ContractedUnitPrice"):
        if row[price] is not None and row[price] < 0:
            problems.append(f"{price} is negative")
    if row["ChargeCategory"] == "Purchase" and row["ChargeFrequency"] == "Usage-Based":
        problems.append("a Purchase is Usage-Based")
    if correction != (row["x_LineType"] == "adjustment"):
        problems.append("ChargeClass is Correction exactly on adjustment rows")
    if row["InvoiceIssuerName"] != "AutoMQ" and row["BilledCost"] != 0:
        problems.append("a charge a marketplace invoices has BilledCost != 0")
    if row["x_LineType"] == "amortization" and (row["BilledCost"] != 0 or row["InvoiceId"]):
        problems.append("a licence row has BilledCost != 0 or an InvoiceId")
    if row["ChargeCategory"] == "Purchase" and row["EffectiveCost"] != 0:
        problems.append("a Purchase has EffectiveCost != 0")
    if (row["CommitmentDiscountStatus"] is not None) != (
        row["CommitmentDiscountId"] is not None
        and row["ChargeCategory"] == "Usage"
        and not correction
    ):
        problems.append("CommitmentDiscountStatus is set exactly on commitment Usage rows")
    if row["ChargeCategory"] != "Usage" or row["CommitmentDiscountStatus"] == "Unused":
        if row["ConsumedQuantity"] is not None:
            problems.append("ConsumedQuantity is set where FOCUS requires null")
    if row["ChargePeriodStart"] >= row["ChargePeriodEnd"]:
        problems.append("ChargePeriodStart is not before ChargePeriodEnd")
    if row["SkuPriceDetails"] is not None and not _flat_json_object(row["SkuPriceDetails"]):
        problems.append(f"SkuPriceDetails {row['SkuPriceDetails']!r} is not a flat JSON object")
    return problems


def _flat_json_object(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and not any(isinstance(v, dict | list) for v in value.values())


def _identity_problems(
    rows: list[dict], month: dt.date, lines: pa.Table, revenue: pa.Table, licenses: pa.Table
) -> list[str]:
    """SPEC 10.3's identities, exact to the cent and the millionth."""
    expected_effective: dict[str, Decimal] = defaultdict(Decimal)
    expected_billed: dict[str, Decimal] = defaultdict(Decimal)
    line_sums: dict[tuple, list[Decimal]] = {}
    for line in lines.to_pylist():
        account = line["organization_id"]
        if line["billing_item"] != "aku_subscription":
            expected_effective[account] += line["amount"]
        if line["invoiced_by"] == "automq":
            expected_billed[account] += line["amount"]
        if line["line_type"] == "usage":
            key = (account, line["billing_item"], line["tier"], line["cluster_tier"])
            line_sums[key] = [line["quantity"], line["amount"], Decimal(0), Decimal(0)]
    recognized = {r["license_id"]: r["recognized_amount"] for r in revenue.to_pylist()}
    for r in revenue.to_pylist():
        expected_effective[r["organization_id"]] += r["recognized_amount"]
    effective: dict[str, Decimal] = defaultdict(Decimal)
    billed: dict[str, Decimal] = defaultdict(Decimal)
    licence_cost: dict[str, Decimal] = defaultdict(Decimal)
    licence_hours: dict[str, Decimal] = defaultdict(Decimal)
    problems = []
    for row in rows:
        account = row["BillingAccountId"]
        effective[account] += row["EffectiveCost"]
        if row["InvoiceId"] is not None:
            billed[account] += row["BilledCost"]
        if row["x_LineType"] == "usage":
            key = (account, row["x_BillingItem"], row["x_Tier"], row["x_ClusterTier"])
            if key not in line_sums:
                problems.append(f"usage row of {key} has no statement line")
                continue
            line_sums[key][2] += row["PricingQuantity"]
            line_sums[key][3] += row["EffectiveCost"]
        if row["x_LineType"] == "amortization":
            licence_cost[row["x_LicenseId"]] += row["EffectiveCost"]
            licence_hours[row["x_LicenseId"]] += row["PricingQuantity"]
    for account in sorted(set(expected_effective) | set(effective)):
        if effective[account] != expected_effective[account]:
            problems.append(
                f"{account}: EffectiveCost sums to {effective[account]}, its usage, usage "
                f"corrections and recognised licence amounts to {expected_effective[account]}"
            )
        if billed[account] != expected_billed[account]:
            problems.append(
                f"{account}: BilledCost on its statement sums to {billed[account]}, the lines "
                f"AutoMQ invoices to {expected_billed[account]}"
            )
    for key, (quantity, amount, row_quantity, row_amount) in sorted(line_sums.items(), key=str):
        if (quantity, amount) != (row_quantity, row_amount):
            problems.append(
                f"usage line {key}: rows sum to {row_quantity} / {row_amount}, the line is "
                f"{quantity} / {amount}"
            )
    month_end = next_month(month)
    for licence in licenses.to_pylist():
        license_id = licence["license_id"]
        if license_id not in recognized:
            continue
        if licence_cost[license_id] != recognized[license_id]:
            problems.append(
                f"licence {license_id}: its licence rows sum to {licence_cost[license_id]}, "
                f"it recognises {recognized[license_id]}"
            )
        days = (min(licence["end_date"], month_end) - max(licence["start_date"], month)).days
        if licence_hours[license_id] < licence["aku_quota"] * days * 24:
            problems.append(f"licence {license_id}: its licence rows hold fewer than its AKU-hours")
    return problems


def checked_focus(tables: dict[str, pa.Table], month: dt.date, number: int, label: str) -> pa.Table:
    """SPEC 10: the month's FOCUS dataset for version `number` (taken out of `tables`), refused
    (nothing published) when it breaks a rule of FOCUS 1.2 or an identity of SPEC 10.3."""
    focus = focus_table(tables.pop("focus"), month, number)
    problems = focus_problems(
        focus,
        month=month,
        lines=tables["statement_lines"],
        revenue=tables["revenue_schedule"],
        licenses=tables["licenses"],
    )
    if problems:
        listed = "\n  - ".join(problems)
        raise BillingError(
            f"{label}: the FOCUS dataset breaks {len(problems)} rule(s); nothing was "
            f"written:\n  - {listed}",
            hint="fct_focus_charges and its checks (models/marts/focus) say how each column is "
            "filled; this is a defect of the warehouse, not of the landing: report it",
        )
    return focus
