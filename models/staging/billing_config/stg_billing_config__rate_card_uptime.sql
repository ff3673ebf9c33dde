{#- One row per rate card version and cluster tier, with the exact hourly price. -#}
with

source as (

    select * from {{ ref('rate_card_uptime') }}

),

renamed as (

    select
        cast(source.rate_card_version as varchar) as rate_card_version,
        cast(source.effective_from as date) as effective_from,
        cast(source.cluster_tier as varchar) as cluster_tier,
        cast(source.hourly_price as decimal(38, 6)) as hourly_price
    from source

)

select * from renamed
