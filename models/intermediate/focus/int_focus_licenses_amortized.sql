{#- One row per licence, month of its term and commitment status (SPEC 10.1, Licence): the amount
    the licence recognises in the month (int_licenses_revenue_scheduled, SPEC 4.2) spread over its
    AKU-hours in the month. H = aku_quota x the hours of the month inside the term; environment e
    used U_e = the AKU-hours this licence allocated to e (int_license_allocations_hourly: valid
    allocations, identical rows once). One `Used` row per environment with U_e > 0 and one `Unused`
    row for H - sum(U_e) when that is > 0 (an allocation above the quota leaves no Unused row).
    The amount is apportioned in cents by AKU-hours, by largest remainder, ties to the Used rows
    in environment_id order and the Unused row last. Trial licences take part with amount 0. -#}
with

schedule as (

    select * from {{ ref('int_licenses_revenue_scheduled') }}

),

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

allocation_hours as (

    select * from {{ ref('int_license_allocations_hourly') }}

),

month_licenses as (

    select
        schedule.license_id,
        schedule.organization_id,
        schedule.revenue_month,
        schedule.recognized_amount,
        cast(schedule.recognized_amount * 100 as decimal(38, 0)) as recognized_cents,
        cast(licenses.aku_quota * schedule.days_in_month * 24 as decimal(38, 0)) as term_aku_hours
    from schedule
    inner join licenses
        on schedule.license_id = licenses.license_id

),

used as (

    select
        allocation_hours.license_id,
        allocation_hours.usage_month,
        allocation_hours.environment_id,
        cast(sum(allocation_hours.aku_allocated) as decimal(38, 0)) as aku_hours
    from allocation_hours
    group by
        allocation_hours.license_id,
        allocation_hours.usage_month,
        allocation_hours.environment_id

),

used_totals as (

    select
        used.license_id,
        used.usage_month,
        sum(used.aku_hours) as used_aku_hours
    from used
    group by used.license_id, used.usage_month

),

pieces as (

    select
        month_licenses.license_id,
        month_licenses.organization_id,
        month_licenses.revenue_month,
        month_licenses.recognized_cents,
        'Used' as commitment_status,
        used.environment_id,
        0 as status_rank,
        used.aku_hours
    from month_licenses
    inner join used
        on month_licenses.license_id = used.license_id
        and month_licenses.revenue_month = used.usage_month
    where used.aku_hours > 0

    union all

    select
        month_licenses.license_id,
        month_licenses.organization_id,
        month_licenses.revenue_month,
        month_licenses.recognized_cents,
        'Unused' as commitment_status,
        cast(null as varchar(256)) as environment_id,
        1 as status_rank,
        month_licenses.term_aku_hours - coalesce(used_totals.used_aku_hours, 0) as aku_hours
    from month_licenses
    left join used_totals
        on month_licenses.license_id = used_totals.license_id
        and month_licenses.revenue_month = used_totals.usage_month
    where month_licenses.term_aku_hours - coalesce(used_totals.used_aku_hours, 0) > 0

),

apportioned as (

    {{ apportion_largest_remainder(
        relation='pieces',
        columns=['license_id', 'organization_id', 'revenue_month', 'commitment_status',
            'environment_id', 'aku_hours'],
        partition_by=['license_id', 'revenue_month'],
        weight='aku_hours',
        total_units='recognized_cents',
        tie_breaker='status_rank, environment_id',
        output='amount_cents'
    ) }}

),

final as (

    select
        apportioned.license_id,
        apportioned.organization_id,
        apportioned.revenue_month,
        cast(apportioned.commitment_status as varchar(8)) as commitment_status,
        apportioned.environment_id,
        cast(apportioned.aku_hours as decimal(38, 6)) as aku_hours,
        {{ cents_to_decimal2('apportioned.amount_cents') }} as amount
    from apportioned

)

select * from final
