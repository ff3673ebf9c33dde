{#- One row per landed usage row, exactly as landed (nothing filtered), with every column cast
    explicitly: files written by different tools (int32 quantities, naive timestamps, reordered or
    extra columns) all arrive here with the contract types of SPEC 1.1. Naive timestamps are read
    as UTC (the session time zone is UTC). -#}
with

source as (

    select * from {{ source('usage_exports', 'usage_events') }}

),

renamed as (

    select
        cast(source.event_id as varchar) as event_id,
        cast(source.organization_id as varchar) as organization_id,
        cast(source.environment_id as varchar) as environment_id,
        cast(source.instance_id as varchar) as instance_id,
        cast(source.cloud_provider as varchar) as cloud_provider,
        cast(source.region as varchar) as region,
        cast(source.pricing_mode as varchar) as pricing_mode,
        cast(source.cluster_tier as varchar) as cluster_tier,
        cast(source.meter as varchar) as meter,
        cast(source.hour_start as timestamptz) as hour_start,
        cast(source.quantity as bigint) as quantity,
        cast(source.emitted_at as timestamptz) as emitted_at,
        cast(source.source_file as varchar) as source_file,
        cast(date_trunc('month', cast(source.hour_start as timestamptz)) as date) as usage_month

    from source

)

select * from renamed
