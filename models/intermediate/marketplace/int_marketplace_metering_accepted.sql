{{ month_incremental_config(repriced=true) }}

{#- One row per product, customer account, dimension and hour with at least one metering row
    (SPEC 9.1): the quantity AWS accepted, that of the earliest `Success` row by submitted_at
    (ties: the smallest metering_record_id, then source_file and file_row_number), 0 without
    one. A later Success for the same key (a resend) and DuplicateRecord answers are not
    honoured; a rejected batch that was retried is accepted by its retry. The status of the
    earliest row of all (same order) is the key's first_status. Month-level incremental, like
    the Marketplace marts that read it: a build rewrites the months it reprices, so metering
    results that land later count from the next close or reconcile of their month. -#}
with

metering as (

    select * from {{ ref('stg_aws_marketplace__metering_records') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

accepted as (

    select
        metering.product_code,
        metering.customer_aws_account_id,
        metering.dimension,
        metering.usage_hour,
        metering.usage_month,
        cast(coalesce(
            arg_min(
                metering.quantity,
                {
                    submitted_at: metering.submitted_at,
                    metering_record_id: metering.metering_record_id,
                    source_file: metering.source_file,
                    file_row_number: metering.file_row_number,
                }
            ) filter (where metering.status = 'Success'),
            0
        ) as bigint) as accepted_quantity,
        min(metering.submitted_at) filter (where metering.status = 'Success')
            as accepted_submitted_at,
        arg_min(
            metering.status,
            {
                submitted_at: metering.submitted_at,
                metering_record_id: metering.metering_record_id,
                source_file: metering.source_file,
                file_row_number: metering.file_row_number,
            }
        ) as first_status,
        min(metering.submitted_at) as first_submitted_at,
        coalesce(bool_or(metering.status = 'Success'), false) as has_success,
        count(*) as metering_rows
    from metering
    group by
        metering.product_code,
        metering.customer_aws_account_id,
        metering.dimension,
        metering.usage_hour,
        metering.usage_month

),

final as (

    select * from accepted

)

select * from final
