"""The close's blocking journal check (SPEC 12.3): a journal that does not prove its identities
(an unbalanced entry, a role without an account, receivables other than the statements'
totals, revenue other than usage or recognition) refuses the close before anything is
published, naming the identity and both sides."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from automq_billing.close.journal import check_journal
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit
MONTH = dt.date(2026, 10, 1)
LINES = [
    # entry, role, code, debit, credit
    ("JE-1", "receivable_direct", "1100", "100.00", "0.00"),
    ("JE-1", "usage_revenue", "4000", "0.00", "100.00"),
    ("JE-2", "receivable_azure_marketplace", "1120", "360.00", "0.00"),
    ("JE-2", "deferred_revenue", "2400", "0.00", "360.00"),
    ("JE-3", "deferred_revenue", "2400", "120.00", "0.00"),
    ("JE-3", "subscription_revenue", "4100", "0.00", "120.00"),
]


def _warehouse(lines=LINES, total="460.00", recognised="120.00") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_journal_lines (entry_id varchar, account_role varchar, "
        "account_code varchar, debit decimal(38,2), credit decimal(38,2))"
    )
    con.executemany("insert into marts.fct_journal_lines values (?, ?, ?, ?, ?)", lines)
    con.execute(
        "create table marts.fct_statements as select date '2026-10-01' as statement_month, "
        f"cast({total} as decimal(38,2)) as total_amount"
    )
    con.execute(
        "create table marts.fct_statement_lines as select date '2026-10-01' as statement_month, "
        "'usage' as line_type, 'data_ingress' as billing_item, cast(100 as decimal(38,2)) as amount"
    )
    con.execute(
        "create table marts.fct_deferred_revenue as select cast(0 as decimal(38,2)) as "
        f"opening_balance, cast(360 as decimal(38,2)) as invoiced_amount, cast({recognised} as "
        f"decimal(38,2)) as recognised_amount, cast(360 - {recognised} as decimal(38,2)) as "
        "closing_balance"
    )
    return con


def test_a_journal_that_proves_its_identities_passes():
    check_journal(_warehouse(), MONTH)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total": "470.00"}, "receivables (debits - credits) 460.00 != the statements' totals"),
        ({"recognised": "119.99"}, "subscription_revenue (credits - debits) 120.00 != the"),
        ({"lines": LINES[:-1]}, "1 entry does not balance (the first, JE-3"),
        (
            {"lines": [*LINES[:4], ("JE-3", "deferred_revenue", "2400", "120.00", "0.00"),
                       ("JE-3", "subscription_revenue", None, "0.00", "120.00")]},
            "no account of seeds/gl_accounts.csv has the role subscription_revenue",
        ),
    ],
)  # fmt: skip
def test_a_journal_that_does_not_is_refused_naming_the_identity(change, message):
    with pytest.raises(BillingError, match="does not prove the identities") as refused:
        check_journal(_warehouse(**change), MONTH)
    assert message in refused.value.message and "Nothing was written" in refused.value.message
