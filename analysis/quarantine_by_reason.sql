-- What was quarantined, per month, reason and source file: the list to send back to whoever
-- produces the exports. Rows without a month (null hour_start) come first.
select
    usage_month,
    reason,
    source_file,
    count(*) as rows,
    sum(quantity) as quantity,
    min(hour_start) as first_hour,
    max(hour_start) as last_hour
from {{ ref('fct_usage_quarantine') }}
group by usage_month, reason, source_file
order by usage_month nulls first, reason, source_file
