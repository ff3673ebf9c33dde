{#- One row per billing event that no organization's reconciliation counts (SPEC 9.3: billing
    events are never dropped; rules in the doc block marketplace_rules):
    - a current INVOICED event whose end_user_account_id is in no marketplace_customers row
      (`unknown_customer`), or whose product_id is not the product_id of the listing in force
      for its month (`unknown_product`); unknown_customer wins when both apply;
    - every row of an event whose rows sharing its latest update_date differ in content
      (`conflicting_event`, one row per landed row: neither counts).
    usage_month is the month the row bills (null when usage_period_start_date is null: such an
    event belongs to no month, and every close and reconciliation lists it). A view read by
    fct_marketplace_unmatched_billing_events, a table rebuilt whole by every build (the feed is
    small). -#}
with

current_events as (

    select * from {{ ref('stg_aws_marketplace__billing_events') }}

),

event_rows as (

    select * from {{ ref('stg_aws_marketplace__billing_event_rows') }}

),

customers as (

    select * from {{ ref('stg_aws_marketplace__customers') }}

),

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

accounts as (

    select distinct customers.customer_aws_account_id
    from customers
    where customers.customer_aws_account_id is not null

),

listings as (

    select distinct
        dimensions.effective_from,
        dimensions.effective_to,
        dimensions.product_id
    from dimensions

),

invoiced as (

    select
        current_events.*,
        accounts.customer_aws_account_id is not null as is_known_customer,
        listings.product_id is not null as is_listed_product
    from current_events
    left join accounts
        on current_events.end_user_account_id = accounts.customer_aws_account_id
    left join listings
        on current_events.product_id = listings.product_id
        and {{ in_force('listings', 'current_events.usage_month') }}
    where current_events.action = 'INVOICED'
        and not current_events.is_conflicting

),

unmatched as (

    select
        invoiced.usage_month,
        invoiced.billing_event_id,
        invoiced.end_user_account_id,
        invoiced.product_id,
        invoiced.action,
        invoiced.transaction_type,
        invoiced.amount,
        invoiced.currency,
        invoiced.update_date,
        invoiced.source_file,
        invoiced.file_row_number,
        case
            when not invoiced.is_known_customer then 'unknown_customer'
            else 'unknown_product'
        end as cause
    from invoiced
    where not invoiced.is_known_customer
        or not invoiced.is_listed_product

),

conflicting as (

    select
        event_rows.usage_month,
        event_rows.billing_event_id,
        event_rows.end_user_account_id,
        event_rows.product_id,
        event_rows.action,
        event_rows.transaction_type,
        event_rows.amount,
        event_rows.currency,
        event_rows.update_date,
        event_rows.source_file,
        event_rows.file_row_number,
        'conflicting_event' as cause
    from event_rows
    inner join current_events
        on event_rows.billing_event_id = current_events.billing_event_id
        and event_rows.update_date is not distinct from current_events.update_date
    where current_events.is_conflicting

),

listed as (

    select * from unmatched
    union all
    select * from conflicting

),

final as (

    select
        cast(listed.usage_month as date) as usage_month,
        cast(listed.billing_event_id as string) as billing_event_id,
        cast(listed.end_user_account_id as string) as end_user_account_id,
        cast(listed.product_id as string) as product_id,
        cast(listed.action as string) as action,
        cast(listed.transaction_type as string) as transaction_type,
        cast(listed.amount as decimal(38, 6)) as amount,
        cast(listed.currency as string) as currency,
        listed.update_date,
        cast(listed.source_file as string) as source_file,
        listed.file_row_number,
        cast(listed.cause as string) as cause
    from listed

)

select * from final
