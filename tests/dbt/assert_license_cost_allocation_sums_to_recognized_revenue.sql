-- The chargeback pieces of a licence-month sum exactly to the revenue it recognises that month.
with

pieces as (

    select
        cost_allocation.license_id,
        cost_allocation.revenue_month,
        sum(cost_allocation.allocated_amount) as allocated_amount
    from {{ ref('fct_license_cost_allocation') }} as cost_allocation
    group by cost_allocation.license_id, cost_allocation.revenue_month

)

select
    schedule.license_id,
    schedule.revenue_month,
    schedule.recognized_amount,
    pieces.allocated_amount
from {{ ref('fct_license_revenue_schedule') }} as schedule
full outer join pieces
    on schedule.license_id = pieces.license_id
    and schedule.revenue_month = pieces.revenue_month
where schedule.recognized_amount is distinct from pieces.allocated_amount
