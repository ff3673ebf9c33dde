{#- One row per quarantined licence row, with its reason and source file. The product secret is
    only present as its sha256. -#}
with

licenses as (

    select * from {{ ref('int_licenses_validated') }}

),

final as (

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
        licenses.source_file
    from licenses
    where licenses.outcome = 'quarantined'

)

select * from final
