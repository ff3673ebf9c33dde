{#- One row per landed licence row, every column cast explicitly. The product secret is replaced
    by its sha256 (hex) here and never selected anywhere else: no table, view or export holds it.
    When no licence has landed, an empty relation with the same columns stands in. -#}
with

source as (

    {{ optional_landing_source('licenses', [
        'license_id',
        'organization_id',
        'channel',
        'term',
        'aku_quota',
        'start_date',
        'end_date',
        'price_per_aku',
        'currency',
        'product_secret',
        'purchased_at',
        'source_file'
    ]) }}

),

renamed as (

    select
        cast(source.license_id as varchar) as license_id,
        cast(source.organization_id as varchar) as organization_id,
        cast(source.channel as varchar) as channel,
        cast(source.term as varchar) as term,
        cast(source.aku_quota as integer) as aku_quota,
        cast(source.start_date as date) as start_date,
        cast(source.end_date as date) as end_date,
        cast(source.price_per_aku as decimal(18, 6)) as price_per_aku,
        cast(source.currency as varchar) as currency,
        case
            when source.product_secret is not null
                then sha256(cast(source.product_secret as varchar))
        end as product_secret_sha256,
        cast(source.purchased_at as timestamptz) as purchased_at,
        cast(source.source_file as varchar) as source_file
    from source

)

select * from renamed
