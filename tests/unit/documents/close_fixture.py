"""Builds close version folders for the document tests: writes `<output>/<YYYY-MM>/v<N>/` as
the close does (statement files, daily usage, rate card, licences, organizations, quarantine,
Marketplace files, manifest, validation results) from a few Python values, plus final months
beside it.

Lines are priced from the default rate card (SPEC 2 and 3) so that the statements are realistic:
tiers, subscriptions, adjustments (some negative), a credit statement, and organization ids that
try HTML and spreadsheet injection.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from automq_billing.book.issued import STATEMENT_LINE_TYPES
from automq_billing.vocabulary import RECONCILIATION_AMOUNTS

D2 = pa.decimal128(38, 2)
D6 = pa.decimal128(38, 6)

TIER_BOUNDS = [
    (1, Decimal(0), Decimal(10240)),
    (2, Decimal(10240), Decimal(102400)),
    (3, Decimal(102400), Decimal(1024000)),
    (4, Decimal(1024000), None),
]
TIER_PRICES = {
    "data_ingress": ("GiB", ["0.050000", "0.035000", "0.025000", "0.015000"]),
    "data_egress": ("GiB", ["0.030000", "0.020000", "0.015000", "0.010000"]),
    "data_retention": ("GiB-month", ["0.020000", "0.015000", "0.010000", "0.007500"]),
}
HOURLY_PRICES = {"dev": "0.100000", "pro": "0.400000", "enterprise": "1.200000"}
RATE_CARD_VERSION = "2026-01"

SCHEMAS = {
    "statement_lines": STATEMENT_LINE_TYPES,  # the ledger reads issued lines with it
    "statements": pa.schema(
        [
            ("statement_month", pa.date32()),
            ("organization_id", pa.string()),
            ("currency", pa.string()),
            ("usage_amount", D2),
            ("subscription_amount", D2),
            ("adjustment_amount", D2),
            ("total_amount", D2),
            ("line_count", pa.int64()),
        ]
    ),
    "usage_daily": pa.schema(
        [
            ("organization_id", pa.string()),
            ("usage_day", pa.date32()),
            ("billing_item", pa.string()),
            ("cluster_tier", pa.string()),
            ("quantity", D6),
            ("unit", pa.string()),
        ]
    ),
    "rate_card": pa.schema(
        [
            ("billing_item", pa.string()),
            ("tier", pa.int32()),
            ("cluster_tier", pa.string()),
            ("lower_bound", D6),
            ("upper_bound", D6),
            ("unit_price", D6),
            ("unit", pa.string()),
            ("tier_mode", pa.string()),
            ("rate_card_version", pa.string()),
        ]
    ),
    "licenses": pa.schema(
        [
            ("license_id", pa.string()),
            ("organization_id", pa.string()),
            ("channel", pa.string()),
            ("term", pa.string()),
            ("aku_quota", pa.int32()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
            ("unit_price", D6),
            ("amount", D2),
        ]
    ),
    "organizations": pa.schema(
        [
            ("organization_id", pa.string()),
            ("sales_channel", pa.string()),
            ("customer_aws_account_id", pa.string()),
        ]
    ),
    "quarantine": pa.schema(
        [
            ("event_id", pa.string()),
            ("organization_id", pa.string()),
            ("instance_id", pa.string()),
            ("meter", pa.string()),
            ("hour_start", pa.timestamp("us", tz="UTC")),
            ("quantity", pa.int64()),
            ("emitted_at", pa.timestamp("us", tz="UTC")),
            ("reason", pa.string()),
            ("source_file", pa.string()),
        ]
    ),
    "marketplace_reconciliation": pa.schema(
        [
            ("usage_month", pa.date32()),
            ("organization_id", pa.string()),
            ("product_code", pa.string()),
            ("customer_aws_account_id", pa.string()),
            *[(name, D6) for name in RECONCILIATION_AMOUNTS],
            ("status", pa.string()),
        ]
    ),
    "marketplace_exceptions": pa.schema(
        [
            ("organization_id", pa.string()),
            ("product_code", pa.string()),
            ("customer_aws_account_id", pa.string()),
            ("dimension", pa.string()),
            ("usage_hour", pa.timestamp("us", tz="UTC")),
            ("expected_quantity", pa.int64()),
            ("accepted_quantity", pa.int64()),
            ("quantity_difference", pa.int64()),
            ("price_per_unit", D6),
            ("amount_difference", D6),
            ("status", pa.string()),
            ("cause", pa.string()),
        ]
    ),
    "marketplace_unmatched_billing_events": pa.schema(
        [
            ("usage_month", pa.date32()),
            ("billing_event_id", pa.string()),
            ("end_user_account_id", pa.string()),
            ("product_id", pa.string()),
            ("action", pa.string()),
            ("transaction_type", pa.string()),
            ("amount", D6),
            ("currency", pa.string()),
            ("update_date", pa.timestamp("us", tz="UTC")),
            ("source_file", pa.string()),
            ("file_row_number", pa.int64()),
            ("cause", pa.string()),
        ]
    ),
}

PRODUCT_CODE = "4q8wbzxk1m5ta7c2hd9oyr6ve"
# a landed billing event of an unknown account, with markup in its landed text
UNMATCHED_EVENT_ID = "<b>evt-unknown</b>"


def round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def round6(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@dataclass
class Org:
    """One organization of a fixture month: usage per item, uptime hours per cluster tier,
    licences starting this month and adjustments of earlier months."""

    organization_id: str
    sales_channel: str = "direct"
    aws_account: str | None = None
    ingress: Decimal = Decimal(0)
    egress: Decimal = Decimal(0)
    retention: Decimal = Decimal(0)
    uptime: dict[str, int] = field(default_factory=dict)
    licences: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)


def usage_lines(org: Org, month: dt.date) -> list[dict]:
    lines = []
    for item, quantity in (
        ("data_ingress", org.ingress),
        ("data_egress", org.egress),
        ("data_retention", org.retention),
    ):
        unit, prices = TIER_PRICES[item]
        for (tier, lower, upper), price in zip(TIER_BOUNDS, prices, strict=True):
            if quantity <= lower:
                break
            slice_ = round6((quantity if upper is None else min(quantity, upper)) - lower)
            lines.append(_line(org, month, "usage", item, slice_, unit, price, tier=tier))
    for cluster_tier, hours in org.uptime.items():
        price = HOURLY_PRICES[cluster_tier]
        lines.append(
            _line(
                org,
                month,
                "usage",
                "cluster_uptime",
                Decimal(hours),
                "hour",
                price,
                cluster_tier=cluster_tier,
            )
        )
    for licence in org.licences:
        lines.append(
            _line(
                org,
                month,
                "subscription",
                "aku_subscription",
                Decimal(licence["aku_quota"]),
                "AKU",
                licence["unit_price"],
                license_id=licence["license_id"],
                version=licence.get("rate_card_version", "2026-01-01"),
            )
        )
    for adjustment in org.adjustments:
        lines.append(
            _line(
                org,
                month,
                "adjustment",
                adjustment["billing_item"],
                Decimal(adjustment["quantity"]),
                adjustment["unit"],
                adjustment["unit_price"],
                tier=adjustment.get("tier"),
                cluster_tier=adjustment.get("cluster_tier"),
                adjusted_month=adjustment["adjusted_month"],
                amount=adjustment.get("amount"),
            )
        )
    return lines


def _line(
    org: Org,
    month: dt.date,
    line_type: str,
    item: str,
    quantity: Decimal,
    unit: str,
    price: str,
    *,
    tier: int | None = None,
    cluster_tier: str | None = None,
    license_id: str | None = None,
    adjusted_month: dt.date | None = None,
    version: str = RATE_CARD_VERSION,
    amount: str | None = None,
) -> dict:
    quantity = round6(quantity)
    unit_price = Decimal(price)
    return {
        "statement_month": month,
        "organization_id": org.organization_id,
        "line_type": line_type,
        "billing_item": item,
        "tier": tier,
        "cluster_tier": cluster_tier,
        "license_id": license_id,
        "adjusted_month": adjusted_month,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "amount": Decimal(amount) if amount is not None else round2(quantity * unit_price),
        "currency": "USD",
        "rate_card_version": version,
    }


def statement_row(month: dt.date, organization_id: str, lines: list[dict]) -> dict:
    def total(kind: str | None) -> Decimal:
        return round2(
            sum(
                (ln["amount"] for ln in lines if kind is None or ln["line_type"] == kind),
                Decimal(0),
            )
        )

    return {
        "statement_month": month,
        "organization_id": organization_id,
        "currency": "USD",
        "usage_amount": total("usage"),
        "subscription_amount": total("subscription"),
        "adjustment_amount": total("adjustment"),
        "total_amount": total(None),
        "line_count": len(lines),
    }


def daily_usage(org: Org, month: dt.date) -> list[dict]:
    """Daily figures that add up to the month: weekdays busier than weekends."""
    days = calendar.monthrange(month.year, month.month)[1]
    dates = [month + dt.timedelta(days=n) for n in range(days)]
    weights = [
        Decimal(3 if day.weekday() < 5 else 1) + Decimal(n % 4) / 4 for n, day in enumerate(dates)
    ]
    rows = []
    for item, total, unit in (
        ("data_ingress", org.ingress, "GiB"),
        ("data_egress", org.egress, "GiB"),
    ):
        if total:
            shares = [round6(total * w / sum(weights)) for w in weights]
            shares[-1] = round6(total - sum(shares[:-1]))
            rows += [
                _daily(org, day, item, None, q, unit) for day, q in zip(dates, shares, strict=True)
            ]
    if org.retention:
        for n, day in enumerate(dates):
            level = org.retention * (Decimal("0.8") + Decimal(n) / Decimal(days) * Decimal("0.4"))
            rows.append(_daily(org, day, "data_retention", None, round6(level), "GiB"))
    for cluster_tier, hours in org.uptime.items():
        remaining = hours
        for day in dates:
            today = min(24, remaining)
            if today:
                rows.append(
                    _daily(org, day, "cluster_uptime", cluster_tier, Decimal(today), "hour")
                )
            remaining -= today
    return rows


def _daily(org: Org, day: dt.date, item: str, tier: str | None, qty: Decimal, unit: str) -> dict:
    return {
        "organization_id": org.organization_id,
        "usage_day": day,
        "billing_item": item,
        "cluster_tier": tier,
        "quantity": round6(qty),
        "unit": unit,
    }


def rate_card_rows() -> list[dict]:
    rows = []
    for item, (unit, prices) in TIER_PRICES.items():
        for (tier, lower, upper), price in zip(TIER_BOUNDS, prices, strict=True):
            rows.append(
                {
                    "billing_item": item,
                    "tier": tier,
                    "cluster_tier": None,
                    "lower_bound": lower,
                    "upper_bound": upper,
                    "unit_price": Decimal(price),
                    "unit": unit,
                    "tier_mode": "graduated",
                    "rate_card_version": RATE_CARD_VERSION,
                }
            )
    for cluster_tier, price in HOURLY_PRICES.items():
        rows.append(
            {
                "billing_item": "cluster_uptime",
                "tier": None,
                "cluster_tier": cluster_tier,
                "lower_bound": None,
                "upper_bound": None,
                "unit_price": Decimal(price),
                "unit": "hour",
                "tier_mode": None,
                "rate_card_version": RATE_CARD_VERSION,
            }
        )
    return rows


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_parquet(folder: Path, name: str, rows: list[dict]) -> dict:
    table = pa.Table.from_pylist(rows, schema=SCHEMAS[name])
    path = folder / f"{name}.parquet"
    pq.write_table(table, path, compression="zstd")
    return {"rows": table.num_rows, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def _write_csv(folder: Path, name: str, rows: list[dict]) -> dict:
    table = pa.Table.from_pylist(rows, schema=SCHEMAS[name])
    path = folder / f"{name}.csv"
    pacsv.write_csv(table, path)
    return {"rows": table.num_rows, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def write_version_folder(
    folder: Path,
    month: dt.date,
    version: int,
    orgs: list[Org],
    *,
    closed_at: str = "2026-11-02T03:04:05+00:00",
    marketplace: bool = True,
    corrections: dict | None = None,
) -> dict:
    """Writes a complete version folder; returns its manifest."""
    folder.mkdir(parents=True)
    lines = [line for org in orgs for line in usage_lines(org, month)]
    statements = [
        statement_row(month, org.organization_id, usage_lines(org, month))
        for org in sorted(orgs, key=lambda o: o.organization_id)
        if usage_lines(org, month)
    ]
    licences = [
        {
            "license_id": licence["license_id"],
            "organization_id": org.organization_id,
            "channel": licence.get("channel", org.sales_channel),
            "term": licence["term"],
            "aku_quota": licence["aku_quota"],
            "start_date": licence["start_date"],
            "end_date": licence["end_date"],
            "unit_price": Decimal(licence["unit_price"]),
            "amount": round2(Decimal(licence["aku_quota"]) * Decimal(licence["unit_price"])),
        }
        for org in orgs
        for licence in org.licences
    ]
    outputs = {
        "statement_lines.parquet": _write_parquet(folder, "statement_lines", lines),
        "statement_lines.csv": _write_csv(folder, "statement_lines", lines),
        "statements.parquet": _write_parquet(folder, "statements", statements),
        "statements.csv": _write_csv(folder, "statements", statements),
        "usage_daily.parquet": _write_parquet(
            folder, "usage_daily", [row for org in orgs for row in daily_usage(org, month)]
        ),
        "rate_card.parquet": _write_parquet(folder, "rate_card", rate_card_rows()),
        "licenses.parquet": _write_parquet(folder, "licenses", licences),
        "organizations.parquet": _write_parquet(
            folder,
            "organizations",
            [
                {
                    "organization_id": org.organization_id,
                    "sales_channel": org.sales_channel,
                    "customer_aws_account_id": org.aws_account,
                }
                for org in orgs
            ],
        ),
        "quarantine.parquet": _write_parquet(folder, "quarantine", _quarantine_rows(month)),
    }
    if marketplace:
        recon, exceptions = _marketplace_rows(month, orgs, statements, lines)
        outputs["marketplace_reconciliation.parquet"] = _write_parquet(
            folder, "marketplace_reconciliation", recon
        )
        outputs["marketplace_exceptions.parquet"] = _write_parquet(
            folder, "marketplace_exceptions", exceptions
        )
        outputs["marketplace_unmatched_billing_events.parquet"] = _write_parquet(
            folder, "marketplace_unmatched_billing_events", _unmatched_rows(month)
        )
    _write_validation(folder)
    manifest = _manifest(month, version, closed_at, lines, statements, outputs, corrections)
    if marketplace:
        manifest["marketplace"] = {
            "status": {"matched": 1, "metering_gap": 1, "off_marketplace": 1},
            "cause": {"not_sent": 2, "quantity_mismatch": 1},
            "amounts": {"statement_usage_amount": "6052.900000", "invoiced_amount": "6045.510000"},
        }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _unmatched_rows(month: dt.date) -> list[dict]:
    return [
        {
            "usage_month": month,
            "billing_event_id": UNMATCHED_EVENT_ID,
            "end_user_account_id": "999999999999",
            "product_id": "prod-byoc7usage2k3",
            "action": "INVOICED",
            "transaction_type": "SELLER_REV_SHARE",
            "amount": Decimal("2.400000"),
            "currency": "USD",
            "update_date": dt.datetime(month.year, month.month, 3, tzinfo=dt.UTC),
            "source_file": "marketplace_billing_events/date=2026-11-03/billing_event.csv",
            "file_row_number": 7,
            "cause": "unknown_customer",
        }
    ]


def _quarantine_rows(month: dt.date) -> list[dict]:
    hour = dt.datetime(month.year, month.month, 3, 7, tzinfo=dt.UTC)
    return [
        {
            "event_id": "evt-bad-1",
            "organization_id": "<b>org-bold</b>",
            "instance_id": "=inst",
            "meter": "ingress_bytes",
            "hour_start": hour,
            "quantity": 1073741824,
            "emitted_at": hour + dt.timedelta(hours=1),
            "reason": "measurement_conflict",
            "source_file": "usage_events/2026/10/03/part-0.parquet",
        },
        {
            "event_id": "+evt-2",
            "organization_id": "org-acme",
            "instance_id": "inst-1",
            "meter": "egress_bytes",
            "hour_start": None,
            "quantity": 42,
            "emitted_at": hour,
            "reason": "missing_field",
            "source_file": "usage_events/2026/10/03/part-1.parquet",
        },
    ]


def _marketplace_rows(
    month: dt.date, orgs: list[Org], statements: list[dict], lines: list[dict]
) -> tuple[list[dict], list[dict]]:
    recon = []
    for org in orgs:
        usage = round2(
            sum(
                (
                    ln["amount"]
                    for ln in lines
                    if ln["organization_id"] == org.organization_id and ln["line_type"] == "usage"
                ),
                Decimal(0),
            )
        )
        if not usage or org.sales_channel != "aws_marketplace":
            continue
        expected = usage - Decimal("0.12")
        accepted = expected - Decimal("0.05") if org.organization_id == "org-acme" else expected
        recon.append(
            {
                "usage_month": month,
                "organization_id": org.organization_id,
                "product_code": PRODUCT_CODE,
                "customer_aws_account_id": org.aws_account,
                "statement_usage_amount": usage,
                "expected_metered_amount": expected,
                "accepted_metered_amount": accepted,
                "invoiced_amount": accepted,
                "refunded_amount": Decimal(0),
                "listing_fee_amount": -round2(accepted * Decimal("0.03")),
                "seller_net_amount": accepted - round2(accepted * Decimal("0.03")),
                "disbursed_amount": Decimal(0),
                "rating_variance": usage - expected,
                "metering_variance": expected - accepted,
                "invoicing_variance": Decimal(0),
                "status": "metering_gap" if accepted != expected else "matched",
            }
        )
    exceptions = [
        {
            "organization_id": "org-acme",
            "product_code": PRODUCT_CODE,
            "customer_aws_account_id": "123456789012",
            "dimension": "data_ingress_tier1",
            "usage_hour": dt.datetime(month.year, month.month, 5, h, tzinfo=dt.UTC),
            "expected_quantity": 1,
            "accepted_quantity": 0,
            "quantity_difference": 1,
            "price_per_unit": Decimal("0.050000"),
            "amount_difference": Decimal("0.050000"),
            "status": None,
            "cause": "not_sent",
        }
        for h in range(2)
    ]
    return recon, exceptions


def _write_validation(folder: Path) -> None:
    results = {
        "summary": {
            "success": True,
            "expectations": 4,
            "blocking_failures": [],
            "warnings": ["landing.usage_events: ExpectColumnValuesToMatchRegex(event_id) 2 rows"],
        },
        "suites": [
            {
                "suite": "landing.usage_events",
                "rows": 120000,
                "expectations": [
                    {
                        "expectation": "ExpectColumnValuesToNotBeNull",
                        "target": "organization_id",
                        "blocking": True,
                        "success": True,
                        "unexpected_count": 0,
                        "examples": [],
                    },
                    {
                        "expectation": "ExpectColumnValuesToMatchRegex",
                        "target": "event_id",
                        "blocking": False,
                        "success": False,
                        "unexpected_count": 2,
                        "examples": ["<img src=x onerror=alert(1)>", "=1+1", "東京-evt"],
                    },
                ],
            },
            {
                "suite": "marts.statement_lines",
                "rows": 40,
                "expectations": [
                    {
                        "expectation": "ExpectCompoundColumnsToBeUnique",
                        "target": "statement_month, organization_id, line_type, billing_item",
                        "blocking": True,
                        "success": True,
                        "unexpected_count": None,
                        "examples": [],
                    },
                    {
                        "expectation": "ExpectColumnValuesToBeInSet",
                        "target": "unit",
                        "blocking": True,
                        "success": True,
                        "unexpected_count": 0,
                        "examples": [],
                    },
                ],
            },
        ],
    }
    (folder / "validation").mkdir()
    (folder / "validation" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def _manifest(
    month: dt.date,
    version: int,
    closed_at: str,
    lines: list[dict],
    statements: list[dict],
    outputs: dict,
    corrections: dict | None,
) -> dict:
    def money(key: str) -> str:
        return f"{sum((row[key] for row in statements), Decimal('0.00')):.2f}"

    block = {"landed": 120000, "rated": 118990, "duplicate": 700, "superseded": 300}
    manifest = {
        "manifest_version": 1,
        "month": f"{month:%Y-%m}",
        "version": version,
        "closed_at": closed_at,
        "totals": {
            "organizations": len(statements),
            "statement_lines": len(lines),
            "usage_amount": money("usage_amount"),
            "subscription_amount": money("subscription_amount"),
            "adjustment_amount": money("adjustment_amount"),
            "total_amount": money("total_amount"),
            "currency": "USD",
        },
        "usage_events": {
            "rows": {**block, "quarantined": {"measurement_conflict": 8, "missing_field": 2}},
            "quantity": {
                "ingress_bytes": {
                    "landed": 9_000_000_000_000,
                    "rated": 8_999_000_000_000,
                    "duplicate": 600_000_000,
                    "superseded": 300_000_000,
                    "quarantined": {"measurement_conflict": 100_000_000},
                },
                "uptime_seconds": {
                    "landed": 3_600_000,
                    "rated": 3_596_400,
                    "duplicate": 3_600,
                    "superseded": 0,
                    "quarantined": {},
                },
            },
        },
        "quarantine": {
            "rows": 2,
            "by_reason": {
                "measurement_conflict": {"rows": 1, "estimated_value": "0.05"},
                "missing_field": {"rows": 1, "estimated_value": "0.00"},
            },
        },
        "corrections": corrections
        or {"window": [], "issued_basis": {}, "by_month": {}, "outside_window": []},
        "inputs": [
            {
                "dataset": "usage_events",
                "path": f"usage_events/{month:%Y/%m}/part-{n}.parquet",
                "rows": 60000,
                "bytes": 1_234_567,
                "sha256": hashlib.sha256(f"input-{n}".encode()).hexdigest(),
            }
            for n in range(2)
        ],
        # as every close records them (SPEC 8: finalize refuses a month never closed before it)
        "landed_months": {f"{month:%Y-%m}": {"usage_rows": 120000, "licences": 0}},
        "outputs": outputs,
    }
    return manifest


def write_final_month(root: Path, month: dt.date, version: int, totals: dict[str, str]) -> None:
    """A month that finance issued, as the book of record trusts it (SPEC 8): its version's
    statement files and manifest, and `final.json` with their sha256."""
    folder = root / f"{month:%Y-%m}" / f"v{version}"
    folder.mkdir(parents=True)
    rows = [
        {
            "statement_month": month,
            "organization_id": org,
            "currency": "USD",
            "usage_amount": Decimal(total),
            "subscription_amount": Decimal("0.00"),
            "adjustment_amount": Decimal("0.00"),
            "total_amount": Decimal(total),
            "line_count": 1,
        }
        for org, total in sorted(totals.items())
    ]
    outputs = {
        "statements.parquet": _write_parquet(folder, "statements", rows),
        "statements.csv": _write_csv(folder, "statements", rows),
        "statement_lines.parquet": _write_parquet(folder, "statement_lines", []),
        "statement_lines.csv": _write_csv(folder, "statement_lines", []),
    }
    total = f"{sum((Decimal(t) for t in totals.values()), Decimal('0.00')):.2f}"
    manifest = {
        "month": f"{month:%Y-%m}",
        "version": version,
        "closed_at": f"{month + dt.timedelta(days=35):%Y-%m-%d}T09:00:00+00:00",
        "outputs": outputs,
        "totals": {"total_amount": total, "organizations": len(rows), "statement_lines": 0},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    issue(root, month, version, f"{month + dt.timedelta(days=40):%Y-%m-%d}T09:00:00+00:00")


def issue(root: Path, month: dt.date, version: int, finalized_at: str) -> Path:
    """`final.json` for a version folder already written, as finalize writes it."""
    folder = root / f"{month:%Y-%m}" / f"v{version}"
    manifest = json.loads((folder / "manifest.json").read_text())
    names = ("manifest.json", *(n for n in manifest["outputs"] if n.startswith("statement")))
    final = {
        "month": f"{month:%Y-%m}",
        "version": version,
        "finalized_at": finalized_at,
        "approved_by": "finance",
        "sha256": {name: _sha256(folder / name) for name in names},
        "totals": {
            "total_amount": manifest["totals"]["total_amount"],
            "statements": manifest["totals"]["organizations"],
            "lines": manifest["totals"]["statement_lines"],
        },
    }
    (folder.parent / "final.json").write_text(json.dumps(final, indent=2) + "\n")
    return folder.parent / "final.json"


OCTOBER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)

SCRIPT_ID = '<script>alert("x")</script>'
FORMULA_ID = '=HYPERLINK("evil","x")'
# Characters that DejaVu (the fonts this project needs) draws; an id in a script those fonts lack
# (CJK, say) prints as empty boxes in the PDF unless the machine has a font for it.
UNICODE_ID = "société-générale-Ω"


def october_orgs() -> list[Org]:
    """Twelve organizations covering every kind of line and every awkward id."""
    yearly = {
        "license_id": "lic-yearly-1",
        "term": "yearly",
        "aku_quota": 20,
        "start_date": dt.date(2026, 10, 15),
        "end_date": dt.date(2027, 10, 15),
        "unit_price": "1200.000000",
    }
    monthly = {
        "license_id": "@lic-monthly",
        "term": "monthly",
        "aku_quota": 3,
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 11, 1),
        "unit_price": "100.000000",
        "rate_card_version": "contract",
    }
    trial = {
        "license_id": "lic-trial",
        "channel": "trial",
        "term": "trial",
        "aku_quota": 14,
        "start_date": dt.date(2026, 10, 20),
        "end_date": dt.date(2026, 11, 3),
        "unit_price": "0.000000",
    }
    return [
        Org(
            "org-acme",
            "aws_marketplace",
            "123456789012",
            ingress=Decimal(150000),
            egress=Decimal("20000.5"),
            retention=Decimal(2560),
            uptime={"pro": 744, "dev": 3},
            adjustments=[
                {
                    "billing_item": "data_ingress",
                    "tier": 3,
                    "quantity": "100.000000",
                    "unit": "GiB",
                    "unit_price": "0.025000",
                    "adjusted_month": SEPTEMBER,
                }
            ],
        ),
        Org(SCRIPT_ID, "offline_contract", licences=[yearly], ingress=Decimal("512.25")),
        Org(
            FORMULA_ID,
            "direct",
            adjustments=[
                {
                    "billing_item": "data_egress",
                    "tier": 1,
                    "quantity": "-15.000000",
                    "unit": "GiB",
                    "unit_price": "0.030000",
                    "adjusted_month": SEPTEMBER,
                }
            ],
        ),
        Org("+org-plus", "azure_marketplace", egress=Decimal("333.333333")),
        Org("-org-minus", "gcp_marketplace", uptime={"dev": 100}),
        Org("@org-at", "alibaba_marketplace", retention=Decimal("15000")),
        Org(
            UNICODE_ID,
            "direct",
            ingress=Decimal(12000),
            egress=Decimal(9000),
            retention=Decimal(700),
            uptime={"enterprise": 200},
        ),
        Org("index", "offline_contract", licences=[monthly]),
        Org("org-trial", "direct", licences=[trial], uptime={"dev": 336}),
        Org(
            "org-enterprise",
            "aws_marketplace",
            "210987654321",
            ingress=Decimal(1100000),
            egress=Decimal(250000),
            retention=Decimal(90000),
            uptime={"enterprise": 744, "pro": 1488},
        ),
        Org("org-new", "direct", egress=Decimal("0.5")),
        Org("org.with.dots_and-dash", "direct", ingress=Decimal("10240.000001")),
    ]


OCTOBER_CORRECTIONS = {
    "window": ["2026-07", "2026-09"],
    "issued_basis": {"2026-08": 1, "2026-09": 2},
    "by_month": {"2026-09": {"lines": 2, "amount": "2.05"}},
    "outside_window": [
        {
            "month": "2026-06",
            "organization_id": "<i>old</i>",
            "billing_item": "data_egress",
            "quantity": "1.000000",
            "amount": "0.03",
        }
    ],
}


@dataclass(frozen=True)
class Close:
    root: Path
    folder: Path
    manifest: dict
    orgs: list[Org]


def build_october_close(root: Path) -> Close:
    """The output folder of a realistic October 2026 close: August and September final, October
    v1 closed; twelve organizations."""
    write_final_month(root, dt.date(2026, 8, 1), 1, {"org-acme": "5100.00", "org-gone": "12.00"})
    write_final_month(
        root,
        SEPTEMBER,
        2,
        {
            "org-acme": "4800.00",
            SCRIPT_ID: "20.00",
            "org-enterprise": "30000.00",
            "org-gone": "10.00",
            "-org-minus": "10.00",
        },
    )
    orgs = october_orgs()
    folder = root / "2026-10" / "v1"
    manifest = write_version_folder(
        folder, OCTOBER, 1, orgs, corrections=OCTOBER_CORRECTIONS, marketplace=True
    )
    return Close(root, folder, manifest, orgs)
