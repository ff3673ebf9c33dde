"""One organization's statement as the template prints it: every figure already a string.

Amounts and quantities are the Decimal strings of statement_lines (and statements) exactly; the
only figures computed here are subtotals per billing item, which are sums of cent amounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from automq_billing.documents import charts
from automq_billing.documents.text import (
    CLUSTER_TIER_TITLES,
    ITEM_ORDER,
    ITEM_TITLES,
    TERM_TITLES,
    channel_text,
    document_name,
    invoicer_text,
    invoicers_heading,
    money_sum,
    money_text,
    month_title,
    parse_utc,
    price_text,
    quantity_text,
    service_period,
    service_period_bounds,
    statement_number,
    through_text,
    tier_range_text,
    utc_text,
)
from automq_billing.documents.version_folder import Row, VersionFolder
from automq_billing.months import days_in_month

ITEM_NOTES = {
    "data_ingress": "Compressed data written to your clusters.",
    "data_egress": "Compressed data read from your clusters.",
    "data_retention": "Average compressed data retained over the month.",
    "cluster_uptime": "Hours in which a cluster ran, by cluster tier; a partial hour counts as "
    "a full hour.",
    "aku_subscription": "Prepaid AKU licences, invoiced in advance on the statement of the month "
    "in which their term starts.",
}

TIER_MODE_NOTES = {
    "graduated": "Graduated tiers: each tier's price applies to the part of the month's "
    "quantity that falls inside it.",
    "volume": "Volume tiers: the whole quantity is priced at the tier it reaches.",
}


@dataclass(frozen=True)
class LineRow:
    description: str
    detail: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    negative: bool
    invoiced_by: str


@dataclass(frozen=True)
class PartyTotal:
    """What one party invoices of a statement (SPEC 10.2)."""

    party: str
    amount: str
    lines: int


@dataclass(frozen=True)
class LineGroup:
    item: str
    title: str
    note: str
    rows: tuple[LineRow, ...]
    subtotal: str


@dataclass(frozen=True)
class CorrectionRow:
    corrected_month: str
    item: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    negative: bool
    invoiced_by: str


@dataclass(frozen=True)
class LicenceRow:
    license_id: str
    channel: str
    term: str
    period: str
    aku_quota: str
    unit_price: str
    amount: str


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


@dataclass(frozen=True)
class Statement:
    organization_id: str
    name: str
    number: str
    month_title: str
    month_label: str
    period: str
    period_bounds: tuple[str, str]
    version: int
    closed_at: str
    closed_at_iso: str
    channel: str
    currency: str
    usage_amount: str
    subscription_amount: str
    adjustment_amount: str
    total_amount: str
    is_credit: bool
    line_count: int
    groups: tuple[LineGroup, ...]
    corrections: tuple[CorrectionRow, ...]
    corrections_amount: str
    licences: tuple[LicenceRow, ...]
    charts: tuple[Chart, ...]
    parties: tuple[PartyTotal, ...] = ()


@dataclass(frozen=True)
class StatementContext:
    """What every statement of one close shares."""

    month: dt.date
    version: int
    closed_at: str
    closed_at_iso: str
    rate_card: dict[tuple, Row]
    usage_by_org: dict[str, list[Row]]
    licences_by_id: dict[str, Row]
    licences_by_org: dict[str, list[Row]]


def statement_context(close: VersionFolder, closed_at: str, closed_at_iso: str) -> StatementContext:
    usage_by_org: dict[str, list[Row]] = defaultdict(list)
    for row in close.usage_daily:
        usage_by_org[row["organization_id"]].append(row)
    licences_by_org: dict[str, list[Row]] = defaultdict(list)
    for licence in close.licenses:
        licences_by_org[licence["organization_id"]].append(licence)
    return StatementContext(
        month=close.month,
        version=close.version,
        closed_at=closed_at,
        closed_at_iso=closed_at_iso,
        rate_card=_rate_card_index(close.rate_card),
        usage_by_org=dict(usage_by_org),
        licences_by_id={licence["license_id"]: licence for licence in close.licenses},
        licences_by_org=dict(licences_by_org),
    )


def close_status(close: VersionFolder) -> str:
    """Whether finance has issued this version (SPEC 8) when the documents are rendered."""
    final = close.month_final
    if final is None:
        return "Draft: not yet issued"
    if final.version == close.version:
        who = f", approved by {final.approved_by}" if final.approved_by else ""
        return f"Issued: final since {_moment_text(final.finalized_at)}{who}"
    return f"Draft, superseded: v{final.version} of this month was issued"


def _moment_text(text: str) -> str:
    try:
        return utc_text(parse_utc(text))
    except ValueError:
        return text


def build_statement(
    context: StatementContext, summary: Row, lines: list[Row], organization: Row | None
) -> Statement:
    organization_id = summary["organization_id"]
    charged = [line for line in lines if line["line_type"] != "adjustment"]
    adjustments = [line for line in lines if line["line_type"] == "adjustment"]
    total = summary["total_amount"]
    return Statement(
        organization_id=organization_id,
        name=document_name(organization_id),
        number=statement_number(context.month, organization_id, context.version),
        month_title=month_title(context.month),
        month_label=f"{context.month:%Y-%m}",
        period=service_period(context.month),
        period_bounds=service_period_bounds(context.month),
        version=context.version,
        closed_at=context.closed_at,
        closed_at_iso=context.closed_at_iso,
        channel=_channel(lines, organization),
        currency=summary.get("currency") or "USD",
        usage_amount=money_text(summary["usage_amount"]),
        subscription_amount=money_text(summary["subscription_amount"]),
        adjustment_amount=money_text(summary["adjustment_amount"]),
        total_amount=money_text(total),
        is_credit=total < 0,
        line_count=int(summary.get("line_count") or len(lines)),
        groups=tuple(_groups(context, charged)),
        corrections=tuple(_correction_row(context, line) for line in _sorted(adjustments)),
        corrections_amount=money_text(money_sum([line["amount"] for line in adjustments])),
        licences=tuple(
            _licence_row(licence)
            for licence in sorted(
                context.licences_by_org.get(organization_id, []),
                key=lambda licence: (licence["start_date"], licence["license_id"]),
            )
        ),
        charts=tuple(_charts(context, organization_id)),
        parties=tuple(_parties(lines)),
    )


def _channel(lines: list[Row], organization: Row | None) -> str:
    """Who invoices the statement, from its lines (SPEC 10.2); a version closed before lines named
    their party keeps its sales channel."""
    account = (organization or {}).get("customer_aws_account_id")
    parties = [line.get("invoiced_by") for line in lines]
    if not parties or None in parties:
        return channel_text((organization or {}).get("sales_channel"), account)
    return invoicers_heading(parties, account)


def _parties(lines: list[Row]) -> list[PartyTotal]:
    """The amount and line count each party invoices, AutoMQ first."""
    by_party: dict[str, list[Row]] = defaultdict(list)
    for line in lines:
        if line.get("invoiced_by") is not None:
            by_party[line["invoiced_by"]].append(line)
    return [
        PartyTotal(
            invoicer_text(party),
            money_text(money_sum([line["amount"] for line in party_lines])),
            len(party_lines),
        )
        for party, party_lines in sorted(by_party.items(), key=lambda i: (i[0] != "automq", i[0]))
    ]


def _rate_card_index(rate_card: list[Row]) -> dict[tuple, Row]:
    """Rate card rows by (item, tier or cluster tier, version) and by (item, tier or cluster
    tier) alone, for lines that name no version."""
    index: dict[tuple, Row] = {}
    for row in rate_card:
        key = row.get("tier") if row["billing_item"] != "cluster_uptime" else row["cluster_tier"]
        index[(row["billing_item"], key, row.get("rate_card_version"))] = row
        index.setdefault((row["billing_item"], key), row)
    return index


def _rate_row(context: StatementContext, line: Row) -> Row | None:
    key = line["tier"] if line["billing_item"] != "cluster_uptime" else line["cluster_tier"]
    if line.get("rate_card_version") is None:
        return context.rate_card.get((line["billing_item"], key))
    return context.rate_card.get((line["billing_item"], key, line["rate_card_version"]))


def _sort_key(line: Row) -> tuple:
    item = line["billing_item"]
    return (
        line.get("adjusted_month") or dt.date.min,
        ITEM_ORDER.index(item) if item in ITEM_ORDER else len(ITEM_ORDER),
        item,
        line.get("tier") or 0,
        line.get("cluster_tier") or "",
        line.get("license_id") or "",
    )


def _sorted(lines: list[Row]) -> list[Row]:
    return sorted(lines, key=_sort_key)


def _groups(context: StatementContext, lines: list[Row]) -> list[LineGroup]:
    by_item: dict[str, list[Row]] = defaultdict(list)
    for line in _sorted(lines):
        by_item[line["billing_item"]].append(line)
    return [
        LineGroup(
            item=item,
            title=ITEM_TITLES.get(item, item),
            note=_group_note(context, item, item_lines),
            rows=tuple(_line_row(context, line) for line in item_lines),
            subtotal=money_text(money_sum([line["amount"] for line in item_lines])),
        )
        for item, item_lines in by_item.items()
    ]


def _group_note(context: StatementContext, item: str, lines: list[Row]) -> str:
    note = ITEM_NOTES.get(item, "")
    versions = sorted({line["rate_card_version"] for line in lines if line["rate_card_version"]})
    if any(line["tier"] is not None for line in lines):  # a tiered data item
        modes = {(_rate_row(context, line) or {}).get("tier_mode") for line in lines} - {None}
        note += "".join(f" {TIER_MODE_NOTES.get(mode, mode)}" for mode in sorted(modes))
    if versions and item != "aku_subscription":
        note += f" Rate card {', '.join(versions)}."
    return note.strip()


def _line_row(context: StatementContext, line: Row) -> LineRow:
    description, detail = _describe(context, line)
    return LineRow(
        description=description,
        detail=detail,
        quantity=quantity_text(line["quantity"]),
        unit=line["unit"],
        unit_price=price_text(line["unit_price"]),
        amount=money_text(line["amount"]),
        negative=line["amount"] < 0,
        invoiced_by=invoicer_text(line.get("invoiced_by")),
    )


def _describe(context: StatementContext, line: Row) -> tuple[str, str]:
    """A line's description and its secondary detail, in words."""
    item = line["billing_item"]
    currency = line.get("currency") or "USD"
    if item == "cluster_uptime":
        tier = CLUSTER_TIER_TITLES.get(line["cluster_tier"], str(line["cluster_tier"]))
        price = price_text(line["unit_price"])
        return f"{tier} cluster tier", f"billable cluster hours at {price} {currency} per hour"
    if item == "aku_subscription":
        return _describe_subscription(context, line)
    rate = _rate_row(context, line)
    description = f"Tier {line['tier']}" if line.get("tier") is not None else ITEM_TITLES[item]
    if rate is None:
        return description, f"rate card {line.get('rate_card_version') or 'not recorded'}"
    detail = tier_range_text(
        rate["lower_bound"], rate.get("upper_bound"), rate["unit_price"], line["unit"], currency
    )
    return description, detail


