"""What a close reads from the warehouse (read-only, once dbt has exited) for its month. Months
are bound parameters; every table is ordered on its whole key, so the same inputs always give
byte-identical files.

What a close builds is the exposure `CLOSE_EXPOSURE` (models/marts/finance/_finance__models.yml)
and its ancestors; its `depends_on` lists exactly the relations the close reads here, in
close/marketplace.py, close/reference.py, close/warnings.py and validation/mart_suites.py (the
gates included), and tests/unit/close/test_reference.py keeps the two the same.
"""

from __future__ import annotations

CLOSE_EXPOSURE = "monthly_close_statements"
CLOSE_SELECTION = f"+exposure:{CLOSE_EXPOSURE}"

OUTPUT_TABLES: dict[str, str] = {
    # SPEC 5 / 8: the month's lines and statements
    "statement_lines": """
        select
            statement_month, organization_id, line_type, billing_item, tier, cluster_tier,
            license_id, adjusted_month, quantity, unit, unit_price, amount, currency,
            rate_card_version, invoiced_by
        from marts.fct_statement_lines
        where statement_month = $month
        order by organization_id, line_type, billing_item, tier nulls first,
            cluster_tier nulls first, license_id nulls first, adjusted_month nulls first
    """,
    "statements": """
        select
            statement_month, organization_id, currency, usage_amount, subscription_amount,
            adjustment_amount, total_amount, line_count
        from marts.fct_statements
        where statement_month = $month
        order by organization_id
    """,
    # SPEC 10: the month's FOCUS 1.2 charges (close/focus.py adds InvoiceId, x_StatementVersion)
    "focus": """
        select
            BilledCost, BillingAccountId, BillingAccountName, BillingCurrency,
            BillingPeriodEnd, BillingPeriodStart, ChargeCategory, ChargeClass,
            ChargeDescription, ChargeFrequency, ChargePeriodEnd, ChargePeriodStart,
            CommitmentDiscountCategory, CommitmentDiscountId, CommitmentDiscountName,
            CommitmentDiscountQuantity, CommitmentDiscountStatus, CommitmentDiscountType,
            CommitmentDiscountUnit, ConsumedQuantity, ConsumedUnit, ContractedCost,
            ContractedUnitPrice, EffectiveCost, InvoiceIssuerName, ListCost, ListUnitPrice,
            PricingCategory, PricingQuantity, PricingUnit, ProviderName, PublisherName,
            RegionId, RegionName, ResourceId, ResourceName, ResourceType, ServiceCategory,
            ServiceName, ServiceSubcategory, SkuId, SkuMeter, SkuPriceDetails, SkuPriceId,
            SubAccountId, SubAccountName, x_LineType, x_BillingItem, x_Tier, x_ClusterTier,
            x_LicenseId, x_AdjustedMonth, x_RateCardVersion, x_SalesChannel
        from marts.fct_focus_charges
        where BillingPeriodStart = cast($month as timestamp)
        order by BillingAccountId, x_LineType, x_BillingItem, x_Tier nulls first,
            x_ClusterTier nulls first, x_LicenseId nulls first, x_AdjustedMonth nulls first,
            ResourceId nulls first, CommitmentDiscountStatus desc nulls first,
            SubAccountId nulls first
    """,
    # SPEC 1.1: the month's quarantined rows and every row without a month
    "quarantine": """
        select
            event_id, organization_id, environment_id, instance_id, cloud_provider, region,
            pricing_mode, cluster_tier, meter, hour_start, quantity, emitted_at, reason,
            source_file, file_row_number
        from marts.fct_usage_quarantine
        where usage_month = $month or usage_month is null
        order by source_file, file_row_number
    """,
    # SPEC 1.2 / 4.1 / 6: the register of quarantined licences and of compliance breaches
    "license_quarantine": """
        select
            license_id, organization_id, channel, term, aku_quota, start_date, end_date,
            price_per_aku, currency, product_secret_sha256, purchased_at, reason, source_file,
            file_row_number
        from marts.fct_license_quarantine
        order by source_file, file_row_number, reason
    """,
    "license_compliance": """
        select
            license_id, organization_id, environment_id, kind, interval_start, interval_end,
            allocated_aku, aku_quota, excess_aku, detail
        from marts.rpt_license_compliance
        order by kind, license_id nulls first, environment_id nulls first,
            interval_start nulls first, interval_end nulls first, detail nulls first
    """,
    "revenue_schedule": """
        select
            license_id, organization_id, term, revenue_month, days_in_month, term_days,
            license_amount, recognized_amount, currency
        from marts.fct_license_revenue_schedule
        where revenue_month = $month
        order by organization_id, license_id
    """,
    # SPEC 12.3: the month's journal and deferred revenue roll-forward; SPEC 12.1: the billing
    # profiles in force and the seller the invoices name
    "journal": """
        select
            entry_id, entry_date, account_code, account_name, debit, credit, organization_id,
            source, reference, memo, currency
        from marts.fct_journal_lines
        where entry_date >= $month and entry_date < $month + interval 1 month
        order by entry_id, side_rank
    """,
    "deferred_revenue": """
        select
            statement_month, license_id, organization_id, opening_balance, invoiced_amount,
            recognised_amount, closing_balance, currency
        from marts.fct_deferred_revenue
        where statement_month = $month
        order by organization_id, license_id
    """,
    "billing_profiles": """
        select
            statement_month, organization_id, profile_status, legal_name, billing_address,
            country, tax_id, billing_email, payment_terms_days, purchase_order, valid_from
        from marts.dim_billing_profiles
        where statement_month = $month
        order by organization_id
    """,
    "seller": """
        select
            statement_month, effective_from, legal_name, address_line_1, address_line_2,
            address_line_3, country, tax_id, billing_email, remittance
        from marts.dim_seller_monthly
        where statement_month = $month
    """,
    "aku_utilization": """
        select
            organization_id, environment_id, usage_month, allocated_aku_hours,
            required_aku_hours, peak_required_aku, peak_allocated_aku, hours_over_capacity,
            hours_with_instances, hours_reported, utilization_ratio
        from marts.rpt_aku_utilization_monthly
        where usage_month = $month
        order by organization_id, environment_id
    """,
    # for the documents: daily usage, the rate card in force, licences
    "usage_daily": """
        select organization_id, usage_day, billing_item, cluster_tier, quantity, unit
        from marts.fct_usage_daily
        where usage_month = $month
        order by organization_id, usage_day, billing_item, cluster_tier nulls first
    """,
    "rate_card": """
        select
            billing_item, tier, cluster_tier, tier_mode, lower_bound, upper_bound, unit_price,
            unit, rate_card_version
        from marts.dim_rate_cards_monthly
        where usage_month = $month
        order by billing_item, tier nulls first, cluster_tier nulls first
    """,
    "organizations": """
        select organization_id, sales_channel, customer_aws_account_id
        from marts.rpt_statement_channels
        where statement_month = $month
        order by organization_id
    """,
    "licenses": """
        select
            license_id, organization_id, channel, term, aku_quota, start_date, end_date,
            unit_price, amount, rate_card_version
        from marts.dim_licenses
        where start_date < $month + interval 1 month and end_date > $month
        order by organization_id, license_id
    """,
}

