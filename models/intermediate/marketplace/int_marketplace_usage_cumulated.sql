{{ month_incremental_config(repriced=true) }}

{%- set measures = ['ingress_bytes', 'egress_bytes', 'retained_bytes'] -%}
{%- for cluster_tier in var('cluster_tiers') -%}
{%- do measures.append('billable_hours_' ~ cluster_tier) -%}
{%- endfor %}

{#- One row per organization, usage month and hour with rated usage-based measurements (SPEC
    9.2), with, for every billing item, the exact integer measure the hour adds and the
    measure cumulated from the start of the month to the end of the hour (never rounded):
    - ingress_bytes / egress_bytes (data_ingress / data_egress): bytes; 2^30 make a GiB;
    - retained_bytes (data_retention): byte-hours, the sum of the hourly retained_bytes;
      2^30 x H(M) make a GiB-month, so an hour adds retained_bytes / 2^30 / H(M) GiB-month;
    - billable_hours_<cluster tier> (cluster_uptime): instance-hours with uptime_seconds > 0 at
      that cluster tier (the tier of the uptime measurement); 1 makes an hour.
    Every measurement counts for its own organization and pricing mode, as in SPEC 3
    (int_usage_measures_aggregated), not for the instance-hour's: when the meters of one
    instance-hour name different organizations, each organization meters its own.
    The measure before an hour is cumulative_<measure> - <measure>. One row per organization
    and hour, items as columns: the running sums are one window pass per organization, and
    the table is a sixth of the rows an item-per-row layout would write. -#}
with

rated as (

    select * from {{ ref('int_usage_events_classified') }} as classified
    where classified.outcome = 'rated'
        and classified.pricing_mode = 'usage_based'
        and classified.meter in {{ sql_list(var('meter_billing_items').keys() | list) }}
        and {{ in_affected_months('classified.usage_month', repriced=true) }}

),

organization_hours as (

    select
        rated.organization_id,
        rated.usage_month,
        rated.hour_start as usage_hour,
        {%- for meter in ['ingress_bytes', 'egress_bytes', 'retained_bytes'] %}
        cast(
            coalesce({{ wide_sum('rated.quantity') }} filter (where rated.meter = '{{ meter }}'), 0)
            as {{ wide_int() }}
        ) as {{ meter }},
        {%- endfor %}
        {%- for cluster_tier in var('cluster_tiers') %}
        cast(count(*) filter (
            where rated.meter = 'uptime_seconds'
            and rated.quantity > 0
            and rated.cluster_tier = '{{ cluster_tier }}'
        ) as {{ wide_int() }}) as billable_hours_{{ cluster_tier }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from rated
    group by rated.organization_id, rated.usage_month, rated.hour_start

),

cumulated as (

    -- sqlfluff loses the indent of a window function repeated by a Jinja loop:
    -- noqa: disable=LT02
    select
        organization_hours.*,
        {%- for measure in measures %}
        sum(organization_hours.{{ measure }}) over month_to_date as cumulative_{{ measure }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    -- noqa: enable=LT02
    from organization_hours
    window month_to_date as (
        partition by organization_hours.organization_id, organization_hours.usage_month
        order by organization_hours.usage_hour
        rows between unbounded preceding and current row
    )

),

final as (

    select
        cumulated.organization_id,
        cumulated.usage_month,
        cumulated.usage_hour,
        {%- for measure in measures %}
        cumulated.{{ measure }},
        cast(cumulated.cumulative_{{ measure }} as {{ wide_int() }}) as cumulative_{{ measure }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from cumulated

)

select * from final