def _describe_subscription(context: StatementContext, line: Row) -> tuple[str, str]:
    licence = context.licences_by_id.get(line.get("license_id") or "")
    price_basis = (
        "contract price"
        if line.get("rate_card_version") == "contract"
        else f"list price of {line.get('rate_card_version')}"
    )
    description = f"Licence {line.get('license_id')}"
    if licence is None:
        return description, price_basis
    term = TERM_TITLES.get(licence["term"], licence["term"])
    period = through_text(licence["start_date"], licence["end_date"])
    return description, f"{term} term, {period}; {price_basis}"


def _correction_row(context: StatementContext, line: Row) -> CorrectionRow:
    description, detail = _describe(context, line)
    corrected = line.get("adjusted_month")
    return CorrectionRow(
        corrected_month=month_title(corrected) if corrected else "not recorded",
        item=ITEM_TITLES.get(line["billing_item"], line["billing_item"]),
        description=f"{description}: {detail}" if detail else description,
        quantity=quantity_text(line["quantity"]),
        unit=line["unit"],
        unit_price=price_text(line["unit_price"]),
        amount=money_text(line["amount"]),
        negative=line["amount"] < 0,
        invoiced_by=invoicer_text(line.get("invoiced_by")),
    )


def _licence_row(licence: Row) -> LicenceRow:
    unit_price = licence.get("unit_price")
    amount = licence.get("amount")
    return LicenceRow(
        license_id=licence["license_id"],
        channel=str(licence.get("channel") or ""),
        term=TERM_TITLES.get(licence["term"], licence["term"]),
        period=through_text(licence["start_date"], licence["end_date"]),
        aku_quota=str(licence["aku_quota"]),
        unit_price=price_text(unit_price) if unit_price is not None else "",
        amount=money_text(amount) if amount is not None else "",
    )


