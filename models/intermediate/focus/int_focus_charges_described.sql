{#- One row per FOCUS 1.2 charge (SPEC 10): the rows of every month with every FOCUS column this
    project writes (alphabetical) and its custom `x_` columns. Four kinds of row (x_LineType):
    - `usage`: a usage line's share for one instance (int_focus_usage_apportioned);
    - `subscription`: a subscription line (the licence purchase: EffectiveCost 0, a commitment);
    - `amortization`: a licence's recognised amount in the month per environment (Used) and
      unused capacity (Unused) (int_focus_licenses_amortized);
    - `adjustment`: an adjustment line (a correction of an issued month).
    Who invoices a charge comes from int_statement_lines_invoiced (the one home of that rule);
    BilledCost is 0 where a marketplace invoices and on licence rows. InvoiceId and
    x_StatementVersion depend on the version a close publishes: the close adds them. -#}
with

lines as (

    select * from {{ ref('int_statement_lines_invoiced') }}

),

usage_shares as (

    select * from {{ ref('int_focus_usage_apportioned') }}

),

amortized as (

    select * from {{ ref('int_focus_licenses_amortized') }}

),

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

rows_of_lines as (

    select
        usage_lines.line_type,
        usage_lines.statement_month,
        usage_lines.organization_id,
        usage_lines.billing_item,
        usage_lines.tier,
        usage_lines.cluster_tier,
        usage_lines.license_id,
        usage_lines.adjusted_month,
        usage_lines.rate_card_version,
        usage_lines.invoiced_by,
        usage_shares.quantity,
        usage_lines.unit,
        usage_lines.unit_price,
        usage_shares.amount,
        usage_shares.instance_id,
        usage_shares.environment_id,
        usage_shares.region,
        cast(null as varchar(8)) as commitment_status
    from lines as usage_lines
    inner join usage_shares
        on usage_lines.statement_month = usage_shares.statement_month
        and usage_lines.organization_id = usage_shares.organization_id
        and usage_lines.billing_item = usage_shares.billing_item
        and coalesce(usage_lines.tier, -1) = coalesce(usage_shares.tier, -1)
        and coalesce(usage_lines.cluster_tier, '') = coalesce(usage_shares.cluster_tier, '')
    where usage_lines.line_type = 'usage'

    union all

    select
        other_lines.line_type,
        other_lines.statement_month,
        other_lines.organization_id,
        other_lines.billing_item,
        other_lines.tier,
        other_lines.cluster_tier,
        other_lines.license_id,
        other_lines.adjusted_month,
        other_lines.rate_card_version,
        other_lines.invoiced_by,
        other_lines.quantity,
        other_lines.unit,
        other_lines.unit_price,
        other_lines.amount,
        cast(null as varchar(256)) as instance_id,
        cast(null as varchar(256)) as environment_id,
        cast(null as varchar(256)) as region,
        cast(null as varchar(8)) as commitment_status
    from lines as other_lines
    where other_lines.line_type != 'usage'

    union all

    select
        'amortization' as line_type,
        amortized.revenue_month as statement_month,
        amortized.organization_id,
        'aku_subscription' as billing_item,
        cast(null as integer) as tier,
        cast(null as varchar(256)) as cluster_tier,
        amortized.license_id,
        cast(null as date) as adjusted_month,
        amortized_licenses.rate_card_version,
        case
            when amortized_licenses.channel in {{ sql_list(var('marketplace_invoicers')) }}
                then amortized_licenses.channel
            else 'automq'
        end as invoiced_by,
        amortized.aku_hours as quantity,
        'AKU-Hours' as unit,
        cast(0 as decimal(38, 6)) as unit_price,
        amortized.amount,
        cast(null as varchar(256)) as instance_id,
        amortized.environment_id,
        cast(null as varchar(256)) as region,
        amortized.commitment_status
    from amortized
    inner join licenses as amortized_licenses
        on amortized.license_id = amortized_licenses.license_id

),

classified as (

    select
        rows_of_lines.*,
        rows_of_lines.billing_item = 'aku_subscription' as is_licence,
        case
            when rows_of_lines.billing_item = 'aku_subscription'
                and rows_of_lines.line_type != 'amortization'
                then 'Purchase'
            else 'Usage'
        end as charge_category,
        licenses.channel,
        licenses.term,
        licenses.aku_quota,
        licenses.start_date,
        licenses.end_date,
        licenses.term_days,
        licenses.list_price_per_aku,
        tiers.tier_mode,
        tiers.lower_bound,
        tiers.upper_bound
    from rows_of_lines
    left join licenses
        on rows_of_lines.license_id = licenses.license_id
    left join tiers
        on rows_of_lines.rate_card_version = tiers.rate_card_version
        and rows_of_lines.billing_item = tiers.billing_item
        and rows_of_lines.tier = tiers.tier

),

priced as (

    select
        classified.*,
        case
            when classified.line_type = 'amortization' then cast(0 as decimal(38, 6))
            when classified.is_licence
                then coalesce(classified.list_price_per_aku, classified.unit_price)
            else classified.unit_price
        end as list_unit_price,
        case
            when classified.line_type = 'amortization' then 'amortization'
            when classified.is_licence then 'purchase'
            else 'usage'
        end as charge_kind
    from classified

),

final as (

    select
        cast(case
            when priced.line_type = 'amortization' or priced.invoiced_by != 'automq' then 0
            else priced.amount
        end as decimal(38, 2)) as BilledCost,
        cast(priced.organization_id as varchar(256)) as BillingAccountId,
        cast(null as varchar(256)) as BillingAccountName,
        cast('USD' as varchar(3)) as BillingCurrency,
        cast(priced.statement_month + interval 1 month as {{ wall_timestamp_type() }})
            as BillingPeriodEnd,
        cast(priced.statement_month as {{ wall_timestamp_type() }}) as BillingPeriodStart,
        cast(priced.charge_category as varchar(16)) as ChargeCategory,
        cast(case when priced.line_type = 'adjustment' then 'Correction' end as varchar(16))
            as ChargeClass,
        cast(case
            when priced.line_type = 'amortization' and priced.commitment_status = 'Used'
                then 'AKU licence ' || priced.license_id || ': AKU capacity used by environment '
                    || priced.environment_id
            when priced.line_type = 'amortization'
                then 'AKU licence ' || priced.license_id || ': unused AKU capacity'
            when priced.line_type = 'adjustment'
                then 'Correction of ' || {{ focus_item_title('priced.billing_item') }} || ' for '
                    || cast(priced.adjusted_month as varchar(10))
            when priced.is_licence and priced.term is null
                then 'AKU licence ' || priced.license_id
            when priced.is_licence
                then 'AKU licence ' || priced.license_id || ', ' || priced.term || ' term '
                    || cast(priced.start_date as varchar(10)) || ' to '
                    || cast(priced.end_date as varchar(10)) || ', '
                    || cast(priced.aku_quota as varchar(20)) || ' AKU'
            when priced.billing_item = 'cluster_uptime'
                then 'Cluster uptime, ' || priced.cluster_tier || ' cluster tier, '
                    || {{ decimal_words('priced.unit_price') }} || ' USD per hour'
            else {{ focus_item_title('priced.billing_item') }} || ', tier '
                || cast(priced.tier as varchar(12)) || ' ('
                || {{ decimal_words('priced.lower_bound') }} || ' to '
                || coalesce({{ decimal_words('priced.upper_bound') }}, 'unlimited') || ' '
                || priced.unit || '), ' || {{ decimal_words('priced.unit_price') }}
                || ' USD per ' || priced.unit
        end as varchar(512)) as ChargeDescription,
        cast(case
            when not priced.is_licence or priced.line_type = 'amortization' then 'Usage-Based'
            when priced.term = 'monthly' then 'Recurring'
            else 'One-Time'
        end as varchar(16)) as ChargeFrequency,
        case
            when priced.line_type = 'adjustment'
                then cast(priced.adjusted_month + interval 1 month as {{ wall_timestamp_type() }})
            when priced.line_type = 'subscription'
                then cast(priced.end_date as {{ wall_timestamp_type() }})
            when priced.line_type = 'amortization'
                then cast(
                        least(
                            cast(priced.statement_month + interval 1 month as date), priced.end_date
                        )
                        as {{ wall_timestamp_type() }}
                    )
            else cast(priced.statement_month + interval 1 month as {{ wall_timestamp_type() }})
        end as ChargePeriodEnd,
        case
            when priced.line_type = 'adjustment'
                then cast(priced.adjusted_month as {{ wall_timestamp_type() }})
            when priced.line_type = 'subscription'
                then cast(priced.start_date as {{ wall_timestamp_type() }})
            when priced.line_type = 'amortization'
                then cast(
                        greatest(priced.statement_month, priced.start_date)
                        as {{ wall_timestamp_type() }}
                    )
            else cast(priced.statement_month as {{ wall_timestamp_type() }})
        end as ChargePeriodStart,
        cast(case when priced.is_licence then 'Usage' end as varchar(16))
            as CommitmentDiscountCategory,
        cast(case when priced.is_licence then priced.license_id end as varchar(256))
            as CommitmentDiscountId,
        cast(case when priced.is_licence then priced.license_id end as varchar(256))
            as CommitmentDiscountName,
        cast(case
            when priced.line_type = 'subscription' then priced.aku_quota * priced.term_days * 24
            when priced.line_type = 'amortization' then priced.quantity
        end as decimal(38, 6)) as CommitmentDiscountQuantity,
        cast(priced.commitment_status as varchar(8)) as CommitmentDiscountStatus,
        cast(case when priced.is_licence then 'AKU Licence' end as varchar(16))
            as CommitmentDiscountType,
        cast(case
            when priced.line_type in ('subscription', 'amortization') then 'AKU-Hours'
        end as varchar(16)) as CommitmentDiscountUnit,
        cast(case
            when priced.charge_category != 'Usage' then null
            when priced.line_type = 'amortization' and priced.commitment_status = 'Unused'
                then null
            else priced.quantity
        end as decimal(38, 6)) as ConsumedQuantity,
        cast(case
            when priced.charge_category != 'Usage' then null
            when priced.line_type = 'amortization' and priced.commitment_status = 'Unused'
                then null
            else {{ focus_unit('priced.unit') }}
        end as varchar(16)) as ConsumedUnit,
        {{ exact_cost('priced.quantity', 'priced.unit_price') }} as ContractedCost,
        cast(priced.unit_price as decimal(38, 6)) as ContractedUnitPrice,
        cast(case
            when priced.charge_category = 'Purchase' then 0
            else priced.amount
        end as decimal(38, 2)) as EffectiveCost,
        cast({{ focus_invoice_issuer('priced.invoiced_by') }} as varchar(32))
            as InvoiceIssuerName,
        {{ exact_cost('priced.quantity', 'priced.list_unit_price') }} as ListCost,
        cast(priced.list_unit_price as decimal(38, 6)) as ListUnitPrice,
        cast(
            case when priced.line_type = 'amortization' then 'Committed' else 'Standard' end
            as varchar(16)
        ) as PricingCategory,
        cast(case
            when priced.line_type = 'subscription' then priced.aku_quota
            else priced.quantity
        end as decimal(38, 6)) as PricingQuantity,
        cast({{ focus_unit('priced.unit') }} as varchar(16)) as PricingUnit,
        cast('AutoMQ' as varchar(16)) as ProviderName,
        cast('AutoMQ' as varchar(16)) as PublisherName,
        cast(priced.region as varchar(256)) as RegionId,
        cast(priced.region as varchar(256)) as RegionName,
        cast(priced.instance_id as varchar(256)) as ResourceId,
        cast(priced.instance_id as varchar(256)) as ResourceName,
        cast(case when priced.instance_id is not null then 'Kafka Cluster' end as varchar(16))
            as ResourceType,
        cast('Integration' as varchar(16)) as ServiceCategory,
        cast('AutoMQ BYOC' as varchar(16)) as ServiceName,
        cast('Messaging' as varchar(16)) as ServiceSubcategory,
        cast(priced.billing_item as varchar(32)) as SkuId,
        cast(case
            when priced.line_type = 'amortization' then 'AKU Capacity'
            else {{ focus_sku_meter('priced.billing_item') }}
        end as varchar(32)) as SkuMeter,
        cast(case
            when priced.is_licence and priced.term is null then '{"Term": null}'
            when priced.is_licence then '{"Term": "' || priced.term || '"}'
            when priced.billing_item = 'cluster_uptime'
                then '{"ClusterTier": "' || priced.cluster_tier || '"}'
            else '{"TierMode": "' || priced.tier_mode || '", "TierNumber": '
                || cast(priced.tier as varchar(12)) || ', "TierLowerBound": '
                || {{ decimal_words('priced.lower_bound') }} || ', "TierUpperBound": '
                || coalesce({{ decimal_words('priced.upper_bound') }}, 'null') || '}'
        end as varchar(512)) as SkuPriceDetails,
        cast(case
            when priced.is_licence and priced.rate_card_version = 'contract'
                then 'contract:' || priced.license_id
            when priced.is_licence
                then 'aku_subscription:' || coalesce(priced.term, 'unknown') || ':'
                    || priced.rate_card_version
            else priced.rate_card_version || ':' || priced.billing_item || ':'
                || coalesce(cast(priced.tier as varchar(12)), priced.cluster_tier)
        end as varchar(512)) as SkuPriceId,
        cast(priced.environment_id as varchar(256)) as SubAccountId,
        cast(priced.environment_id as varchar(256)) as SubAccountName,
        cast(priced.line_type as varchar(16)) as x_LineType,
        cast(priced.billing_item as varchar(32)) as x_BillingItem,
        cast(priced.tier as integer) as x_Tier,
        cast(priced.cluster_tier as varchar(32)) as x_ClusterTier,
        cast(priced.license_id as varchar(256)) as x_LicenseId,
        cast(priced.adjusted_month as date) as x_AdjustedMonth,
        cast(priced.rate_card_version as varchar(64)) as x_RateCardVersion,
        cast(case
            when priced.is_licence then coalesce(priced.channel, 'direct')
            when priced.invoiced_by = 'aws_marketplace' then 'aws_marketplace'
            else 'direct'
        end as varchar(32)) as x_SalesChannel,
        cast(priced.invoiced_by as varchar(32)) as invoiced_by
    from priced

)

select * from final
