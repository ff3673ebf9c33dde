{#- One row per organization, month and cluster tier with billable hours (SPEC 3,
    cluster_uptime): amount = round2(hours * hourly_price) with the uptime rate card version in
    force for the month. A month with no version in force gets no line (see int_usage_unpriced). -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }} as monthly_quantities
    where monthly_quantities.billing_item = 'cluster_uptime'
        and monthly_quantities.quantity > 0

),

prices as (

    select * from {{ ref('stg_billing_config__rate_card_uptime') }}

),

priced as (

    select
        quantities.organization_id,
        quantities.usage_month,
        quantities.billing_item,
        quantities.cluster_tier,
        quantities.quantity,
        quantities.unit,
        prices.rate_card_version,
        prices.hourly_price as unit_price
    from quantities
    inner join prices
        on quantities.cluster_tier = prices.cluster_tier
        and {{ in_force('prices', 'quantities.usage_month') }}

),

final as (

    select
        priced.organization_id,
        priced.usage_month,
        priced.billing_item,
        priced.cluster_tier,
        priced.rate_card_version,
        priced.quantity,
        priced.unit,
        priced.unit_price,
        {{ round2(decimal_product('priced.quantity', 'priced.unit_price')) }} as amount
    from priced

)

select * from final
