{#- One row per landed allocation row, nothing filtered (SPEC 1.3). -#}
with

source as (

    select * from {{ source('usage_exports', 'license_allocations') }}

),

renamed as (

    select
        source.license_id,
        source.environment_id,
        source.aku_allocated,
        source.valid_from,
        source.valid_to,
        source.source_file,
        source.file_row_number
    from source

),

final as (

    select * from renamed

)

select * from final
