{#- One row per landed licence row, every column cast explicitly. The product secret is replaced
    by its sha256 (hex) here and never selected anywhere else: no table, view or export holds it.
    When no licence has landed, an empty relation with the same columns stands in. -#}
with

source as (

    {% if landing_has_files('licenses') %}
    select * from {{ source('usage_exports', 'licenses') }}
    {% else %}
    select
        null::varchar as license_id,
        null::varchar as organization_id,
        null::varchar as channel,
        null::varchar as term,
        null::integer as aku_quota,
        null::date as start_date,
        null::date as end_date,
        null::decimal(18, 6) as price_per_aku,
        null::varchar as currency,
        null::varchar as product_secret,
        null::timestamptz as purchased_at,
        null::varchar as source_file
    where false
    {% endif %}

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
