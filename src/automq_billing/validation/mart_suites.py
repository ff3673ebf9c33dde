"""The mart suites: the month's statements, lines, conservation counts, revenue and capacity,
read through a read-only DuckDB connection -> Arrow -> pandas, with amounts as integer cents or
text (never floats). Only the month's rows are read."""

from __future__ import annotations

import datetime as dt

import duckdb

from automq_billing.validation.specs import ExpectationSpec, Suite, expect

AMOUNT_TEXT = r"^-?[0-9]+\.[0-9]{2}$"
QUANTITY_TEXT = r"^-?[0-9]+\.[0-9]{6}$"

_FRAMES = {
    "statements": """
        with line_sums as (
            select organization_id, sum(amount) as lines_amount, count(*) as lines
            from marts.fct_statement_lines where statement_month = $month
            group by organization_id
        )
        select
            statements.organization_id,
            cast(statements.statement_month as string) || '|' || statements.organization_id
                as statement_key,
            cast(statements.usage_amount as string) as usage_amount_text,
            cast(statements.subscription_amount as string) as subscription_amount_text,
            cast(statements.adjustment_amount as string) as adjustment_amount_text,
            cast(statements.total_amount as string) as total_amount_text,
            cast(statements.usage_amount * 100 as bigint) as usage_cents,
            cast(statements.subscription_amount * 100 as bigint) as subscription_cents,
            cast(statements.total_amount * 100 as bigint) as total_cents,
            cast(coalesce(line_sums.lines_amount, 0) * 100 as bigint) as lines_cents,
            cast((statements.usage_amount + statements.subscription_amount
                + statements.adjustment_amount) * 100 as bigint) as subtotals_cents,
            statements.line_count,
            coalesce(line_sums.lines, 0) as lines
        from marts.fct_statements as statements
        left join line_sums on statements.organization_id = line_sums.organization_id
        where statements.statement_month = $month
    """,
    "statement_lines": """
        select
            concat_ws('|', statement_month, organization_id, line_type, billing_item,
                coalesce(cast(tier as string), '-'), coalesce(cluster_tier, '-'),
                coalesce(license_id, '-'), coalesce(cast(adjusted_month as string), '-'))
                as line_key,
            line_type,
            billing_item,
            unit,
            currency,
            cast(amount as string) as amount_text,
            cast(quantity as string) as quantity_text,
            cast(unit_price as string) as unit_price_text,
            case when line_type != 'adjustment' then cast(amount * 100 as bigint) end
                as charge_amount_cents,
            quantity != 0 or line_type = 'adjustment' as has_quantity,
            (line_type = 'adjustment') = (adjusted_month is not null) as adjusted_month_consistent
        from marts.fct_statement_lines
        where statement_month = $month
    """,
    "usage_conservation": """
        select
            coalesce(cast(usage_month as string), 'no month') as usage_month,
            coalesce(meter, '(null)') as meter,
            is_balanced,
            landed_rows - rated_rows - duplicate_rows - superseded_rows - quarantined_rows
                as rows_unaccounted,
            cast(landed_quantity - rated_quantity - duplicate_quantity - superseded_quantity
                - quarantined_quantity as bigint) as quantity_unaccounted
        from marts.rpt_usage_conservation
        where usage_month = $month or usage_month is null
    """,
    "statement_coverage": """
        select
            usage.organization_id,
            bool_or(statements.organization_id is not null) as has_statement
        from marts.fct_usage_monthly as usage
        left join marts.fct_statements as statements
            on usage.organization_id = statements.organization_id
            and usage.usage_month = statements.statement_month
        where usage.usage_month = $month and usage.amount > 0
        group by usage.organization_id
    """,
    "revenue_month": """
        with month_licenses as (
            select license_id from marts.fct_license_revenue_schedule where revenue_month = $month
        ),
        scheduled as (
            select schedule.license_id, sum(schedule.recognized_amount) as scheduled,
                count(*) as months, count(distinct schedule.revenue_month) as distinct_months
            from marts.fct_license_revenue_schedule as schedule
            semi join month_licenses on schedule.license_id = month_licenses.license_id
            group by schedule.license_id
        )
        select
            schedule.license_id,
            cast(schedule.recognized_amount as string) as recognized_amount_text,
            cast(schedule.recognized_amount * 100 as bigint) as recognized_cents,
            cast(licenses.amount * 100 as bigint) as amount_cents,
            cast(scheduled.scheduled * 100 as bigint) as scheduled_cents,
            scheduled.months,
            scheduled.distinct_months
        from marts.fct_license_revenue_schedule as schedule
        inner join marts.dim_licenses as licenses on schedule.license_id = licenses.license_id
        inner join scheduled on schedule.license_id = scheduled.license_id
        where schedule.revenue_month = $month
    """,
    "aku_utilization": """
        select
            organization_id || '|' || environment_id as environment_key,
            hours_over_capacity,
            hours_reported,
            allocated_aku_hours,
            required_aku_hours,
            cast(coalesce(utilization_ratio, 0) * 1000000 as bigint) as utilization_micros
        from marts.rpt_aku_utilization_monthly
        where usage_month = $month
    """,
    "environment_capacity": """
        select
            environment_id || '|'
                || cast(cast(hour_start as timestamp) as string) as environment_hour,
            headroom_aku - (allocated_aku - required_aku) as headroom_error,
            (required_aku > allocated_aku) = is_over_capacity as flag_consistent,
            required_aku,
            allocated_aku
        from marts.fct_environment_capacity_hourly
        where usage_month = $month
    """,
    # SPEC 10: the month's FOCUS rows, the rules of FOCUS 1.2 for the columns written
    "focus_charges": """
        select
            concat_ws('|', x_LineType, BillingAccountId, x_BillingItem,
                coalesce(cast(x_Tier as string), '-'), coalesce(x_ClusterTier, '-'),
                coalesce(x_LicenseId, '-'), coalesce(cast(x_AdjustedMonth as string), '-'),
                coalesce(ResourceId, '-'), coalesce(SubAccountId, '-'),
                coalesce(CommitmentDiscountStatus, '-')) as charge_key,
            ChargeCategory, ChargeFrequency, PricingCategory, PricingUnit, InvoiceIssuerName,
            BillingCurrency, ServiceCategory, ServiceSubcategory, ServiceName, ProviderName,
            ChargeDescription, SkuPriceDetails,
            cast(BilledCost as string) as billed_cost_text,
            cast(EffectiveCost as string) as effective_cost_text,
            ChargeClass is not null or (ListCost = ListUnitPrice * PricingQuantity
                and ContractedCost = ContractedUnitPrice * PricingQuantity) as unit_prices_hold,
            InvoiceIssuerName = 'AutoMQ' or BilledCost = 0 as marketplace_billed_zero,
            ChargeCategory != 'Purchase' or EffectiveCost = 0 as purchase_effective_zero,
            (PricingUnit is null) = (PricingQuantity is null)
                and (ConsumedUnit is null) = (ConsumedQuantity is null)
                and (RegionName is null) = (RegionId is null)
                and (SubAccountName is null) = (SubAccountId is null)
                and (CommitmentDiscountUnit is null) = (CommitmentDiscountQuantity is null)
                and (CommitmentDiscountType is null) = (CommitmentDiscountId is null)
                as pairs_null_together
        from marts.fct_focus_charges
        where BillingPeriodStart = cast($month as timestamp)
    """,
}

