"""The journal a close posts and the identities it must prove before anything is published
(SPEC 12.3), and the billing profiles it lists (SPEC 12.1).

`check_journal` reads the month's journal, deferred revenue roll-forward and statements from the
warehouse (read-only, once dbt has exited) and refuses the close, naming the identity and both
sides, when any does not hold:
- every entry balances (its debits equal its credits);
- every journal line posts to an account of the seed gl_accounts;
- the receivables' debits minus credits equal the sum of the statements' totals;
- usage_revenue (credits minus debits) equals the usage lines plus the usage corrections;
- subscription_revenue equals what the roll-forward recognises;
- each licence closes at opening + invoiced - recognised, and deferred_revenue moves by
  invoiced - recognised.
`journal_block` is the manifest's `journal` block.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa

from automq_billing.close.manifest import money
from automq_billing.errors import BillingError
from automq_billing.months import format_month

_ENTRY_BALANCE = """
    select entry_id, sum(debit), sum(credit)
    from marts.fct_journal_lines
    group by entry_id
    having sum(debit) != sum(credit)
    order by entry_id
"""
_NO_ACCOUNT = """
    select distinct account_role
    from marts.fct_journal_lines
    where account_code is null
    order by account_role
"""
_BY_ROLE = """
    select account_role, coalesce(sum(debit), 0), coalesce(sum(credit), 0)
    from marts.fct_journal_lines
    group by account_role
"""
_STATEMENTS = """
    select
        (select coalesce(sum(total_amount), 0) from marts.fct_statements
            where statement_month = $month),
        (select coalesce(sum(amount), 0) from marts.fct_statement_lines
            where statement_month = $month and billing_item != 'aku_subscription'
            and line_type in ('usage', 'adjustment')),
        (select coalesce(sum(recognised_amount), 0) from marts.fct_deferred_revenue),
        (select coalesce(sum(invoiced_amount), 0) from marts.fct_deferred_revenue),
        (select count(*) from marts.fct_deferred_revenue
            where closing_balance != opening_balance + invoiced_amount - recognised_amount)
"""


def check_journal(con: duckdb.DuckDBPyConnection, month: dt.date) -> None:
    """Refuses the close (BillingError) when an identity of SPEC 12.3 does not hold."""
    label = format_month(month)
    failed: list[str] = []
    unbalanced = con.execute(_ENTRY_BALANCE).fetchall()
    if unbalanced:
        entry, debit, credit = unbalanced[0]
        failed.append(
            f"{len(unbalanced)} entr{'y does' if len(unbalanced) == 1 else 'ies do'} not balance "
            f"(the first, {entry}: debit {money(debit)}, credit {money(credit)})"
        )
    missing = [row[0] for row in con.execute(_NO_ACCOUNT).fetchall()]
    if missing:
        failed.append(
            f"no account of seeds/gl_accounts.csv has the role {', '.join(missing)} "
            "(add one row per role)"
        )
    roles = {role: (Decimal(d), Decimal(c)) for role, d, c in con.execute(_BY_ROLE).fetchall()}
    [(statements, usage, recognised, invoiced, unrolled)] = con.execute(
        _STATEMENTS, {"month": month}
    ).fetchall()

    def net_debit(prefix: str) -> Decimal:
        return sum(
            (d - c for role, (d, c) in roles.items() if role and role.startswith(prefix)),
            Decimal(0),
        )

    identities = [
        ("receivables (debits - credits)", net_debit("receivable_"), "the statements' totals",
         Decimal(statements)),
        ("usage_revenue (credits - debits)", -net_debit("usage_revenue"),
         "usage lines and usage corrections", Decimal(usage)),
        ("subscription_revenue (credits - debits)", -net_debit("subscription_revenue"),
         "the licences' recognised amounts", Decimal(recognised)),
        ("deferred_revenue (credits - debits)", -net_debit("deferred_revenue"),
         "invoiced - recognised", Decimal(invoiced) - Decimal(recognised)),
    ]  # fmt: skip
    for left, left_value, right, right_value in identities:
        if left_value != right_value:
            failed.append(f"{left} {money(left_value)} != {right} {money(right_value)}")
    if unrolled:
        failed.append(
            f"{unrolled} licence(s) of the deferred revenue roll-forward do not close at "
            "opening + invoiced - recognised"
        )
    if failed:
        raise BillingError(
            f"The journal of {label} does not prove the identities of SPEC 12.3: "
            f"{'; '.join(failed)}. Nothing was written.",
            hint="check seeds/gl_accounts.csv (one account per role); otherwise the journal "
            "models are wrong: report it with the month's manifest of the last good close",
        )


_ROLL_FORWARD = {
    "opening": "opening_balance",
    "invoiced": "invoiced_amount",
    "recognised": "recognised_amount",
    "closing": "closing_balance",
}


def journal_block(tables: dict[str, pa.Table]) -> dict:
    """The manifest's `journal` block: entries, lines, debit and credit totals (overall and per
    account), the deferred revenue roll-forward's totals and the statements per profile state."""
    lines = tables["journal"].to_pylist()
    accounts: dict[str, dict[str, Decimal | str]] = {}
    for line in lines:
        account = accounts.setdefault(
            line["account_code"],
            {"name": line["account_name"], "debit": Decimal(0), "credit": Decimal(0)},
        )
        account["debit"] += line["debit"]  # type: ignore[operator]
        account["credit"] += line["credit"]  # type: ignore[operator]
    deferred = tables["deferred_revenue"].to_pylist()
    profiles = tables["billing_profiles"].to_pylist()
    return {
        "entries": len({line["entry_id"] for line in lines}),
        "lines": len(lines),
        "debit": money(sum((line["debit"] for line in lines), Decimal(0))),
        "credit": money(sum((line["credit"] for line in lines), Decimal(0))),
        "by_account": {
            code: {"name": a["name"], "debit": money(a["debit"]), "credit": money(a["credit"])}  # type: ignore[arg-type]
            for code, a in sorted(accounts.items())
        },
        "deferred_revenue": {
            key: money(sum((row[column] for row in deferred), Decimal(0)))
            for key, column in _ROLL_FORWARD.items()
        },
        "licences": len(deferred),
        "profiles": {
            status: sorted(p["organization_id"] for p in profiles if p["profile_status"] == status)
            for status in ("no_profile", "profile_conflict")
        }
        | {"in_force": sum(1 for p in profiles if p["profile_status"] == "in_force")},
    }
