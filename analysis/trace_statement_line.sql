-- Trace one organization's usage charge back to the rated rows that made it.
-- Usage: dbt compile --select trace_statement_line --vars '{organization_id: org-..., month: 2026-10-01, billing_item: data_ingress}'
-- then run the compiled SQL (target/compiled/...) in DuckDB against the warehouse.
{% set organization_id = var('organization_id', 'org-00000000') %}
{% set month = var('month', '2026-10-01') %}
{% set billing_item = var('billing_item', 'data_ingress') %}
{% set meter = {
    'data_ingress': 'ingress_bytes',
    'data_egress': 'egress_bytes',
    'data_retention': 'retained_bytes',
    'cluster_uptime': 'uptime_seconds',
}[billing_item] %}

with

lines as (

    select * from {{ ref('fct_statement_lines') }}
    where organization_id = '{{ organization_id }}'
        and statement_month = date '{{ month }}'
        and billing_item = '{{ billing_item }}'

),

instances as (

    select * from {{ ref('fct_instance_usage_monthly') }}
    where organization_id = '{{ organization_id }}'
        and usage_month = date '{{ month }}'
        and billing_item = '{{ billing_item }}'

),

rated_rows as (

    select
        instance_id,
        count(*) as rated_rows,
        sum(quantity) as rated_quantity,
        count(distinct source_file) as files
    from {{ ref('int_usage_events_classified') }}
    where organization_id = '{{ organization_id }}'
        and usage_month = date '{{ month }}'
        and meter = '{{ meter }}'
        and outcome = 'rated'
        and pricing_mode = 'usage_based'
    group by instance_id

)

select
    'line' as level, null as instance_id, tier, cluster_tier, quantity, unit_price, amount,
    null as measure, null as rated_rows
from lines
union all
select
    'instance', instances.instance_id, null, null, instances.quantity, null,
    instances.allocated_amount, instances.measure, rated_rows.rated_rows
from instances
left join rated_rows on instances.instance_id = rated_rows.instance_id
order by level desc, instance_id, tier, cluster_tier