_KEYS = {
    "statements": "statement_key",
    "statement_lines": "line_key",
    "usage_conservation": "meter",
    "statement_coverage": "organization_id",
    "revenue_month": "license_id",
    "aku_utilization": "environment_key",
    "environment_capacity": "environment_hour",
    "focus_charges": "charge_key",
}

_DESCRIPTIONS = {
    "statements": "the month's statements: keys, scale, totals = lines = subtotals",
    "statement_lines": "the month's lines: keys, scale, no negative charge, known vocabularies",
    "usage_conservation": "landed = rated + duplicate + superseded + quarantined",
    "statement_coverage": "every organization with charged usage has a statement",
    "revenue_month": "revenue recognised in the month, and each of those licences' schedule",
    "aku_utilization": "the month's capacity per environment",
    "environment_capacity": "the month's capacity per environment and hour",
    "focus_charges": "the month's FOCUS 1.2 rows: keys, allowed values, units, cost identities",
}


def _expectations(
    vocabulary_units: list[str], line_types: list[str]
) -> dict[str, list[ExpectationSpec]]:
    return {
        "statements": [
            expect("ExpectColumnValuesToBeUnique", column="statement_key"),
            expect("ExpectColumnValuesToNotBeNull", column="organization_id"),
            *(
                expect("ExpectColumnValuesToMatchRegex", column=column, regex=AMOUNT_TEXT)
                for column in (
                    "total_amount_text",
                    "usage_amount_text",
                    "subscription_amount_text",
                    "adjustment_amount_text",
                )
            ),
            expect("ExpectColumnValuesToBeBetween", column="usage_cents", min_value=0),
            expect("ExpectColumnValuesToBeBetween", column="subscription_cents", min_value=0),
            expect(
                "ExpectColumnPairValuesToBeEqual", column_A="total_cents", column_B="lines_cents"
            ),
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="total_cents",
                column_B="subtotals_cents",
            ),
            expect("ExpectColumnPairValuesToBeEqual", column_A="line_count", column_B="lines"),
        ],
        "statement_lines": [
            expect("ExpectColumnValuesToBeUnique", column="line_key"),
            expect("ExpectColumnValuesToMatchRegex", column="amount_text", regex=AMOUNT_TEXT),
            expect("ExpectColumnValuesToMatchRegex", column="quantity_text", regex=QUANTITY_TEXT),
            expect("ExpectColumnValuesToMatchRegex", column="unit_price_text", regex=QUANTITY_TEXT),
            expect("ExpectColumnValuesToBeBetween", column="charge_amount_cents", min_value=0),
            expect("ExpectColumnValuesToBeInSet", column="has_quantity", value_set=[True]),
            expect(
                "ExpectColumnValuesToBeInSet", column="adjusted_month_consistent", value_set=[True]
            ),
            expect("ExpectColumnValuesToBeInSet", column="currency", value_set=["USD"]),
            expect("ExpectColumnValuesToBeInSet", column="line_type", value_set=line_types),
            expect("ExpectColumnValuesToBeInSet", column="unit", value_set=vocabulary_units),
        ],
        "usage_conservation": [
            expect("ExpectColumnValuesToBeInSet", column="is_balanced", value_set=[True]),
            expect("ExpectColumnValuesToBeInSet", column="rows_unaccounted", value_set=[0]),
            expect("ExpectColumnValuesToBeInSet", column="quantity_unaccounted", value_set=[0]),
        ],
        "statement_coverage": [
            expect("ExpectColumnValuesToBeInSet", column="has_statement", value_set=[True]),
        ],
        "revenue_month": [
            expect("ExpectColumnValuesToBeUnique", column="license_id"),
            expect("ExpectColumnValuesToBeBetween", column="recognized_cents", min_value=0),
            expect(
                "ExpectColumnValuesToMatchRegex", column="recognized_amount_text", regex=AMOUNT_TEXT
            ),
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="amount_cents",
                column_B="scheduled_cents",
            ),
            expect(
                "ExpectColumnPairValuesToBeEqual", column_A="months", column_B="distinct_months"
            ),
        ],
        "aku_utilization": [
            expect("ExpectColumnValuesToBeUnique", column="environment_key"),
            expect("ExpectColumnValuesToBeBetween", column="hours_over_capacity", min_value=0),
            expect(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                column_A="hours_reported",
                column_B="hours_over_capacity",
                or_equal=True,
            ),
            expect("ExpectColumnValuesToBeBetween", column="utilization_micros", min_value=0),
        ],
        "environment_capacity": [
            expect("ExpectColumnValuesToBeUnique", column="environment_hour"),
            expect("ExpectColumnValuesToBeInSet", column="headroom_error", value_set=[0]),
            expect("ExpectColumnValuesToBeInSet", column="flag_consistent", value_set=[True]),
            expect("ExpectColumnValuesToBeBetween", column="required_aku", min_value=0),
            expect("ExpectColumnValuesToBeBetween", column="allocated_aku", min_value=0),
        ],
        "focus_charges": [
            expect("ExpectColumnValuesToBeUnique", column="charge_key"),
            *(
                expect("ExpectColumnValuesToNotBeNull", column=column)
                for column in ("ChargeDescription", "SkuPriceDetails", "PricingCategory")
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="ChargeCategory",
                value_set=["Usage", "Purchase", "Tax", "Credit", "Adjustment"],
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="ChargeFrequency",
                value_set=["One-Time", "Recurring", "Usage-Based"],
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="PricingCategory",
                value_set=["Standard", "Dynamic", "Committed", "Other"],
            ),
            expect(
                "ExpectColumnValuesToMatchRegex",
                column="PricingUnit",
                regex=r"^(GiB|AKU|Hours)(-(Hours|Months))?$",
            ),
            expect(
                "ExpectColumnValuesToBeInSet",
                column="InvoiceIssuerName",
                value_set=["AutoMQ", "Amazon Web Services", "Microsoft", "Google", "Alibaba Cloud"],
            ),
            expect("ExpectColumnValuesToBeInSet", column="BillingCurrency", value_set=["USD"]),
            expect(
                "ExpectColumnValuesToBeInSet", column="ServiceCategory", value_set=["Integration"]
            ),
            expect(
                "ExpectColumnValuesToBeInSet", column="ServiceSubcategory", value_set=["Messaging"]
            ),
            expect(
                "ExpectColumnValuesToMatchRegex",
                column="SkuPriceDetails",
                regex=r"^\{[^{}\[\]]*\}$",
            ),
            expect("ExpectColumnValuesToMatchRegex", column="billed_cost_text", regex=AMOUNT_TEXT),
            expect(
                "ExpectColumnValuesToMatchRegex", column="effective_cost_text", regex=AMOUNT_TEXT
            ),
            *(
                expect("ExpectColumnValuesToBeInSet", column=column, value_set=[True])
                for column in (
                    "unit_prices_hold",
                    "marketplace_billed_zero",
                    "purchase_effective_zero",
                    "pairs_null_together",
                )
            ),
        ],
    }


def mart_suites(
    con: duckdb.DuckDBPyConnection,
    month: dt.date,
    *,
    units: list[str],
    line_types: list[str],
) -> list[Suite]:
    """The month's marts as small frames, read through the given (read-only) connection."""
    expectations = _expectations(units, line_types)
    suites = []
    for name, sql in _FRAMES.items():
        frame = con.sql(sql, params={"month": month}).to_arrow_table().to_pandas()
        suites.append(
            Suite(name, frame, expectations[name], key=_KEYS[name], description=_DESCRIPTIONS[name])
        )
    return suites
