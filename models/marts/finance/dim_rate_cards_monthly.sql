{#- One row per month with billable usage (and the month the running close produces, and every
    final month before it), billing item and tier (data items) or cluster tier (uptime): the
    prices in force that month, for the statements that describe their lines ("10 TiB to 100 TiB
    at 0.035 USD per GiB"), and to compare with the rate card each final month was issued at
    (rpt_correction_price_changes). -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }}

),

run_context as (

    select * from {{ ref('stg_control__run_context') }}

),

final_months as (

    select * from {{ ref('stg_ledger__final_months') }}

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

uptime as (

    select * from {{ ref('stg_billing_config__rate_card_uptime') }}

),

months as (

    select distinct quantities.usage_month from quantities
    union
    select run_context.close_month from run_context
    union
    select final_months.statement_month from final_months

),

final as (

    select
        months.usage_month,
        tiers.billing_item,
        tiers.tier,
        cast(null as string) as cluster_tier,
        tiers.tier_mode,
        tiers.lower_bound,
        tiers.upper_bound,
        tiers.unit_price,
        {{ billing_unit('tiers.billing_item') }} as unit,
        tiers.rate_card_version
    from months
    inner join tiers on {{ in_force('tiers', 'months.usage_month') }}

    union all

    select
        months.usage_month,
        'cluster_uptime' as billing_item,
        cast(null as integer) as tier,
        uptime.cluster_tier,
        cast(null as string) as tier_mode,
        cast(null as decimal(38, 6)) as lower_bound,
        cast(null as decimal(38, 6)) as upper_bound,
        uptime.hourly_price as unit_price,
        'hour' as unit,
        uptime.rate_card_version
    from months
    inner join uptime on {{ in_force('uptime', 'months.usage_month') }}

)

select * from final
