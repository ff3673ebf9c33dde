-- Each valid licence's revenue schedule sums exactly to its amount and covers every day of its
-- term once.
with

schedule as (

    select
        revenue_schedule.license_id,
        sum(revenue_schedule.recognized_amount) as recognized_amount,
        sum(revenue_schedule.days_in_month) as scheduled_days
    from {{ ref('fct_license_revenue_schedule') }} as revenue_schedule
    group by revenue_schedule.license_id

)

select
    licenses.license_id,
    licenses.amount,
    schedule.recognized_amount,
    licenses.term_days,
    schedule.scheduled_days
from {{ ref('dim_licenses') }} as licenses
left join schedule on licenses.license_id = schedule.license_id
where schedule.recognized_amount is distinct from licenses.amount
    or schedule.scheduled_days is distinct from licenses.term_days
