{#- One row per usage month, billing item and (uptime) cluster tier with billable usage but no
    rate card version in force (SPEC 2: a version prices every item; an item never falls back to
    an older version). Such a month cannot be closed until a version covers it; every other month
    closes as usual, so one stray row never blocks every customer's close. -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }} as monthly_quantities
    where monthly_quantities.quantity > 0

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

uptime as (

    select * from {{ ref('stg_billing_config__rate_card_uptime') }}

),

unpriced as (

    select
        quantities.usage_month,
        quantities.billing_item,
        quantities.cluster_tier,
        case
            when quantities.billing_item = 'cluster_uptime' then 'rate_card_uptime'
            else 'rate_card_tiers'
        end as seed_name,
        count(distinct quantities.organization_id) as organizations,
        cast(sum(quantities.quantity) as decimal(38, 6)) as quantity
    from quantities
    where
        not exists (
            select 1 from tiers
            where quantities.billing_item = tiers.billing_item
                and {{ in_force('tiers', 'quantities.usage_month') }}
        )
        and not exists (
            select 1 from uptime
            where quantities.cluster_tier = uptime.cluster_tier
                and {{ in_force('uptime', 'quantities.usage_month') }}
        )
    group by quantities.usage_month, quantities.billing_item, quantities.cluster_tier

),

final as (

    select * from unpriced

)

select * from final
