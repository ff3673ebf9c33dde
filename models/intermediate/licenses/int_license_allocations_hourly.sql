{#- One row per allocation and hour in which it provides capacity: the hour starts inside the
    allocation (valid_from <= hour < valid_to) and inside its valid licence's term. An open
    allocation ends with the term. Allocations of unknown or quarantined licences, and the parts
    of an allocation outside the term, provide nothing (rpt_license_compliance reports them). -#}
with

allocations as (

    select * from {{ ref('stg_usage_exports__license_allocations') }}
    where license_id is not null
        and environment_id is not null
        and aku_allocated is not null
        and valid_from is not null

),

licenses as (

    select * from {{ ref('dim_licenses') }}

),

usage_coverage as (

    select
        cast(min(classified.usage_month) as timestamptz) as covered_from,
        cast(max(classified.usage_month) + interval 1 month as timestamptz) as covered_to
    from {{ ref('int_usage_events_classified') }} as classified
    where classified.outcome = 'rated'

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
            cast(licenses.start_date as timestamptz),
            usage_coverage.covered_from
        ) as effective_from,
        least(
            coalesce(allocations.valid_to, cast(licenses.end_date as timestamptz)),
            cast(licenses.end_date as timestamptz),
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
        cast({{ ceil_div('epoch_us(bounded.effective_from)', '3600000000') }} as bigint)
            as first_hour,
        cast({{ ceil_div('epoch_us(bounded.effective_to)', '3600000000') }} as bigint)
            as end_hour
    from bounded
    where bounded.effective_from < bounded.effective_to

),

expanded as (

    select
        hour_numbers.license_id,
        hour_numbers.environment_id,
        hour_numbers.organization_id,
        hour_numbers.aku_allocated,
        hour_numbers.valid_from,
        to_timestamp(unnest(range(hour_numbers.first_hour, hour_numbers.end_hour)) * 3600)
            as hour_start
    from hour_numbers

),

final as (

    select
        expanded.*,
        cast(date_trunc('month', expanded.hour_start) as date) as usage_month
    from expanded

)

select * from final
