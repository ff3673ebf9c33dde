{#- One row per landed licence row, nothing filtered. The product secret arrives only as its
    sha256: the load hashed it, and no table, view, export or log holds the secret. -#}
with

source as (

    select * from {{ source('usage_exports', 'licenses') }}

),

renamed as (

    select
        source.license_id,
        source.organization_id,
        source.channel,
        source.term,
        source.aku_quota,
        source.start_date,
        source.end_date,
        source.price_per_aku,
        source.currency,
        source.product_secret_sha256,
        source.purchased_at,
        source.source_file,
        source.file_row_number
    from source

),

final as (

    select * from renamed

)

select * from final
