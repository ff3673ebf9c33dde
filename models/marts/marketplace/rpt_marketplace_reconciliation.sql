{{ month_incremental_config(repriced=true) }}

{#- One row per organization and month tying the statement's usage to AWS's invoice (SPEC 9.4):
    statement_usage_amount = invoiced_amount + rating_variance + metering_variance
    + invoicing_variance. The rules (statement amounts and the correction window, metered
    amounts, billing events, status): int_marketplace_usage_reconciled. Built by month (the
    months a build reprices): a month's row is as of the last close or reconcile of that
    month. -#}
with

reconciled as (

    select * from {{ ref('int_marketplace_usage_reconciled') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

final as (

    select
        reconciled.usage_month,
        reconciled.organization_id,
        reconciled.product_code,
        reconciled.customer_aws_account_id,
        reconciled.statement_usage_amount,
        reconciled.issued_usage_amount,
        reconciled.expected_metered_amount,
        reconciled.accepted_metered_amount,
        reconciled.invoiced_amount,
        reconciled.refunded_amount,
        reconciled.listing_fee_amount,
        reconciled.seller_net_amount,
        reconciled.disbursed_amount,
        reconciled.rating_variance,
        reconciled.metering_variance,
        reconciled.invoicing_variance,
        reconciled.status
    from reconciled

)

select * from final
