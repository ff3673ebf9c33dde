-- What was quarantined, per month, reason and source file: the list to send back to whoever
-- produces the exports. Rows without a month (null hour_start) come first.
with

quarantine as (

    select * from {{ ref('fct_usage_quarantine') }}

),

by_reason as (

    select
        quarantine.usage_month,
        quarantine.reason,
        quarantine.source_file,
        count(*) as rows,
        sum(quarantine.quantity) as quantity,
        min(quarantine.hour_start) as first_hour,
        max(quarantine.hour_start) as last_hour
    from quarantine
    group by quarantine.usage_month, quarantine.reason, quarantine.source_file

),

final as (

    select * from by_reason

)

select * from final
order by final.usage_month asc nulls first, final.reason asc, final.source_file asc
