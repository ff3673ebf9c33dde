{#- One row per charge line of a monthly statement (SPEC 5), identified by statement_month,
    organization_id, line_type, billing_item, tier, cluster_tier and license_id. Usage lines come
    from the tiered data items and from cluster uptime; lines whose quantity is 0 are not emitted. -#}
with

tier_lines as (

    select * from {{ ref('int_usage_split_into_tiers') }}

),

uptime_lines as (

    select * from {{ ref('int_usage_uptime_priced') }}

),

usage_lines as (

    select
        tier_lines.usage_month as statement_month,
        tier_lines.organization_id,
        'usage' as line_type,
        tier_lines.billing_item,
        tier_lines.tier,
        cast(null as varchar) as cluster_tier,
        cast(null as varchar) as license_id,
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
        cast(null as varchar) as license_id,
        uptime_lines.quantity,
        uptime_lines.unit,
        uptime_lines.unit_price,
        uptime_lines.amount,
        uptime_lines.rate_card_version
    from uptime_lines

),

final as (

    select
        cast(usage_lines.statement_month as date) as statement_month,
        cast(usage_lines.organization_id as varchar) as organization_id,
        cast(usage_lines.line_type as varchar) as line_type,
        cast(usage_lines.billing_item as varchar) as billing_item,
        cast(usage_lines.tier as integer) as tier,
        cast(usage_lines.cluster_tier as varchar) as cluster_tier,
        cast(usage_lines.license_id as varchar) as license_id,
        cast(usage_lines.quantity as decimal(38, 6)) as quantity,
        cast(usage_lines.unit as varchar) as unit,
        cast(usage_lines.unit_price as decimal(38, 6)) as unit_price,
        cast(usage_lines.amount as decimal(38, 2)) as amount,
        cast('USD' as varchar) as currency,
        cast(usage_lines.rate_card_version as varchar) as rate_card_version
    from usage_lines
    where usage_lines.quantity != 0

)

select * from final
