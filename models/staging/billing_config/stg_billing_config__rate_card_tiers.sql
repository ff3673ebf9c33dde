{#- One row per rate card version, billing item and tier, with exact decimal bounds and price.
    A version is in force from its effective_from to the next version's (`effective_to`, null for
    the latest): the version in force for month M is the one whose range holds M's first day. -#}
with

source as (

    select * from {{ ref('rate_card_tiers') }}

),

renamed as (

    select
        cast(source.rate_card_version as string) as rate_card_version,
        cast(source.effective_from as date) as effective_from,
        cast(source.billing_item as string) as billing_item,
        cast(source.tier_mode as string) as tier_mode,
        cast(source.tier as integer) as tier,
        cast(source.lower_bound as decimal(38, 6)) as lower_bound,
        cast(source.upper_bound as decimal(38, 6)) as upper_bound,
        cast(source.unit_price as decimal(38, 6)) as unit_price
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from') }} as effective_to
    from renamed

)

select * from final
