{#- One row per landed marketplace_customers row, nothing filtered (SPEC 9.1): which AWS customer
    account belongs to which organization, and when the organization was subscribed through it
    (subscribed_at <= h < unsubscribed_at; unsubscribed_at null = still subscribed). -#}
with

source as (

    select * from {{ source('aws_marketplace', 'marketplace_customers') }}

),

renamed as (

    select
        source.organization_id,
        source.product_code,
        source.customer_aws_account_id,
        source.subscribed_at,
        source.unsubscribed_at,
        source.source_file,
        source.file_row_number,
        source.load_id
    from source

),

final as (

    select * from renamed

)

select * from final
