{#- One row per rate card version and cluster tier, with the exact hourly price; in force from
    effective_from to the next version's (`effective_to`, null for the latest). -#}
with

source as (

    select * from {{ ref('rate_card_uptime') }}

),

renamed as (

    select
        cast(source.rate_card_version as string) as rate_card_version,
        cast(source.effective_from as date) as effective_from,
        cast(source.cluster_tier as string) as cluster_tier,
        cast(source.hourly_price as decimal(38, 6)) as hourly_price
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from') }} as effective_to
    from renamed

)

select * from final
