{#- One row per listing version and dimension (SPEC 9.1): the AWS Marketplace dimension that
    meters a billing item's tier (data items) or a cluster tier (uptime), at a flat price per
    unit; in force from effective_from to the next listing version's (`effective_to`). -#}
with

source as (

    select * from {{ ref('marketplace_dimensions') }}

),

renamed as (

    select
        cast(source.effective_from as date) as effective_from,
        cast(source.product_code as string) as product_code,
        cast(source.product_id as string) as product_id,
        cast(source.dimension as string) as dimension,
        cast(source.billing_item as string) as billing_item,
        cast(source.tier as integer) as tier,
        cast(source.cluster_tier as string) as cluster_tier,
        cast(source.unit as string) as unit,
        cast(source.price_per_unit as decimal(38, 6)) as price_per_unit
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from') }} as effective_to
    from renamed

)

select * from final