def _charts(context: StatementContext, organization_id: str) -> list[Chart]:
    """Daily usage charts; a chart is left out when its items have no usage."""
    rows = context.usage_by_org.get(organization_id, [])
    days = days_in_month(context.month)
    series: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0.0] * days)
    for row in rows:
        day = row["usage_day"]
        if (day.year, day.month) == (context.month.year, context.month.month):
            key = (row["billing_item"], row.get("cluster_tier"))
            series[key][day.day - 1] += float(row["quantity"])
    chart_id = document_name(organization_id)
    found: list[Chart] = []
    ingress = series.get(("data_ingress", None), [0.0] * days)
    egress = series.get(("data_egress", None), [0.0] * days)
    if any(ingress) or any(egress):
        svg = charts.daily_traffic_chart(f"{chart_id}-traffic", ingress, egress)
        found.append(Chart("Data ingress and egress per day (GiB)", svg))
    retention = series.get(("data_retention", None), [0.0] * days)
    if any(retention):
        svg = charts.daily_retention_chart(f"{chart_id}-retention", retention)
        found.append(Chart("Data retained per day (average GiB)", svg))
    uptime = {
        str(tier): series[("cluster_uptime", tier)]
        for tier in _uptime_tiers(series)
        if any(series[("cluster_uptime", tier)])
    }
    if uptime:
        svg = charts.daily_uptime_chart(f"{chart_id}-uptime", uptime)
        found.append(Chart("Cluster hours per day by cluster tier", svg))
    return found


def _uptime_tiers(series: dict[tuple[str, str | None], list[float]]) -> list[str | None]:
    """The cluster tiers with uptime, in a stable (alphabetical) order."""
    found = {tier for item, tier in series if item == "cluster_uptime"}
    return sorted(found, key=lambda t: str(t))
