"""The Marketplace and licence-compliance marts are thin (issue 22): each selects and stores the
rows of an intermediate model that holds its rules, and holds no rule itself (no case, grouping,
union, window or de-duplication): the rules are unit tested where they live."""

from __future__ import annotations

import re

import pytest

from helpers import REPO

pytestmark = pytest.mark.unit

# each thin mart and the intermediate model holding its rules
THIN_MARTS = {
    "marketplace/fct_marketplace_expected_records": "int_marketplace_metering_expected",
    "marketplace/fct_marketplace_metering_exceptions": "int_marketplace_metering_compared",
    "marketplace/fct_marketplace_unmatched_billing_events": (
        "int_marketplace_billing_events_unmatched"
    ),
    "marketplace/rpt_marketplace_reconciliation": "int_marketplace_usage_reconciled",
    "prepaid/rpt_license_compliance": "int_license_breaches_found",
    "prepaid/fct_license_revenue_schedule": "int_licenses_revenue_scheduled",
    "focus/fct_focus_charges": "int_focus_charges_described",
    "marketplace/fct_marketplace_journal_lines": "int_marketplace_journal_lines",
    # SPEC 12: the journal, the deferred revenue roll-forward, billing profiles and the seller
    "finance/fct_journal_lines": "int_journal_lines_booked",
    "finance/fct_deferred_revenue": "int_deferred_revenue_rolled",
    "finance/dim_billing_profiles": "int_organization_profiles_in_force",
    "finance/dim_seller_monthly": "int_seller_in_force",
}
RULE_SYNTAX = re.compile(
    r"\b(case|group\s+by|union|over\s*\(|qualify|having|distinct|unnest|coalesce)\b", re.I
)


def _sql(path: str) -> str:
    text = (REPO / "models" / "marts" / f"{path}.sql").read_text()
    return re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # comments may name the rules


def test_every_marketplace_mart_is_listed():
    folder = REPO / "models" / "marts" / "marketplace"
    marts = {f"marketplace/{path.stem}" for path in folder.glob("*.sql")}
    assert marts <= set(THIN_MARTS)


@pytest.mark.parametrize("mart", sorted(THIN_MARTS))
def test_a_thin_mart_holds_no_rule(mart):
    found = RULE_SYNTAX.findall(_sql(mart))
    assert not found, f"{mart} holds rule syntax {found}: move the rule to {THIN_MARTS[mart]}"


@pytest.mark.parametrize("mart", sorted(THIN_MARTS))
def test_a_thin_mart_reads_the_model_that_holds_its_rules(mart):
    assert f"ref('{THIN_MARTS[mart]}')" in _sql(mart)
