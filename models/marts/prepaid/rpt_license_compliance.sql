{#- One row per licence breach (SPEC 1.3, 4.3, 6), reported, never quarantined or charged:
    over_quota, outside_term, unknown_license and invalid_allocation. The rules:
    int_license_breaches_found. -#}
with

breaches as (

    select * from {{ ref('int_license_breaches_found') }}

),

final as (

    select
        breaches.license_id,
        breaches.organization_id,
        breaches.environment_id,
        breaches.kind,
        breaches.interval_start,
        breaches.interval_end,
        breaches.allocated_aku,
        breaches.aku_quota,
        breaches.excess_aku,
        breaches.detail,
        breaches.source_file,
        breaches.file_row_number
    from breaches

)

select * from final
