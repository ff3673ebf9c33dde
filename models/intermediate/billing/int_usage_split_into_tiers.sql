{#- One row per organization, month, data billing item and priced tier: the slice of the month's
    quantity that falls in the tier and its amount (SPEC 3).
    - graduated: every tier k with lower_k < Q gets slice_k = min(Q, upper_k) - lower_k;
    - volume: the one tier with lower_k <= Q < upper_k gets all of Q;
    amount = round2(slice * unit_price), half away from zero. The rate card version is the one in
    force for the month. A month with no version in force gets no line here: it is listed in
    int_usage_unpriced and its close is refused, while every other month closes. -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }} as monthly_quantities
    where monthly_quantities.billing_item in {{ sql_list(var('data_billing_items')) }}
        and monthly_quantities.quantity > 0

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

sliced as (

    select
        quantities.organization_id,
        quantities.usage_month,
        quantities.billing_item,
        quantities.unit,
        quantities.quantity as month_quantity,
        tiers.rate_card_version,
        tiers.tier_mode,
        tiers.tier,
        tiers.unit_price,
        case
            when tiers.tier_mode = 'volume' then quantities.quantity
            else least(quantities.quantity, coalesce(tiers.upper_bound, quantities.quantity))
                - tiers.lower_bound
        end as quantity
    from quantities
    inner join tiers
        on quantities.billing_item = tiers.billing_item
        and {{ in_force('tiers', 'quantities.usage_month') }}
        and (
            (tiers.tier_mode = 'graduated' and tiers.lower_bound < quantities.quantity)
            or (
                tiers.tier_mode = 'volume'
                and tiers.lower_bound <= quantities.quantity
                and (tiers.upper_bound is null or quantities.quantity < tiers.upper_bound)
            )
        )

),

final as (

    select
        sliced.organization_id,
        sliced.usage_month,
        sliced.billing_item,
        sliced.rate_card_version,
        sliced.tier_mode,
        sliced.tier,
        sliced.month_quantity,
        cast(sliced.quantity as decimal(38, 6)) as quantity,
        sliced.unit,
        sliced.unit_price,
        {{ round2(decimal_product('sliced.quantity', 'sliced.unit_price')) }} as amount
    from sliced

)

select * from final
