{#- One row per effective_from: the seller AutoMQ's invoices name (SPEC 12.1), in force from
    effective_from to the next row's (`effective_to`, null for the latest). -#}
with

source as (

    select * from {{ ref('seller') }}

),

renamed as (

    select
        cast(source.effective_from as date) as effective_from,
        cast(source.legal_name as varchar(200)) as legal_name,
        cast(source.address_line_1 as varchar(200)) as address_line_1,
        cast(source.address_line_2 as varchar(200)) as address_line_2,
        cast(source.address_line_3 as varchar(200)) as address_line_3,
        cast(source.country as varchar(2)) as country,
        cast(source.tax_id as varchar(64)) as tax_id,
        cast(source.billing_email as varchar(200)) as billing_email,
        cast(source.remittance as varchar(1000)) as remittance
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from') }} as effective_to
    from renamed

)

select * from final
