{#- One row per product, customer account, dimension and hour with metering rows (the grain of
    int_marketplace_metering_accepted), attributed (SPEC 9.3): organization_id is the
    organization the account belongs to (null when the account is in no marketplace_customers
    row: is_known_customer false), is_listed says whether (product_code, dimension) is a
    dimension of the listing in force for the hour's month, and price_per_unit is its price
    (null when it is not); organization_account_count is the number of customer accounts of
    the organization. Only rows of a known customer and a listed dimension count in an
    organization's accepted quantity A; the others are `unknown_customer` / `unknown_dimension`
    exceptions. -#}
with

accepted as (

    select * from {{ ref('int_marketplace_metering_accepted') }}

),

subscriptions as (

    select * from {{ ref('int_marketplace_customer_subscriptions') }}

),

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

accounts as (

    select
        account_organizations.*,
        count(*) over (
            partition by account_organizations.organization_id
        ) as organization_account_count
    from (
        select distinct
            subscriptions.customer_aws_account_id,
            subscriptions.organization_id
        from subscriptions
    ) as account_organizations

),

attributed as (

    select
        accepted.*,
        accounts.organization_id,
        accounts.organization_account_count,
        accounts.customer_aws_account_id is not null as is_known_customer,
        dimensions.dimension is not null as is_listed,
        dimensions.price_per_unit
    from accepted
    left join accounts
        on accepted.customer_aws_account_id = accounts.customer_aws_account_id
    left join dimensions
        on accepted.product_code = dimensions.product_code
        and accepted.dimension = dimensions.dimension
        and {{ in_force('dimensions', 'accepted.usage_month') }}

),

final as (

    select * from attributed

)

select * from final