# Counts for the manifest
OUTCOMES = """
    select usage_month, meter, outcome, quarantine_reason, row_count, quantity
    from intermediate.int_usage_outcomes_counted
    where usage_month = $month or usage_month is null
"""
LICENSE_OUTCOMES = """
    select outcome, quarantine_reason, count(*)
    from intermediate.int_licenses_validated
    group by outcome, quarantine_reason
"""
QUARANTINE_VALUE = """
    select reason, sum(quarantined_rows), sum(estimated_value)
    from marts.rpt_quarantine_value
    where usage_month = $month or usage_month is null
    group by reason
    order by reason
"""
UNPRICED = """
    select billing_item, cluster_tier, seed_name, organizations
    from intermediate.int_usage_unpriced
    where usage_month = $month
    order by billing_item, cluster_tier
"""
UNSIZED = """
    select count(*), count(distinct environment_id), min(hour_start)
    from marts.fct_instance_aku_hourly
    where usage_month = $month and spec_version is null
    having count(*) > 0
"""
PRICE_CHANGES = """
    select issued_month, seed_name, billing_item, tier, cluster_tier, difference, issued_value,
        current_value
    from marts.rpt_correction_price_changes
    order by issued_month, seed_name, billing_item, tier nulls first, cluster_tier nulls first,
        difference
"""
CORRECTIONS_BY_MONTH = """
    select adjusted_month, count(*), sum(amount)
    from marts.fct_statement_lines
    where statement_month = $month and line_type = 'adjustment'
    group by adjusted_month
    order by adjusted_month
"""
OUTSIDE_WINDOW = """
    select issued_month, organization_id, billing_item, quantity, amount
    from marts.rpt_corrections_outside_window
    order by issued_month, organization_id, billing_item
"""
MONTH_HAS_INPUTS = """
    select
        (select count(*) from landing.usage_events
            where hour_start >= $month and hour_start < $month + interval 1 month),
        (select count(*) from landing.licenses
            where start_date >= $month and start_date < $month + interval 1 month)
"""
