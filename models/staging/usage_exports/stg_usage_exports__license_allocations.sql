{#- One row per landed allocation row, every column cast explicitly. When no allocation has
    landed, an empty relation with the same columns stands in. -#}
with

source as (

    {% if landing_has_files('license_allocations') %}
    select * from {{ source('usage_exports', 'license_allocations') }}
    {% else %}
    select
        null::varchar as license_id,
        null::varchar as environment_id,
        null::integer as aku_allocated,
        null::timestamptz as valid_from,
        null::timestamptz as valid_to,
        null::varchar as source_file
    where false
    {% endif %}

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
