{#- One row per landed billing-profile row, nothing filtered (SPEC 12.1). -#}
with

source as (

    select * from {{ source('usage_exports', 'organization_profiles') }}

),

renamed as (

    select
        source.organization_id,
        source.legal_name,
        source.billing_address,
        source.country,
        source.tax_id,
        source.billing_email,
        source.payment_terms_days,
        source.purchase_order,
        source.valid_from,
        source.source_file,
        source.file_row_number
    from source

),

final as (

    select * from renamed

)

select * from final
