{#- One row per landed allocation row, every column cast explicitly. When no allocation has
    landed, an empty relation with the same columns stands in. -#}
with

source as (

    {{ optional_landing_source('license_allocations', [
        'license_id',
        'environment_id',
        'aku_allocated',
        'valid_from',
        'valid_to',
        'source_file'
    ]) }}

),

renamed as (

    select
        cast(source.license_id as varchar) as license_id,
        cast(source.environment_id as varchar) as environment_id,
        cast(source.aku_allocated as integer) as aku_allocated,
        cast(source.valid_from as timestamptz) as valid_from,
        cast(source.valid_to as timestamptz) as valid_to,
        cast(source.source_file as varchar) as source_file
    from source

)

select * from renamed
