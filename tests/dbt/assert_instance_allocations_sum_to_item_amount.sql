-- The instance shares of an organization's item sum exactly to the item's amount, and every
-- charged item is allocated.
with

allocations as (

    select
        instance_usage.organization_id,
        instance_usage.usage_month,
        instance_usage.billing_item,
        sum(instance_usage.allocated_amount) as allocated_amount
    from {{ ref('fct_instance_usage_monthly') }} as instance_usage
    group by instance_usage.organization_id, instance_usage.usage_month, instance_usage.billing_item

),

items as (

    select * from {{ ref('fct_usage_monthly') }}

)

select
    items.organization_id,
    items.usage_month,
    items.billing_item,
    items.amount,
    allocations.allocated_amount
from items
full outer join allocations
    on items.organization_id = allocations.organization_id
    and items.usage_month = allocations.usage_month
    and items.billing_item = allocations.billing_item
where coalesce(items.amount, 0) != coalesce(allocations.allocated_amount, 0)
