{#- One row per organization, instance, month and billing item with rated usage (usage-based
    instances): the instance's own quantity and its share of the organization's amount for the
    item, allocated in cents by largest remainder so the shares sum exactly to the amount.
    Weights: bytes (ingress, egress), byte-hours (retention), and for cluster_uptime the
    instance's hours priced at its tier's hourly price (in millionths of a dollar), so an
    enterprise hour weighs more than a dev hour. -#}
with

measures as (

    select * from {{ ref('int_usage_measures_aggregated') }}

),

uptime_prices as (

    select * from {{ ref('int_usage_uptime_priced') }}

),

usage_items as (

    select * from {{ ref('fct_usage_monthly') }}

),

weighted as (

    select
        measures.organization_id,
        measures.instance_id,
        measures.environment_id,
        measures.usage_month,
        measures.billing_item,
        measures.measure,
        case
            when measures.billing_item = 'cluster_uptime'
                then cast(measures.measure as {{ wide_int() }})
                    * cast(coalesce(uptime_prices.unit_price, 0) * 1000000 as {{ wide_int() }})
            else cast(measures.measure as {{ wide_int() }})
        end as weight
    from measures
    left join uptime_prices
        on measures.billing_item = 'cluster_uptime'
        and measures.organization_id = uptime_prices.organization_id
        and measures.usage_month = uptime_prices.usage_month
        and measures.cluster_tier = uptime_prices.cluster_tier

),

instance_items as (

    select
        weighted.organization_id,
        weighted.instance_id,
        weighted.usage_month,
        weighted.billing_item,
        max(weighted.environment_id) as environment_id,
        cast({{ wide_sum('weighted.measure') }} as {{ wide_int() }}) as measure,
        cast({{ wide_sum('weighted.weight') }} as {{ wide_int() }}) as weight
    from weighted
    group by
        weighted.organization_id,
        weighted.instance_id,
        weighted.usage_month,
        weighted.billing_item

),

pieces as (

    select
        instance_items.*,
        usage_items.unit,
        usage_items.amount as organization_amount,
        cast(usage_items.amount * 100 as {{ wide_int() }}) as organization_cents
    from instance_items
    inner join usage_items
        on instance_items.organization_id = usage_items.organization_id
        and instance_items.usage_month = usage_items.usage_month
        and instance_items.billing_item = usage_items.billing_item

),

allocated as (

    {{ allocate_largest_remainder(
        relation='pieces',
        partition_by=['organization_id', 'usage_month', 'billing_item'],
        weight='weight',
        total_cents='organization_cents',
        tie_breaker='instance_id'
    ) }}

),

final as (

    select
        allocated.organization_id,
        allocated.environment_id,
        allocated.instance_id,
        allocated.usage_month,
        allocated.billing_item,
        allocated.unit,
        allocated.measure,
        {{ billable_quantity(
            'allocated.billing_item', 'allocated.measure', 'allocated.usage_month'
        ) }} as quantity,
        allocated.weight as allocation_weight,
        {{ cents_to_decimal2('allocated.allocated_cents') }} as allocated_amount,
        allocated.organization_amount,
        cast('USD' as string) as currency
    from allocated

)

select * from final
