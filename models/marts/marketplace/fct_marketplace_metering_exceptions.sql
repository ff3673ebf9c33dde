{{ month_incremental_config(repriced=true) }}

{#- One row per metering exception of a month (SPEC 9.3): an organization's dimension and hour
    whose expected and accepted quantities differ, or metering rows of an unknown customer or
    an unlisted dimension. The rules (causes, accounts, statuses):
    int_marketplace_metering_compared. -#}
with

compared as (

    select * from {{ ref('int_marketplace_metering_compared') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

final as (

    select
        compared.organization_id,
        compared.product_code,
        compared.customer_aws_account_id,
        compared.dimension,
        compared.usage_hour,
        compared.usage_month,
        compared.expected_quantity,
        compared.accepted_quantity,
        compared.quantity_difference,
        compared.price_per_unit,
        compared.amount_difference,
        compared.status,
        compared.cause
    from compared

)

select * from final
