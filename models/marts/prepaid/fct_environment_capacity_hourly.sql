{#- One row per environment and hour in which it has prepaid instances running or AKU allocated:
    required AKU (sum over its prepaid instances), allocated AKU (sum of the allocations valid at
    that hour), headroom = allocated - required, and whether it ran over capacity.
    {{ doc('capacity_rules') }} -#}
with

instance_hours as (

    select * from {{ ref('fct_instance_aku_hourly') }}

),

allocation_hours as (

    select * from {{ ref('int_license_allocations_hourly') }}

),

required as (

    select
        instance_hours.environment_id,
        instance_hours.hour_start,
        max(instance_hours.organization_id) as organization_id,
        cast(sum(instance_hours.required_aku) as bigint) as required_aku,
        cast(count(*) as integer) as prepaid_instances,
        bool_or(instance_hours.exceeds_max_aku) as any_instance_exceeds_max_aku
    from instance_hours
    group by instance_hours.environment_id, instance_hours.hour_start

),

allocated as (

    select
        allocation_hours.environment_id,
        allocation_hours.hour_start,
        max(allocation_hours.organization_id) as organization_id,
        cast(sum(allocation_hours.aku_allocated) as bigint) as allocated_aku,
        cast(count(distinct allocation_hours.license_id) as integer) as licenses
    from allocation_hours
    group by allocation_hours.environment_id, allocation_hours.hour_start

),

final as (

    select
        coalesce(required.organization_id, allocated.organization_id) as organization_id,
        coalesce(required.environment_id, allocated.environment_id) as environment_id,
        coalesce(required.hour_start, allocated.hour_start) as hour_start,
        cast(date_trunc('month', coalesce(required.hour_start, allocated.hour_start)) as date)
            as usage_month,
        coalesce(required.required_aku, 0) as required_aku,
        coalesce(allocated.allocated_aku, 0) as allocated_aku,
        coalesce(allocated.allocated_aku, 0) - coalesce(required.required_aku, 0) as headroom_aku,
        coalesce(required.required_aku, 0) > coalesce(allocated.allocated_aku, 0)
            as is_over_capacity,
        coalesce(required.prepaid_instances, 0) as prepaid_instances,
        coalesce(allocated.licenses, 0) as licenses,
        coalesce(required.any_instance_exceeds_max_aku, false) as any_instance_exceeds_max_aku
    from required
    full outer join allocated
        on required.environment_id = allocated.environment_id
        and required.hour_start = allocated.hour_start

)

select * from final
