{#- One row per licence breach (SPEC 1.3, 4.3, 6), reported, never quarantined or charged:
    - `over_quota`: between two consecutive allocation boundaries of a licence, its allocations
      sum to more than its aku_quota (interval_end null = open-ended);
    - `outside_term`: the part of an allocation that lies before its licence's start or after its
      end (an open allocation ends with the term and is not reported after it);
    - `unknown_license`: an allocation of a licence that did not land, or was quarantined;
    - `invalid_allocation`: an allocation row that breaks SPEC 1.3 (a null license_id,
      environment_id or valid_from, aku_allocated < 1, valid_to <= valid_from), with the reason.
    Identical allocation rows count once. Each row but `over_quota` names the allocation row it
    reports (source_file, file_row_number: the first of identical copies), which keeps two
    allocations that differ only in valid_to apart. A view read by rpt_license_compliance. -#}
with

allocations as (

    select * from {{ ref('int_license_allocations_checked') }}

),

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

valid_allocations as (

    select * from allocations
    where not allocations.is_invalid_allocation

),

known as (

    select
        valid_allocations.*,
        licenses.organization_id,
        licenses.aku_quota,
        cast(licenses.start_date as {{ timestamptz_type() }}) as term_start,
        cast(licenses.end_date as {{ timestamptz_type() }}) as term_end
    from valid_allocations
    inner join licenses on valid_allocations.license_id = licenses.license_id

),

boundaries as (

    select
        known.license_id,
        known.valid_from as boundary
    from known
    union
    select
        known.license_id,
        known.valid_to as boundary
    from known
    where known.valid_to is not null

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
        {{ sorted_string_agg('known.environment_id', "', '", distinct=true) }} as environments
    from intervals
    inner join known
        on intervals.license_id = known.license_id
        and intervals.interval_start >= known.valid_from
        and (known.valid_to is null or intervals.interval_start < known.valid_to)
    group by intervals.license_id, intervals.interval_start, intervals.interval_end

),

over_quota as (

    select
        covered.license_id,
        covered.organization_id,
        covered.environments as environment_id,
        'over_quota' as kind,
        covered.interval_start,
        covered.interval_end,
        covered.allocated_aku,
        covered.aku_quota,
        covered.allocated_aku - covered.aku_quota as excess_aku,
        cast(null as string) as detail,
        cast(null as string) as source_file,
        cast(null as bigint) as file_row_number
    from covered
    where covered.allocated_aku > covered.aku_quota

),

before_term as (

    select
        known.license_id,
        known.organization_id,
        known.environment_id,
        'outside_term' as kind,
        known.valid_from as interval_start,
        least(coalesce(known.valid_to, known.term_start), known.term_start) as interval_end,
        known.aku_allocated as allocated_aku,
        known.aku_quota,
        cast(null as integer) as excess_aku,
        'before the licence term starts' as detail,
        known.source_file,
        known.file_row_number
    from known
    where known.valid_from < known.term_start

),

after_term as (

    select
        known.license_id,
        known.organization_id,
        known.environment_id,
        'outside_term' as kind,
        greatest(known.valid_from, known.term_end) as interval_start,
        known.valid_to as interval_end,
        known.aku_allocated as allocated_aku,
        known.aku_quota,
        cast(null as integer) as excess_aku,
        'after the licence term ends' as detail,
        known.source_file,
        known.file_row_number
    from known
    where known.valid_to > known.term_end

),

unknown_license as (

    select
        valid_allocations.license_id,
        cast(null as string) as organization_id,
        valid_allocations.environment_id,
        'unknown_license' as kind,
        valid_allocations.valid_from as interval_start,
        valid_allocations.valid_to as interval_end,
        valid_allocations.aku_allocated as allocated_aku,
        cast(null as integer) as aku_quota,
        cast(null as integer) as excess_aku,
        'the licence did not land or was quarantined' as detail,
        valid_allocations.source_file,
        valid_allocations.file_row_number
    from valid_allocations
    anti join licenses on valid_allocations.license_id = licenses.license_id

),

invalid_allocation as (

    select
        allocations.license_id,
        licenses.organization_id,
        allocations.environment_id,
        'invalid_allocation' as kind,
        allocations.valid_from as interval_start,
        allocations.valid_to as interval_end,
        allocations.aku_allocated as allocated_aku,
        licenses.aku_quota,
        cast(null as integer) as excess_aku,
        allocations.invalid_reason as detail,
        allocations.source_file,
        allocations.file_row_number
    from allocations
    left join licenses on allocations.license_id = licenses.license_id
    where allocations.is_invalid_allocation

),

final as (

    select * from over_quota
    union all
    select * from before_term
    union all
    select * from after_term
    union all
    select * from unknown_license
    union all
    select * from invalid_allocation

)

select * from final
