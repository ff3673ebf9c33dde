-- A measurement (instance_id, hour_start, meter) has at most one rated row.
select
    instance_id,
    hour_start,
    meter,
    count(*) as rated_rows
from {{ ref('int_usage_events_classified') }}
where outcome = 'rated'
group by instance_id, hour_start, meter
having count(*) > 1
