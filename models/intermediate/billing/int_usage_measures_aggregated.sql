{{ month_incremental_config() }}

{#- One row per organization, instance, month, billing item and (for cluster_uptime) cluster tier:
    the exact integer measure behind the usage-based charges (SPEC 3), from rated rows of
    usage_based instances only.
    - data_ingress / data_egress: bytes;
    - data_retention: byte-hours (the sum of hourly retained_bytes);
    - cluster_uptime: billable hours (instance-hours with uptime_seconds > 0). -#}
with

rated as (

    select * from {{ ref('int_usage_events_classified') }} as classified
    where classified.outcome = 'rated'
        and classified.pricing_mode = 'usage_based'
        and {{ in_affected_months('classified.usage_month') }}

),

measured as (

    select
        rated.organization_id,
        rated.environment_id,
        rated.instance_id,
        rated.usage_month,
        {{ billable_item('rated.meter') }} as billing_item,
        case when rated.meter = 'uptime_seconds' then rated.cluster_tier end as cluster_tier,
        case
            when rated.meter = 'uptime_seconds'
                then case when rated.quantity > 0 then 1 else 0 end
            else rated.quantity
        end as measure
    from rated
    where rated.meter in {{ sql_list(var('meter_billing_items').keys() | list) }}

),

aggregated as (

    select
        measured.organization_id,
        measured.instance_id,
        measured.usage_month,
        measured.billing_item,
        measured.cluster_tier,
        max(measured.environment_id) as environment_id,
        cast({{ wide_sum('measured.measure') }} as {{ wide_int() }}) as measure
    from measured
    group by
        measured.organization_id,
        measured.instance_id,
        measured.usage_month,
        measured.billing_item,
        measured.cluster_tier

),

final as (

    select * from aggregated

)

select * from final
