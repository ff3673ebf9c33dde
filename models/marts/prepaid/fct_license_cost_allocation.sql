{#- Chargeback: one row per licence, revenue month, environment and prepaid instance, holding a
    piece of the revenue the licence recognises that month (fct_license_revenue_schedule).
    1. The month's amount is spread over the environments by the AKU-hours the licence allocated
       to each of them that month.
    2. Each environment's piece is spread over its prepaid instances by the AKU-hours they
       required that month (fct_instance_aku_hourly).
    Both splits are in cents by largest remainder, so the pieces sum exactly to the month's
    recognised amount.
    Hours with allocation but no instance: the revenue follows the allocation to the
    environment whatever ran there; within the environment it goes to the instances that did
    run during the month, in proportion to what they required. When no prepaid instance ran in
    the environment that month, its piece stays on the environment with instance_id null (idle
    capacity). A licence with no allocated hour in a month keeps that month's amount on one row
    with environment_id null (unallocated). -#}
with

schedule as (

    select * from {{ ref('fct_license_revenue_schedule') }}

),

allocation_hours as (

    select * from {{ ref('int_license_allocations_hourly') }}

),

instance_hours as (

    select * from {{ ref('fct_instance_aku_hourly') }}

),

environment_weights as (

    select
        allocation_hours.license_id,
        allocation_hours.usage_month,
        allocation_hours.environment_id,
        cast(sum(allocation_hours.aku_allocated) as {{ wide_int() }}) as allocated_aku_hours
    from allocation_hours
    group by
        allocation_hours.license_id,
        allocation_hours.usage_month,
        allocation_hours.environment_id

),

environment_pieces as (

    select
        schedule.license_id,
        schedule.organization_id,
        schedule.revenue_month,
        schedule.recognized_amount,
        cast(schedule.recognized_amount * 100 as {{ wide_int() }}) as recognized_cents,
        environment_weights.environment_id,
        coalesce(environment_weights.allocated_aku_hours, 1) as allocated_aku_hours
    from schedule
    left join environment_weights
        on schedule.license_id = environment_weights.license_id
        and schedule.revenue_month = environment_weights.usage_month

),

environments_allocated as (

    {{ allocate_largest_remainder(
        relation='environment_pieces',
        partition_by=['license_id', 'revenue_month'],
        weight='allocated_aku_hours',
        total_cents='recognized_cents',
        tie_breaker='environment_id'
    ) }}

),

instance_weights as (

    select
        instance_hours.environment_id,
        instance_hours.usage_month,
        instance_hours.instance_id,
        cast(sum(instance_hours.required_aku) as {{ wide_int() }}) as required_aku_hours
    from instance_hours
    group by
        instance_hours.environment_id,
        instance_hours.usage_month,
        instance_hours.instance_id

),

instance_pieces as (

    select
        environments_allocated.license_id,
        environments_allocated.organization_id,
        environments_allocated.revenue_month,
        environments_allocated.recognized_amount,
        environments_allocated.environment_id,
        environments_allocated.allocated_aku_hours,
        environments_allocated.allocated_cents as environment_cents,
        instance_weights.instance_id,
        coalesce(instance_weights.required_aku_hours, 1) as required_aku_hours
    from environments_allocated
    left join instance_weights
        on environments_allocated.environment_id = instance_weights.environment_id
        and environments_allocated.revenue_month = instance_weights.usage_month

),

instances_allocated as (

    {{ allocate_largest_remainder(
        relation='instance_pieces',
        partition_by=['license_id', 'revenue_month', 'environment_id'],
        weight='required_aku_hours',
        total_cents='environment_cents',
        tie_breaker='instance_id'
    ) }}

),

final as (

    select
        instances_allocated.license_id,
        instances_allocated.organization_id,
        instances_allocated.revenue_month,
        instances_allocated.environment_id,
        instances_allocated.instance_id,
        case
            when instances_allocated.environment_id is null then 0
            else instances_allocated.allocated_aku_hours
        end as environment_allocated_aku_hours,
        case
            when instances_allocated.instance_id is null then 0
            else instances_allocated.required_aku_hours
        end as instance_required_aku_hours,
        {{ cents_to_decimal2('instances_allocated.allocated_cents') }} as allocated_amount,
        instances_allocated.recognized_amount as license_month_amount,
        cast('USD' as string) as currency
    from instances_allocated

)

select * from final
