{#- One row per quarantined licence row: the licence rules' reasons, and `no_list_price` for a
    valid licence that needs a list price when none is in force on its start_date (SPEC 4.1).
    The product secret is only present as its sha256. -#}
with

licenses as (

    select * from {{ ref('int_licenses_validated') }}

),

priced as (

    select * from {{ ref('int_licenses_priced') }}

),

quarantined as (

    select
        licenses.license_id,
        licenses.organization_id,
        licenses.channel,
        licenses.term,
        licenses.aku_quota,
        licenses.start_date,
        licenses.end_date,
        licenses.price_per_aku,
        licenses.currency,
        licenses.product_secret_sha256,
        licenses.purchased_at,
        licenses.quarantine_reason as reason,
        licenses.source_file,
        licenses.file_row_number
    from licenses
    where licenses.outcome = 'quarantined'

),

unpriced as (

    select
        priced.license_id,
        priced.organization_id,
        priced.channel,
        priced.term,
        priced.aku_quota,
        priced.start_date,
        priced.end_date,
        priced.negotiated_price_per_aku as price_per_aku,
        priced.currency,
        priced.product_secret_sha256,
        priced.purchased_at,
        'no_list_price' as reason,
        priced.source_file,
        priced.file_row_number
    from priced
    where priced.has_no_list_price

),

final as (

    select * from quarantined
    union all
    select * from unpriced

)

select * from final
