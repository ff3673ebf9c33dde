"""Nothing wrong can publish (issue 17): the close's build checks every priced line's amount
against its quantity and unit price, and every statement against its lines. Each check is shown
to fail on a copy of the fixture close's warehouse where a wrong SQL text has left its mark (an
amount of `quantity + unit_price` carried consistently into the statement), and to pass on the
warehouse as the close built it."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from automq_billing.dbt_runner import run_dbt
from automq_billing.errors import BillingError
from helpers import REPO

pytestmark = pytest.mark.dbt

CHECKS = ["fct_statement_lines__checks", "assert_statement_totals_equal_line_sums"]
# the failing check as a refusal shows it (values are cut at 60 characters)
PRICED = "expression: line_type = 'adjustment' or amount = cast(rou"


def _tampered(closed, tmp_path, sql: str):
    tampered = tmp_path / "billing.duckdb"  # same database name as the fixture's warehouse
    shutil.copyfile(closed.warehouse, tampered)
    con = duckdb.connect(str(tampered))
    con.execute(sql)
    con.close()
    return tampered


def test_the_checks_pass_on_the_close_as_built(closed, tmp_path):
    warehouse = _tampered(closed, tmp_path, "select 1")
    result = run_dbt(["test", "--select", *CHECKS], project_dir=REPO, warehouse=warehouse)
    assert result.passed == len(CHECKS) and not result.failed


@pytest.mark.parametrize("line_type", ["usage", "subscription"])
def test_an_amount_that_is_not_quantity_times_unit_price_fails_the_build(
    closed, tmp_path, line_type
):
    # the wrong amount is carried into the statement: the identities still hold
    warehouse = _tampered(
        closed,
        tmp_path,
        f"""
        create temporary table wrong as
            select statement_month, organization_id, billing_item, tier, cluster_tier,
                license_id, amount as old_amount,
                cast(quantity + unit_price as decimal(38, 2)) as new_amount
            from marts.fct_statement_lines
            where line_type = '{line_type}' and quantity * unit_price > 2
            order by all
            limit 1;
        update marts.fct_statement_lines as lines set amount = wrong.new_amount
            from wrong
            where lines.line_type = '{line_type}'
                and lines.statement_month = wrong.statement_month
                and lines.organization_id = wrong.organization_id
                and lines.billing_item = wrong.billing_item
                and lines.tier is not distinct from wrong.tier
                and lines.cluster_tier is not distinct from wrong.cluster_tier
                and lines.license_id is not distinct from wrong.license_id;
        update marts.fct_statements as statements
            set {line_type}_amount = {line_type}_amount + wrong.new_amount - wrong.old_amount,
                total_amount = total_amount + wrong.new_amount - wrong.old_amount
            from wrong
            where statements.statement_month = wrong.statement_month
                and statements.organization_id = wrong.organization_id;
        """,  # noqa: S608 (line_type is one of the test's two constants)
    )
    with pytest.raises(BillingError) as failure:
        run_dbt(["test", "--select", *CHECKS], project_dir=REPO, warehouse=warehouse)
    message = str(failure.value)
    assert f"failed_check={PRICED}" in message, message
    assert "assert_statement_totals_equal_line_sums" not in message, message


def test_a_statement_total_that_is_not_its_lines_fails_the_build(closed, tmp_path):
    warehouse = _tampered(
        closed,
        tmp_path,
        "update marts.fct_statements set total_amount = total_amount + 0.01 where rowid = 0",
    )
    with pytest.raises(BillingError) as failure:
        run_dbt(["test", "--select", *CHECKS], project_dir=REPO, warehouse=warehouse)
    message = str(failure.value)
    assert "assert_statement_totals_equal_line_sums" in message, message
    assert PRICED not in message, message
