{#- One row per allocation and hour in which it provides capacity: the hour starts inside the
    allocation (valid_from <= hour < valid_to) and inside its licence's term, the licence is valid
    and priced, and the allocation row is valid (SPEC 1.3). An open allocation ends with the term.
    Only the months with rated usage are expanded, so a yearly licence does not fill future months
    with hours. Everything that provides nothing is reported by rpt_license_compliance. -#}
with

allocations as (

    select * from {{ ref('int_license_allocations_checked') }} as checked_allocations
    where not checked_allocations.is_invalid_allocation

),

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

outcomes as (

    select * from {{ ref('int_usage_outcomes_counted') }}

),

usage_coverage as (

    select
        cast(min(outcomes.usage_month) as {{ timestamptz_type() }}) as covered_from,
        cast(max(outcomes.usage_month) + interval 1 month as {{ timestamptz_type() }}) as covered_to
    from outcomes
    where outcomes.outcome = 'rated'

),

bounded as (

    select
        allocations.license_id,
        allocations.environment_id,
        licenses.organization_id,
        allocations.aku_allocated,
        allocations.valid_from,
        allocations.valid_to,
        greatest(
            allocations.valid_from,
            cast(licenses.start_date as {{ timestamptz_type() }}),
            usage_coverage.covered_from
        ) as effective_from,
        least(
            coalesce(allocations.valid_to, cast(licenses.end_date as {{ timestamptz_type() }})),
            cast(licenses.end_date as {{ timestamptz_type() }}),
            usage_coverage.covered_to
        ) as effective_to
    from allocations
    inner join licenses
        on allocations.license_id = licenses.license_id
    cross join usage_coverage

),

hour_numbers as (

    select
        bounded.*,
        -- hour h (starting at h x 3600 s) counts when effective_from <= h < effective_to
        cast({{ ceil_div(epoch_micros('bounded.effective_from'), '3600000000') }} as bigint)
            as first_hour,
        cast({{ ceil_div(epoch_micros('bounded.effective_to'), '3600000000') }} as bigint)
            as end_hour
    from bounded
    where bounded.effective_from < bounded.effective_to

),

hours as (

    {{ rows_per_integer(
        'hour_numbers',
        [
            'license_id', 'environment_id', 'organization_id', 'aku_allocated', 'valid_from',
            'valid_to',
        ],
        'first_hour',
        'end_hour',
        'hour_number',
    ) }}

),

expanded as (

    select
        hours.license_id,
        hours.environment_id,
        hours.organization_id,
        hours.aku_allocated,
        hours.valid_from,
        hours.valid_to,
        {{ instant_from_epoch_seconds('hours.hour_number * 3600') }} as hour_start
    from hours

),

final as (

    select
        expanded.*,
        cast(date_trunc('month', expanded.hour_start) as date) as usage_month
    from expanded

)

select * from final
