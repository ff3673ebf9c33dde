-- Trace one organization's usage charge back to the rated rows that made it.
-- Usage: dbt compile --select trace_statement_line --vars '{organization_id: org-..., month: 2026-10-01, billing_item: data_ingress}'
-- then run the compiled SQL (target/compiled/...) in DuckDB against the warehouse.
-- The vars become SQL string literals with their quotes doubled, so any id is read as text.
{% set organization_id = var('organization_id', 'org-00000000') | string | replace("'", "''") %}
{% set month = month_var('2026-10-01') %}
{% set billing_item = var('billing_item', 'data_ingress') %}
{% set meters = {
    'data_ingress': 'ingress_bytes',
    'data_egress': 'egress_bytes',
    'data_retention': 'retained_bytes',
    'cluster_uptime': 'uptime_seconds',
} %}
{% if billing_item not in meters %}
    {{ exceptions.raise_compiler_error(
        "billing_item must be one of " ~ (meters.keys() | list | join(', ')) ~ "; got "
        ~ billing_item
    ) }}
{% endif %}
{% set meter = meters[billing_item] %}

with

lines as (

    select * from {{ ref('fct_statement_lines') }} as statement_lines
    where statement_lines.organization_id = '{{ organization_id }}'
        and statement_lines.statement_month = {{ month }}
        and statement_lines.billing_item = '{{ billing_item }}'

),

instances as (

    select * from {{ ref('fct_instance_usage_monthly') }} as instance_usage
    where instance_usage.organization_id = '{{ organization_id }}'
        and instance_usage.usage_month = {{ month }}
        and instance_usage.billing_item = '{{ billing_item }}'

),

rated_rows as (

    select
        classified.instance_id,
        count(*) as rated_rows,
        sum(classified.quantity) as rated_quantity,
        count(distinct classified.source_file) as files
    from {{ ref('int_usage_events_classified') }} as classified
    where classified.organization_id = '{{ organization_id }}'
        and classified.usage_month = {{ month }}
        and classified.meter = '{{ meter }}'
        and classified.outcome = 'rated'
        and classified.pricing_mode = 'usage_based'
    group by classified.instance_id

),

traced as (

    select
        'line' as level,
        null as instance_id,
        lines.tier,
        lines.cluster_tier,
        lines.quantity,
        lines.unit_price,
        lines.amount,
        null as measure,
        null as rated_rows
    from lines
    union all
    select
        'instance' as level,
        instances.instance_id,
        null as tier,
        null as cluster_tier,
        instances.quantity,
        null as unit_price,
        instances.allocated_amount as amount,
        instances.measure,
        rated_rows.rated_rows
    from instances
    left join rated_rows on instances.instance_id = rated_rows.instance_id

),

final as (

    select * from traced

)

select * from final
order by final.level desc, final.instance_id asc, final.tier asc, final.cluster_tier asc
