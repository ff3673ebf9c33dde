{#- One row per landed marketplace_metering row, nothing filtered (SPEC 9.1): one BatchMeterUsage
    result (a record sent, or one retry of it) with its usage month, the first day of the UTC
    month of usage_hour. -#}
with

source as (

    select * from {{ source('aws_marketplace', 'marketplace_metering') }}

),

renamed as (

    select
        source.product_code,
        source.customer_aws_account_id,
        source.dimension,
        source.usage_hour,
        {{ utc_month('source.usage_hour') }} as usage_month,
        source.quantity,
        source.status,
        source.metering_record_id,
        source.submitted_at,
        source.source_file,
        source.file_row_number,
        source.load_id
    from source

),

final as (

    select * from renamed

)

select * from final
