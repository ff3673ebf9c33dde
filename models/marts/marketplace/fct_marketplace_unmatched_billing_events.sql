{#- One row per billing event that no organization's reconciliation counts (SPEC 9.3: billing
    events are never dropped). The rules (unknown customer or product, conflicting rows):
    int_marketplace_billing_events_unmatched. A table rebuilt whole by every build. -#}
with

unmatched as (

    select * from {{ ref('int_marketplace_billing_events_unmatched') }}

),

final as (

    select
        unmatched.usage_month,
        unmatched.billing_event_id,
        unmatched.end_user_account_id,
        unmatched.product_id,
        unmatched.action,
        unmatched.transaction_type,
        unmatched.amount,
        unmatched.currency,
        unmatched.update_date,
        unmatched.source_file,
        unmatched.file_row_number,
        unmatched.cause
    from unmatched

)

select * from final
