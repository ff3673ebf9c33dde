{#- One row per organization, month, data billing item and priced tier: the slice of the month's
    quantity that falls in the tier and its amount (SPEC 3).
    - graduated: every tier k with lower_k < Q gets slice_k = min(Q, upper_k) - lower_k;
    - volume: the one tier with lower_k <= Q < upper_k gets all of Q;
    amount = round2(slice * unit_price), half away from zero. The rate card version is the one in
    force for the month (greatest effective_from on or before the first day of the month), chosen
    per billing item. A quantity with no version in force keeps a null version (a test fails). -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }}
    where billing_item in ('data_ingress', 'data_egress', 'data_retention')
        and quantity > 0

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

versions as (

    select distinct
        tiers.rate_card_version,
        tiers.effective_from,
        tiers.billing_item,
        tiers.tier_mode
    from tiers

),

versions_in_force as (

    select
        quantities.organization_id,
        quantities.usage_month,
        quantities.billing_item,
        quantities.quantity,
        quantities.unit,
        versions.rate_card_version,
        versions.tier_mode
    from quantities
    left join versions
        on quantities.billing_item = versions.billing_item
        and versions.effective_from <= quantities.usage_month
    qualify row_number() over (
        partition by quantities.organization_id, quantities.usage_month, quantities.billing_item
        order by versions.effective_from desc nulls last
    ) = 1

),

sliced as (

    select
        versions_in_force.organization_id,
        versions_in_force.usage_month,
        versions_in_force.billing_item,
        versions_in_force.rate_card_version,
        versions_in_force.tier_mode,
        versions_in_force.unit,
        versions_in_force.quantity as month_quantity,
        tiers.tier,
        tiers.unit_price,
        case
            when versions_in_force.tier_mode = 'volume' then versions_in_force.quantity
            else least(versions_in_force.quantity, coalesce(tiers.upper_bound, versions_in_force.quantity))
                - tiers.lower_bound
        end as quantity
    from versions_in_force
    left join tiers
        on versions_in_force.rate_card_version = tiers.rate_card_version
        and versions_in_force.billing_item = tiers.billing_item
        and (
            (
                versions_in_force.tier_mode = 'graduated'
                and tiers.lower_bound < versions_in_force.quantity
            )
            or (
                versions_in_force.tier_mode = 'volume'
                and tiers.lower_bound <= versions_in_force.quantity
                and (tiers.upper_bound is null or versions_in_force.quantity < tiers.upper_bound)
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
        {{ round2('sliced.quantity * sliced.unit_price') }} as amount
    from sliced

)

select * from final
