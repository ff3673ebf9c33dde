{#- One row per Marketplace subscription: an AWS customer account, the organization it belongs
    to, the product and the interval [subscribed_at, unsubscribed_at) (null = still subscribed)
    in which the organization is subscribed through it (SPEC 9.1). Rows of
    marketplace_customers describing the same subscription (account, organization, product,
    subscribed_at), e.g. an export repeated after the customer unsubscribed, are one
    subscription, and one covering row is enough (SPEC 9.1: subscribed in h when one of its
    rows has subscribed_at <= h < unsubscribed_at): the rows share their start, so the
    subscription ends at the latest unsubscribed_at given for it, and it is open when any of
    its rows is open (null unsubscribed_at).
    account_organization_count is the number of organizations the account is mapped to: an
    account belongs to one organization, and a test refuses any other count. -#}
with

customers as (

    select * from {{ ref('stg_aws_marketplace__customers') }}

),

subscriptions as (

    select
        customers.customer_aws_account_id,
        customers.organization_id,
        customers.product_code,
        customers.subscribed_at,
        case
            when count(*) filter (where customers.unsubscribed_at is null) = 0
                then max(customers.unsubscribed_at)
        end as unsubscribed_at,
        count(*) as customer_rows
    from customers
    group by
        customers.customer_aws_account_id,
        customers.organization_id,
        customers.product_code,
        customers.subscribed_at

),

final as (

    select
        subscriptions.*,
        {{ count_distinct_over(
            'subscriptions.organization_id',
            '(partition by subscriptions.customer_aws_account_id)'
        ) }} as account_organization_count
    from subscriptions

)

select * from final
