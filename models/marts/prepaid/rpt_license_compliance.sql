{#- One row per licence breach interval (SPEC 1.3, 4.3). Breaches are reported, never
    quarantined:
    - `over_quota`: between two consecutive allocation boundaries of a licence, its allocations
      sum to more than its aku_quota (interval_end null = open-ended);
    - `before_term` / `after_term`: the part of an allocation that lies outside its licence's
      term (an open allocation ends with the term and is not reported after it);
    - `unknown_license`: an allocation of a licence that did not land or was quarantined. -#}
with

allocations as (

    select * from {{ ref('stg_usage_exports__license_allocations') }}
    where license_id is not null and valid_from is not null

),

licenses as (

    select * from {{ ref('dim_licenses') }}

),

known as (

    select
        allocations.*,
        licenses.organization_id,
        licenses.aku_quota,
        cast(licenses.start_date as timestamptz) as term_start,
        cast(licenses.end_date as timestamptz) as term_end
    from allocations
    inner join licenses on allocations.license_id = licenses.license_id

),

boundaries as (

    select known.license_id, known.valid_from as boundary from known
    union
    select known.license_id, known.valid_to as boundary from known where known.valid_to is not null

),

intervals as (

    select
        boundaries.license_id,
        boundaries.boundary as interval_start,
        lead(boundaries.boundary) over (
            partition by boundaries.license_id order by boundaries.boundary
        ) as interval_end
    from boundaries

),

covered as (

    select
        intervals.license_id,
        intervals.interval_start,
        intervals.interval_end,
        max(known.organization_id) as organization_id,
        max(known.aku_quota) as aku_quota,
        cast(sum(known.aku_allocated) as integer) as allocated_aku,
        string_agg(distinct known.environment_id, ', ' order by known.environment_id)
            as environments
    from intervals
    inner join known
        on intervals.license_id = known.license_id
        and known.valid_from <= intervals.interval_start
        and (known.valid_to is null or known.valid_to > intervals.interval_start)
    group by intervals.license_id, intervals.interval_start, intervals.interval_end

),

over_quota as (

    select
        covered.license_id,
        covered.organization_id,
        covered.environments as environment_id,
        'over_quota' as breach_type,
        covered.interval_start,
        covered.interval_end,
        covered.allocated_aku,
        covered.aku_quota
    from covered
    where covered.allocated_aku > covered.aku_quota

),

before_term as (

    select
        known.license_id,
        known.organization_id,
        known.environment_id,
        'before_term' as breach_type,
        known.valid_from as interval_start,
        least(coalesce(known.valid_to, known.term_start), known.term_start) as interval_end,
        known.aku_allocated as allocated_aku,
        known.aku_quota
    from known
    where known.valid_from < known.term_start

),

after_term as (

    select
        known.license_id,
        known.organization_id,
        known.environment_id,
        'after_term' as breach_type,
        greatest(known.valid_from, known.term_end) as interval_start,
        known.valid_to as interval_end,
        known.aku_allocated as allocated_aku,
        known.aku_quota
    from known
    where known.valid_to > known.term_end

),

unknown_license as (

    select
        allocations.license_id,
        cast(null as varchar) as organization_id,
        allocations.environment_id,
        'unknown_license' as breach_type,
        allocations.valid_from as interval_start,
        allocations.valid_to as interval_end,
        allocations.aku_allocated as allocated_aku,
        cast(null as integer) as aku_quota
    from allocations
    anti join licenses on allocations.license_id = licenses.license_id

),

final as (

    select * from over_quota
    union all
    select * from before_term
    union all
    select * from after_term
    union all
    select * from unknown_license

)

select
    final.*,
    case
        when final.breach_type = 'over_quota' then final.allocated_aku - final.aku_quota
    end as excess_aku
from final
