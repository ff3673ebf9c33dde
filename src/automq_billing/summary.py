"""The short report a close prints for the person who ran it."""

from __future__ import annotations

from automq_billing.close import CloseResult


def print_close_summary(result: CloseResult) -> None:
    manifest = result.manifest
    totals = manifest["totals"]
    rows = manifest["usage_events"]["rows"]
    scope = manifest["usage_events_scope"]
    print(f"Closed {manifest['month']} as v{result.version}: {result.folder}")
    print(
        f"  {totals['organizations']} organization(s), {totals['statement_lines']} line(s); "
        f"usage {totals['usage_amount']} + subscription {totals['subscription_amount']} + "
        f"adjustment {totals['adjustment_amount']} = total {totals['total_amount']} "
        f"{totals['currency']}"
    )
    quarantined = sum(rows["quarantined"].values())
    print(
        f"  usage rows: {rows['landed']:,} landed = {rows['rated']:,} rated + "
        f"{rows['duplicate']:,} duplicate + {rows['superseded']:,} superseded + "
        f"{quarantined:,} quarantined"
    )
    if scope["rows_without_month"]:
        print(
            f"  {scope['rows_without_month']:,} row(s) have no hour_start (no month): counted "
            "above and listed in quarantine.parquet"
        )
    for reason, count in rows["quarantined"].items():
        print(f"    quarantined {reason}: {count:,}")
    licenses = manifest["licenses"]
    prepaid = manifest["prepaid"]
    print(
        f"  licences: {licenses['landed']} landed, {licenses['valid']} valid, "
        f"{sum(licenses['quarantined'].values())} quarantined"
        + "".join(f" ({reason}: {n})" for reason, n in licenses["quarantined"].items())
    )
    print(
        f"  subscriptions: {prepaid['subscription_lines']} line(s), "
        f"{prepaid['subscription_amount']} USD invoiced; revenue recognised this month "
        f"{prepaid['recognized_revenue']} USD"
    )
    over = prepaid["environments_over_capacity"]
    if over:
        print(f"  {len(over)} environment(s) ran over their allocated AKU:")
        for env in over:
            print(
                f"    {env['organization_id']} / {env['environment_id']}: "
                f"{env['hours_over_capacity']} hour(s) over, peak required "
                f"{env['peak_required_aku']} AKU vs {env['peak_allocated_aku']} allocated"
            )
    elif prepaid["environments_with_capacity"]:
        print("  no environment ran over its allocated AKU")
    print(f"  statements: {result.folder / 'statements.csv'}")
