{{ month_incremental_config(repriced=true) }}

{#- One row per organization, listing dimension and hour with a positive expected quantity: the
    metering record AutoMQ should have sent AWS Marketplace (SPEC 9.2). The rule and its exact
    integer arithmetic: int_marketplace_metering_expected. -#}
with

expected as (

    select * from {{ ref('int_marketplace_metering_expected') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

final as (

    select
        expected.organization_id,
        expected.usage_month,
        expected.product_code,
        expected.dimension,
        expected.usage_hour,
        expected.quantity,
        expected.price_per_unit
    from expected

)

select * from final
