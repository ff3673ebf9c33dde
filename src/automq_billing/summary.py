"""The short report a close prints for the person who ran it."""

from __future__ import annotations

from automq_billing.close import CloseResult
from automq_billing.close.marketplace import status_line
from automq_billing.landing.survey import shown


def print_close_summary(result: CloseResult, *, timings: bool = False) -> None:
    manifest = result.manifest
    totals = manifest.totals
    rows = manifest.usage_events.rows
    print(f"Closed {manifest.month} as v{result.version}: {result.folder}")
    print(
        f"  {totals.organizations} organization(s), {totals.statement_lines} line(s); "
        f"usage {totals.usage_amount:.2f} + subscription {totals.subscription_amount:.2f} + "
        f"adjustment {totals.adjustment_amount:.2f} = total {totals.total_amount:.2f} "
        f"{totals.currency}"
    )
    print(
        f"  usage rows: {rows.landed:,} landed = {rows.rated:,} rated + "
        f"{rows.duplicate:,} duplicate + {rows.superseded:,} superseded + "
        f"{sum(rows.quarantined.values()):,} quarantined"
    )
    if manifest.usage_events.rows_without_month:
        print(
            f"  {manifest.usage_events.rows_without_month:,} row(s) have no hour_start (no "
            "month): counted above and listed in quarantine.parquet"
        )
    for reason, count in sorted(rows.quarantined.items()):
        print(f"    quarantined {reason}: {count:,}")
    for month, correction in manifest.corrections.by_month.items():
        print(f"  Corrections: {month}: {correction['lines']} line(s), {correction['amount']} USD")
    if manifest.corrections.outside_window:
        months = sorted({row["month"] for row in manifest.corrections.outside_window})
        print(
            f"  warning: {len(manifest.corrections.outside_window)} difference(s) in the final "
            f"month(s) {', '.join(months)} (before {manifest.corrections.window[0]}) are outside "
            "the correction window and not corrected (manifest: corrections.outside_window)"
        )
    licenses, prepaid = manifest.licenses, manifest.prepaid
    print(
        f"  licences: {licenses['landed']} landed, {licenses['valid']} valid, "
        f"{sum(licenses['quarantined'].values())} quarantined"
        + "".join(f" ({reason}: {n})" for reason, n in licenses["quarantined"].items())
    )
    if manifest.license_compliance:
        print(
            "  licence compliance: "
            + ", ".join(f"{n} {kind}" for kind, n in manifest.license_compliance.items())
        )
    print(
        f"  subscriptions: {prepaid['subscription_lines']} line(s), "
        f"{prepaid['subscription_amount']} USD invoiced; revenue recognised this month "
        f"{prepaid['recognized_revenue']} USD"
    )
    over = prepaid["environments_over_capacity"]
    if over:
        print(f"  {len(over)} environment(s) ran over their allocated AKU")
    if manifest.marketplace is not None:
        print("  " + status_line(manifest.marketplace))
    if manifest.focus is not None:
        focus = manifest.focus
        print(
            f"  FOCUS {focus['version']}: {focus['rows']} row(s), BilledCost "
            f"{focus['billed_cost']} USD, EffectiveCost {focus['effective_cost']} USD "
            f"({result.folder / 'focus.parquet'})"
        )
    if manifest.journal is not None:  # SPEC 12.3
        journal, deferred = manifest.journal, manifest.journal["deferred_revenue"]
        print(
            f"  journal: {journal['entries']} entries, debits = credits = {journal['debit']} USD; "
            f"deferred revenue {deferred['opening']} + {deferred['invoiced']} invoiced - "
            f"{deferred['recognised']} recognised = {deferred['closing']} USD"
        )
    for warning in manifest.warnings[:10]:
        print(f"  warning: {shown(warning)}")  # a landed file's name may hold a newline
    if timings:
        print("  timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in manifest.timings.items()))
    print(f"  statements: {result.folder / 'statements.csv'}")
    documents = manifest.documents
    if documents:
        print(f"  documents: {result.folder / documents['folder']}")
