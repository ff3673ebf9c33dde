{#- One row per landed row of AWS's seller data feed, every version of every billing event as
    delivered (SPEC 9.1): renamed and cast, nothing filtered. Empty strings of the CSV are
    nulls. usage_month is the first day of the UTC month of usage_period_start_date: the month
    the event bills. -#}
with

source as (

    select * from {{ source('aws_marketplace', 'marketplace_billing_events') }}

),

renamed as (

    select
        source.billing_event_id,
        nullif(source.from_account_id, '') as from_account_id,
        nullif(source.to_account_id, '') as to_account_id,
        nullif(source.end_user_account_id, '') as end_user_account_id,
        nullif(source.product_id, '') as product_id,
        nullif(source.action, '') as action,
        nullif(source.transaction_type, '') as transaction_type,
        nullif(source.parent_billing_event_id, '') as parent_billing_event_id,
        nullif(source.disbursement_billing_event_id, '') as disbursement_billing_event_id,
        cast(source.amount as decimal(38, 6)) as amount,
        nullif(source.currency, '') as currency,
        source.balance_impacting,
        source.invoice_date,
        source.payment_due_date,
        source.usage_period_start_date,
        source.usage_period_end_date,
        {{ utc_month('source.usage_period_start_date') }}
            as usage_month,
        nullif(source.invoice_id, '') as invoice_id,
        nullif(source.transaction_reference_id, '') as transaction_reference_id,
        source.update_date,
        source.delete_date,
        source.source_file,
        source.file_row_number,
        source.load_id
    from source

),

final as (

    select * from renamed

)

select * from final
