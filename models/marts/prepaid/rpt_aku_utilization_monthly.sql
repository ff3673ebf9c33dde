{#- One row per organization, environment and month with prepaid capacity: allocated and
    required AKU-hours, the peak required AKU, hours over capacity and the utilisation ratio
    (required / allocated AKU-hours, 6 decimals, half away from zero; null when nothing was
    allocated). -#}
with

capacity as (

    select * from {{ ref('fct_environment_capacity_hourly') }}

),

monthly as (

    select
        capacity.organization_id,
        capacity.environment_id,
        capacity.usage_month,
        cast(sum(capacity.allocated_aku) as {{ wide_int() }}) as allocated_aku_hours,
        cast(sum(capacity.required_aku) as {{ wide_int() }}) as required_aku_hours,
        max(capacity.required_aku) as peak_required_aku,
        max(capacity.allocated_aku) as peak_allocated_aku,
        cast(count(*) filter (where capacity.is_over_capacity) as integer) as hours_over_capacity,
        cast(count(*) filter (where capacity.prepaid_instances > 0) as integer)
            as hours_with_instances,
        cast(count(*) as integer) as hours_reported
    from capacity
    group by capacity.organization_id, capacity.environment_id, capacity.usage_month

),

final as (

    select
        monthly.*,
        case
            when monthly.allocated_aku_hours > 0
                then {{ ratio_round6('monthly.required_aku_hours', 'monthly.allocated_aku_hours') }}
        end as utilization_ratio
    from monthly

)

select * from final
