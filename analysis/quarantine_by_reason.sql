-- What was quarantined, per month, reason and source file: the list to send back to whoever
-- produces the exports. Rows without a month (null hour_start) come first.
select
    quarantine.usage_month,
    quarantine.reason,
    quarantine.source_file,
    count(*) as rows,
    sum(quarantine.quantity) as quantity,
    min(quarantine.hour_start) as first_hour,
    max(quarantine.hour_start) as last_hour
from {{ ref('fct_usage_quarantine') }} as quarantine
group by quarantine.usage_month, quarantine.reason, quarantine.source_file
order by quarantine.usage_month nulls first, quarantine.reason, quarantine.source_file
