{#- One row per landed usage row, exactly as loaded (nothing filtered): the contract columns of
    SPEC 1.1 (the load cast every file's columns to them; naive timestamps were read as UTC), the
    landed row's key (source_file, file_row_number), the load it came with and its usage month. -#}
with

source as (

    select * from {{ source('usage_exports', 'usage_events') }}

),

renamed as (

    select
        source.event_id,
        source.organization_id,
        source.environment_id,
        source.instance_id,
        source.cloud_provider,
        source.region,
        source.pricing_mode,
        source.cluster_tier,
        source.meter,
        source.hour_start,
        source.quantity,
        source.emitted_at,
        source.source_file,
        source.file_row_number,
        source.load_id,
        source.usage_month
    from source

),

final as (

    select * from renamed

)

select * from final
