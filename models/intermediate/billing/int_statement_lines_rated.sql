{{ config(materialized='table') }}

{#- One row per usage or subscription line of every month, as the current landing and reference
    data rate it (SPEC 3, 4.1): the one place that prices a month. A close publishes the lines of
    its month; the corrections compare the lines of issued months with what they were issued as.
    Lines whose quantity is 0 are not emitted. -#}
with

tier_lines as (

    select * from {{ ref('int_usage_split_into_tiers') }}

),

uptime_lines as (

    select * from {{ ref('int_usage_uptime_priced') }}

),

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

lines as (

    select
        tier_lines.usage_month as statement_month,
        tier_lines.organization_id,
        'usage' as line_type,
        tier_lines.billing_item,
        tier_lines.tier,
        cast(null as string) as cluster_tier,
        cast(null as string) as license_id,
        tier_lines.quantity,
        tier_lines.unit,
        tier_lines.unit_price,
        tier_lines.amount,
        tier_lines.rate_card_version
    from tier_lines

    union all

    select
        uptime_lines.usage_month as statement_month,
        uptime_lines.organization_id,
        'usage' as line_type,
        uptime_lines.billing_item,
        cast(null as integer) as tier,
        uptime_lines.cluster_tier,
        cast(null as string) as license_id,
        uptime_lines.quantity,
        uptime_lines.unit,
        uptime_lines.unit_price,
        uptime_lines.amount,
        uptime_lines.rate_card_version
    from uptime_lines

    union all

    select
        licenses.invoice_month as statement_month,
        licenses.organization_id,
        'subscription' as line_type,
        'aku_subscription' as billing_item,
        cast(null as integer) as tier,
        cast(null as string) as cluster_tier,
        licenses.license_id,
        licenses.aku_quota as quantity,
        'AKU' as unit,
        licenses.unit_price,
        licenses.amount,
        licenses.rate_card_version
    from licenses

),

final as (

    select
        cast(lines.statement_month as date) as statement_month,
        cast(lines.organization_id as string) as organization_id,
        cast(lines.line_type as string) as line_type,
        cast(lines.billing_item as string) as billing_item,
        cast(lines.tier as integer) as tier,
        cast(lines.cluster_tier as string) as cluster_tier,
        cast(lines.license_id as string) as license_id,
        cast(null as date) as adjusted_month,
        cast(lines.quantity as decimal(38, 6)) as quantity,
        cast(lines.unit as string) as unit,
        cast(lines.unit_price as decimal(38, 6)) as unit_price,
        cast(lines.amount as decimal(38, 2)) as amount,
        cast('USD' as string) as currency,
        cast(lines.rate_card_version as string) as rate_card_version
    from lines
    where lines.quantity != 0

)

select * from final
