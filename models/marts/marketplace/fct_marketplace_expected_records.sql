{{ month_incremental_config(repriced=true) }}

{#- One row per organization, listing dimension and hour with a positive expected quantity: the
    metering record AutoMQ should have sent AWS Marketplace (SPEC 9.2), whether or not the
    organization was subscribed in that hour (the rules: doc block marketplace_rules).
    C_d(h), the quantity of dimension d accumulated to the end of hour h, is an exact fraction:
    with N(h) the cumulative measure, D the measure per unit and [L, U) the tier's bounds in
    millionths of a unit (the rate card's 6-decimal bounds times 10^6),
        C_d(h) = max(0, min(N(h) / D, U / 10^6) - L / 10^6)
               = max(0, min(N(h) x 10^6, U x D) - L x D) / (D x 10^6),
    so floor(C_d(h)) is an integer division of non-negative HUGEINTs (no DOUBLE, no rounding).
    Every tier is sliced as graduated whatever the card's tier_mode (the listing has flat prices
    per dimension). q_d(h) = floor(C_d(h)) - floor(C_d(h - 1 hour)) with C_d(h - 1 hour) computed
    from N(h) - the hour's measure; an hour can only add to the tiers whose range it crosses, so
    only those are joined. Uptime needs no floor: its hours are whole. -#}
with

cumulated as (

    select * from {{ ref('int_marketplace_usage_cumulated') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

tier_bounds as (

    select
        tiers.effective_from,
        tiers.effective_to,
        tiers.billing_item,
        tiers.tier,
        cast(tiers.lower_bound * 1000000 as hugeint) as lower_micro_units,
        cast(tiers.upper_bound * 1000000 as hugeint) as upper_micro_units
    from tiers

),

data_slices as (

    select
        cumulated.organization_id,
        cumulated.usage_month,
        cumulated.usage_hour,
        cumulated.billing_item,
        tier_bounds.tier,
        cast(null as varchar) as cluster_tier,
        cumulated.measure_per_unit * 1000000 as micro_measure_per_unit,
        cumulated.cumulative_measure * 1000000 as micro_measure_through,
        (cumulated.cumulative_measure - cumulated.hour_measure) * 1000000 as micro_measure_before,
        tier_bounds.lower_micro_units * cumulated.measure_per_unit as micro_measure_lower,
        tier_bounds.upper_micro_units * cumulated.measure_per_unit as micro_measure_upper
    from cumulated
    inner join tier_bounds
        on cumulated.billing_item = tier_bounds.billing_item
        and {{ in_force('tier_bounds', 'cumulated.usage_month') }}
        -- the hour crosses into the tier: Q(h) > L and Q(h - 1 hour) < U
        and tier_bounds.lower_micro_units * cumulated.measure_per_unit
            < cumulated.cumulative_measure * 1000000
        and (
            tier_bounds.upper_micro_units is null
            or tier_bounds.upper_micro_units * cumulated.measure_per_unit
                > (cumulated.cumulative_measure - cumulated.hour_measure) * 1000000
        )
    where cumulated.billing_item != 'cluster_uptime'

),

data_quantities as (

    select
        data_slices.organization_id,
        data_slices.usage_month,
        data_slices.usage_hour,
        data_slices.billing_item,
        data_slices.tier,
        data_slices.cluster_tier,
        greatest(
            least(
                data_slices.micro_measure_through,
                coalesce(data_slices.micro_measure_upper, data_slices.micro_measure_through)
            ) - data_slices.micro_measure_lower,
            0
        ) // data_slices.micro_measure_per_unit
        - greatest(
            least(
                data_slices.micro_measure_before,
                coalesce(data_slices.micro_measure_upper, data_slices.micro_measure_before)
            ) - data_slices.micro_measure_lower,
            0
        ) // data_slices.micro_measure_per_unit as quantity
    from data_slices

),

uptime_quantities as (

    select
        cumulated.organization_id,
        cumulated.usage_month,
        cumulated.usage_hour,
        cumulated.billing_item,
        cast(null as integer) as tier,
        cumulated.cluster_tier,
        cumulated.hour_measure as quantity
    from cumulated
    where cumulated.billing_item = 'cluster_uptime'

),

quantities as (

    select * from data_quantities
    union all
    select * from uptime_quantities

),

final as (

    select
        quantities.organization_id,
        quantities.usage_month,
        dimensions.product_code,
        dimensions.dimension,
        quantities.usage_hour,
        cast(quantities.quantity as bigint) as quantity,
        dimensions.price_per_unit
    from quantities
    inner join dimensions
        on quantities.billing_item = dimensions.billing_item
        and quantities.tier is not distinct from dimensions.tier
        and quantities.cluster_tier is not distinct from dimensions.cluster_tier
        and {{ in_force('dimensions', 'quantities.usage_month') }}
    where quantities.quantity > 0

)

select * from final
