"""The close report a controller reads to sign a month off, as the template prints it.

Every figure comes from the version folder (manifest, Parquet files, validation results) or from
the final months beside it; nothing is recomputed from the warehouse.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from automq_billing.documents import charts
from automq_billing.documents.close_report_tables import (
    INPUTS_SHOWN,
    Table,
    amount_text,
    corrections_basis,
    corrections_by_month,
    corrections_outside,
    count_table,
    exception_counts,
    inputs_table,
    marketplace_amounts,
    marketplace_counts,
    marketplace_present,
    outputs_table,
    quarantine_table,
    reconciliation_table,
    unmatched_events_table,
)
from automq_billing.documents.journal_report import JournalSection, journal_section
from automq_billing.documents.statement import Chart, close_status
from automq_billing.documents.text import (
    INVOICER_TITLES,
    ITEM_ORDER,
    ITEM_TITLES,
    decimal_text,
    document_name,
    gib_text,
    money_sum,
    money_text,
    month_label,
    month_title,
    percent_change,
    service_period,
    signed_percent_text,
    statement_number,
)
from automq_billing.documents.version_folder import Row, VersionFolder

TOP_ORGANIZATIONS = 10
MONTHS_IN_TREND = 12
EXAMPLES_SHOWN = 20
EXAMPLE_LENGTH = 300


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class OrganizationRow:
    organization_id: str
    link: str | None
    statement_number: str
    total: str
    previous: str
    change: str
    percent: str
    flag: str
    flagged: bool
    invoiced_by: str = ""


@dataclass(frozen=True)
class ConservationRow:
    name: str
    unit: str  # "GiB" for byte meters, "rows" for the row counts, "" for other meters
    landed: str
    rated: str
    duplicate: str
    superseded: str
    quarantined: str
    reasons: tuple[tuple[str, str], ...]  # (reason, amount) in the row's unit
    balanced: bool
    difference: str  # exact (bytes for byte meters)


@dataclass(frozen=True)
class ExpectationRow:
    expectation: str
    target: str
    kind: str
    passed: bool
    unexpected_count: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SuiteBlock:
    suite: str
    rows: str
    expectations: tuple[ExpectationRow, ...]
    failed: int


@dataclass(frozen=True)
class CloseReport:
    month_title: str
    month_label: str
    period: str
    version: int
    closed_at: str
    closed_at_iso: str
    status: str
    threshold: str
    figures: tuple[Figure, ...]
    line_counts: Table
    invoicing: Table
    problems: tuple[str, ...]
    validation_success: bool | None
    validation_summary: str
    blocking_failures: tuple[str, ...]
    warnings: tuple[str, ...]
    previous_label: str | None
    organizations: tuple[OrganizationRow, ...]
    flagged: int
    charts: tuple[Chart, ...]
    conservation: tuple[ConservationRow, ...]
    conservation_balanced: bool
    quarantine: Table
    quarantine_rows: str
    suites: tuple[SuiteBlock, ...]
    corrections: dict[str, Any] | None
    corrections_by_month: Table
    corrections_basis: Table
    corrections_outside: Table
    marketplace_present: bool
    marketplace_status: Table
    marketplace_causes: Table
    marketplace_amounts: Table
    marketplace_rows: Table
    marketplace_unmatched: Table
    inputs: Table
    inputs_hidden: int
    outputs: Table
    journal: JournalSection | None = None  # SPEC 12.3


def build_close_report(
    close: VersionFolder, closed_at: str, closed_at_iso: str, threshold: Decimal
) -> CloseReport:
    manifest = close.manifest
    validation = close.validation or {}
    summary = validation.get("summary") or {}
    organizations = _organization_rows(close, threshold)
    conservation = _conservation_rows(manifest.get("usage_events") or {})
    corrections = manifest.get("corrections")
    return CloseReport(
        month_title=month_title(close.month),
        month_label=month_label(close.month),
        period=service_period(close.month),
        version=close.version,
        closed_at=closed_at,
        closed_at_iso=closed_at_iso,
        status=close_status(close),
        threshold=decimal_text(threshold),
        figures=tuple(_figures(close)),
        line_counts=_line_counts(close.lines),
        invoicing=_invoicing(close.lines),
        problems=tuple(close.problems),
        validation_success=summary.get("success") if summary else None,
        validation_summary=_validation_summary(summary),
        blocking_failures=tuple(str(f) for f in summary.get("blocking_failures") or []),
        # the manifest's warnings: every landed file's, the months outside the correction
        # window, usage no close prices (older versions: the validation's warnings)
        warnings=tuple(str(w) for w in manifest.get("warnings") or summary.get("warnings") or []),
        previous_label=(
            month_title(close.previous_totals.final.month) if close.previous_totals else None
        ),
        organizations=tuple(organizations),
        flagged=sum(1 for row in organizations if row.flagged),
        charts=tuple(_charts(close)),
        conservation=tuple(conservation),
        conservation_balanced=all(row.balanced for row in conservation),
        quarantine=quarantine_table(manifest.get("quarantine") or {}),
        quarantine_rows=str((manifest.get("quarantine") or {}).get("rows", "not recorded")),
        suites=tuple(_suite_blocks(validation)),
        corrections=corrections,
        corrections_by_month=corrections_by_month(corrections or {}),
        corrections_basis=corrections_basis(corrections or {}),
        corrections_outside=corrections_outside(corrections or {}),
        marketplace_present=marketplace_present(close),
        marketplace_status=count_table("Status", marketplace_counts(close, "status")),
        marketplace_causes=count_table("Cause", exception_counts(close)),
        marketplace_amounts=marketplace_amounts(close),
        marketplace_rows=reconciliation_table(close.reconciliation or []),
        marketplace_unmatched=unmatched_events_table(close.unmatched_events or []),
        inputs=inputs_table(manifest.get("inputs") or []),
        inputs_hidden=max(0, len(manifest.get("inputs") or []) - INPUTS_SHOWN),
        outputs=outputs_table(manifest.get("outputs") or {}),
        journal=journal_section(close),
    )


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _figures(close: VersionFolder) -> list[Figure]:
    totals = close.manifest.get("totals") or {}
    currency = totals.get("currency", "USD")
    statement_sum = money_sum([row["total_amount"] for row in close.statements])
    figures = [
        Figure("Organizations", str(totals.get("organizations", len(close.statements)))),
        Figure("Statement lines", str(totals.get("statement_lines", len(close.lines)))),
        Figure("Usage", f"{amount_text(totals.get('usage_amount'))} {currency}"),
        Figure("Subscriptions", f"{amount_text(totals.get('subscription_amount'))} {currency}"),
        Figure("Adjustments", f"{amount_text(totals.get('adjustment_amount'))} {currency}"),
        Figure(
            "Total",
            f"{amount_text(totals.get('total_amount', statement_sum))} {currency}",
            note=_total_check(totals.get("total_amount"), statement_sum),
        ),
    ]
    return figures


def _total_check(manifest_total: Any, statement_sum: Decimal) -> str:
    total = _decimal(manifest_total)
    if total is None:
        return f"statements add up to {money_text(statement_sum)}"
    if total == statement_sum:
        return "equals the sum of the statements"
    return f"the statements add up to {money_text(statement_sum)}: check the close"


def _line_counts(lines: list[Row]) -> Table:
    counts: dict[str, int] = Counter(line["line_type"] for line in lines)
    amounts: dict[str, list[Decimal]] = defaultdict(list)
    for line in lines:
        amounts[line["line_type"]].append(line["amount"])
    order = list(dict.fromkeys(line["line_type"] for line in lines))  # as the close ordered them
    rows = tuple(
        (kind, f"{counts[kind]:,}", money_text(money_sum(amounts[kind]))) for kind in order
    )
    total = ("all lines", f"{len(lines):,}", money_text(money_sum([ln["amount"] for ln in lines])))
    return Table(("Line type", "Lines", "Amount (USD)"), rows + (total,), numeric=(1, 2))


def _party_order(party: str) -> tuple[bool, str]:
    return (party != "automq", party)


def _invoicing(lines: list[Row]) -> Table:
    """Who invoices the month's lines (statement_lines.invoiced_by, SPEC 10.2): lines and amount
    per party and line type, then per party."""
    amounts: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for line in lines:
        if line.get("invoiced_by") is not None:
            amounts[(line["invoiced_by"], line["line_type"])].append(line["amount"])
    rows: list[tuple[str, ...]] = []
    for party in sorted({party for party, _ in amounts}, key=_party_order):
        kinds = [(kind, values) for (p, kind), values in sorted(amounts.items()) if p == party]
        for kind, values in kinds:
            rows.append(
                (
                    INVOICER_TITLES.get(party, party),
                    kind,
                    f"{len(values):,}",
                    money_text(money_sum(values)),
                )
            )
        every = [value for _, values in kinds for value in values]
        rows.append(
            (
                f"{INVOICER_TITLES.get(party, party)} in all",
                "",
                f"{len(every):,}",
                money_text(money_sum(every)),
            )
        )
    return Table(("Invoiced by", "Line type", "Lines", "Amount (USD)"), tuple(rows), numeric=(2, 3))


def _organization_parties(close: VersionFolder) -> dict[str, str]:
    """Per organization, what each party invoices of its statement, in words."""
    amounts: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for line in close.lines:
        if line.get("invoiced_by") is not None:
            amounts[line["organization_id"]][line["invoiced_by"]].append(line["amount"])
    return {
        org: "; ".join(
            f"{INVOICER_TITLES.get(party, party)} {money_text(money_sum(parties[party]))}"
            for party in sorted(parties, key=_party_order)
        )
        for org, parties in amounts.items()
    }


def _organization_rows(close: VersionFolder, threshold: Decimal) -> list[OrganizationRow]:
    previous = close.previous_totals.totals if close.previous_totals else None
    current = {row["organization_id"]: row["total_amount"] for row in close.statements}
    parties = _organization_parties(close)
    return [
        replace(
            _organization_row(close, org, current.get(org), previous, threshold),
            invoiced_by=parties.get(org, ""),
        )
        for org in sorted(set(current) | set(previous or {}))
    ]


def _organization_row(
    close: VersionFolder,
    organization_id: str,
    total: Decimal | None,
    previous: dict[str, Decimal] | None,
    threshold: Decimal,
) -> OrganizationRow:
    before = previous.get(organization_id) if previous is not None else None
    change = percent = flag = ""
    flagged = False
    if previous is None:
        flag = "no final month before"
    elif before is None:
        flag, flagged = "new", True
    elif total is None:
        flag, flagged = "no statement this month", True
    if total is not None and before is not None:
        change = money_text(total - before)
        ratio = percent_change(total, before)
        percent = signed_percent_text(ratio) if ratio is not None else "n/a"
        if ratio is not None and abs(ratio) > threshold:
            flag, flagged = f"above {decimal_text(threshold)} %", True
        elif ratio is None and total != before:
            flag, flagged = "was zero", True
    return OrganizationRow(
        organization_id=organization_id,
        link=f"{document_name(organization_id)}.html" if total is not None else None,
        statement_number=(
            statement_number(close.month, organization_id, close.version)
            if total is not None
            else ""
        ),
        total=money_text(total) if total is not None else "",
        previous=money_text(before) if before is not None else "",
        change=change,
        percent=percent,
        flag=flag,
        flagged=flagged,
    )


def _conservation_rows(usage_events: dict) -> list[ConservationRow]:
    blocks: list[tuple[str, str, dict]] = []
    if usage_events.get("rows"):
        blocks.append(("all rows", "rows", usage_events["rows"]))
    for meter, block in (usage_events.get("quantity") or {}).items():
        blocks.append((meter, "GiB" if "bytes" in meter else "", block))
    return [_conservation_row(name, unit, block) for name, unit, block in blocks]


def _conservation_row(name: str, unit: str, block: dict) -> ConservationRow:
    """One meter's balance, checked on the exact integers of the manifest and printed in GiB for
    the byte meters (a 19-digit byte count reads as noise), whole numbers otherwise."""
    reasons = block.get("quarantined") or {}
    quarantined = sum(int(value) for value in reasons.values())
    landed, rated = int(block.get("landed", 0)), int(block.get("rated", 0))
    duplicate, superseded = int(block.get("duplicate", 0)), int(block.get("superseded", 0))
    difference = landed - (rated + duplicate + superseded + quarantined)

    def shown(value: int) -> str:
        return gib_text(value) if unit == "GiB" else f"{value:,}"

    return ConservationRow(
        name=name,
        unit=unit,
        landed=shown(landed),
        rated=shown(rated),
        duplicate=shown(duplicate),
        superseded=shown(superseded),
        quarantined=shown(quarantined),
        reasons=tuple(
            (str(reason), shown(int(count))) for reason, count in sorted(reasons.items())
        ),
        balanced=difference == 0,
        difference=f"{difference:,} bytes" if unit == "GiB" else f"{difference:,}",
    )


def _validation_summary(summary: dict) -> str:
    if not summary:
        return "No validation results in this version folder."
    verdict = "passed" if summary.get("success") else "did not pass"
    blocking = len(summary.get("blocking_failures") or [])
    warnings = len(summary.get("warnings") or [])
    return (
        f"Validation {verdict}: {summary.get('expectations', '?')} expectation(s), "
        f"{blocking} blocking failure(s), {warnings} warning(s)."
    )


def _suite_blocks(validation: dict) -> list[SuiteBlock]:
    blocks = []
    for suite in validation.get("suites") or []:
        expectations = tuple(_expectation_row(e) for e in suite.get("expectations") or [])
        blocks.append(
            SuiteBlock(
                suite=str(suite.get("suite", "")),
                rows="" if suite.get("rows") is None else f"{int(suite['rows']):,}",
                expectations=expectations,
                failed=sum(1 for e in expectations if not e.passed),
            )
        )
    return blocks


def _expectation_row(expectation: dict) -> ExpectationRow:
    examples = [str(example) for example in expectation.get("examples") or []]
    shown = tuple(
        example if len(example) <= EXAMPLE_LENGTH else example[:EXAMPLE_LENGTH] + "\u2026"
        for example in examples[:EXAMPLES_SHOWN]
    )
    if len(examples) > EXAMPLES_SHOWN:
        shown += (f"... and {len(examples) - EXAMPLES_SHOWN} more",)
    count = expectation.get("unexpected_count")
    return ExpectationRow(
        expectation=str(expectation.get("expectation", "")),
        target=str(expectation.get("target", "")),
        kind="blocking" if expectation.get("blocking") else "warning",
        passed=bool(expectation.get("success")),
        unexpected_count="" if count is None else f"{int(count):,}",
        examples=shown,
    )


def _charts(close: VersionFolder) -> list[Chart]:
    found = []
    by_item = _revenue_by_item(close.lines)
    if by_item:
        labels, values = zip(*by_item, strict=True)
        svg = charts.horizontal_bar_chart(
            "report-items", "Revenue by billing item", labels, values, "USD"
        )
        found.append(Chart("Revenue by billing item (USD)", svg))
    by_org = _revenue_by_organization(close.statements)
    if by_org:
        labels, values = zip(*by_org, strict=True)
        title = f"Revenue by organization (top {TOP_ORGANIZATIONS})"
        svg = charts.horizontal_bar_chart("report-orgs", title, labels, values, "USD")
        found.append(Chart(f"{title} (USD)", svg))
    trend = _month_over_month(close)
    if len(trend) > 1:
        labels, values = zip(*trend, strict=True)
        svg = charts.month_over_month_chart("report-months", labels, values, "USD")
        found.append(Chart("Statement totals, month over month (USD)", svg))
    return found


def _revenue_by_item(lines: list[Row]) -> list[tuple[str, float]]:
    sums: dict[str, list[Decimal]] = defaultdict(list)
    for line in lines:
        key = "Corrections" if line["line_type"] == "adjustment" else line["billing_item"]
        sums[key].append(line["amount"])
    order = [item for item in ITEM_ORDER if item in sums] + sorted(
        key for key in sums if key not in ITEM_ORDER
    )
    return [(ITEM_TITLES.get(key, key), float(money_sum(sums[key]))) for key in order]


def _revenue_by_organization(statements: list[Row]) -> list[tuple[str, float]]:
    ranked = sorted(statements, key=lambda row: (-row["total_amount"], row["organization_id"]))
    top = [(row["organization_id"], float(row["total_amount"])) for row in ranked]
    if len(top) <= TOP_ORGANIZATIONS:
        return top
    rest = money_sum([row["total_amount"] for row in ranked[TOP_ORGANIZATIONS - 1 :]])
    others = len(ranked) - TOP_ORGANIZATIONS + 1
    return top[: TOP_ORGANIZATIONS - 1] + [(f"{others} other organizations", float(rest))]


def _month_over_month(close: VersionFolder) -> list[tuple[str, float]]:
    finals = [f for f in close.previous_finals if f.total_amount is not None]
    finals = finals[-(MONTHS_IN_TREND - 1) :]
    points = [(month_label(f.month), float(f.total_amount or 0)) for f in finals]
    current = money_sum([row["total_amount"] for row in close.statements])
    return points + [(f"{month_label(close.month)}\n(this close)", float(current))]
