{#- One row per distinct landed allocation row (SPEC 1.3: identical rows, from any files, count
    once; the first copy by source_file and file_row_number stands for them), with
    `is_invalid_allocation` when it has a null license_id, environment_id or valid_from,
    aku_allocated < 1 (or null), or valid_to <= valid_from. Invalid rows are reported and take no
    part in capacity; they never stop a close. -#}
with

allocations as (

    select * from {{ ref('stg_usage_exports__license_allocations') }}

),

copies_numbered as (

    select
        allocations.*,
        count(*) over content_window as copies,
        row_number() over (
            partition by
                allocations.license_id,
                allocations.environment_id,
                allocations.aku_allocated,
                allocations.valid_from,
                allocations.valid_to
            order by allocations.source_file, allocations.file_row_number
        ) as copy_number
    from allocations
    window
        content_window as (
            partition by
                allocations.license_id,
                allocations.environment_id,
                allocations.aku_allocated,
                allocations.valid_from,
                allocations.valid_to
        )

),

distinct_rows as (

    select {{ star_except('copies_numbered', ['copy_number']) }}
    from copies_numbered
    where copies_numbered.copy_number = 1

),

final as (

    select
        distinct_rows.*,
        case
            when distinct_rows.license_id is null then 'license_id is missing'
            when distinct_rows.environment_id is null then 'environment_id is missing'
            when distinct_rows.valid_from is null then 'valid_from is missing'
            when distinct_rows.aku_allocated is null or distinct_rows.aku_allocated < 1
                then 'aku_allocated is below 1'
            when distinct_rows.valid_to <= distinct_rows.valid_from
                then 'valid_to is not after valid_from'
        end as invalid_reason,
        invalid_reason is not null as is_invalid_allocation
    from distinct_rows

)

select * from final
