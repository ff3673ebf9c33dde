{{ month_incremental_config(repriced=true) }}

{#- One row per organization, usage month, hour and billing item (and, for cluster_uptime, cluster
    tier) in which the organization's usage-based instances added to the item (SPEC 9.2): the
    hour's measure and the measure cumulated from the start of the month to the end of the hour,
    as exact integers, never rounded. The quantity in the item's unit is
    measure / measure_per_unit:
    - data_ingress / data_egress: bytes, 2^30 per GiB;
    - data_retention: byte-hours (the sum of the hourly retained_bytes), 2^30 x H(M) per
      GiB-month, so an hour adds retained_bytes / 2^30 / H(M) GiB-month;
    - cluster_uptime: billable instance-hours (uptime_seconds > 0) at the row's cluster tier, 1
      per hour.
    Hours that add nothing to an item are left out: the cumulative quantity of such an hour is
    the previous row's, and the measure before an hour is cumulative_measure - hour_measure. -#}
with

hours as (

    select * from {{ ref('fct_usage_hourly') }}
    where pricing_mode = 'usage_based'
        and {{ in_affected_months('usage_month', repriced=true) }}

),

organization_hours as (

    select
        hours.organization_id,
        hours.usage_month,
        hours.hour_start as usage_hour,
        cast(sum(hours.ingress_bytes) as hugeint) as ingress_bytes,
        cast(sum(hours.egress_bytes) as hugeint) as egress_bytes,
        cast(sum(hours.retained_bytes) as hugeint) as retained_bytes,
        {%- for cluster_tier in var('cluster_tiers') %}
        cast(count(*) filter (
            where hours.uptime_seconds > 0 and hours.cluster_tier = '{{ cluster_tier }}'
        ) as hugeint) as billable_hours_{{ cluster_tier }}{{ ',' if not loop.last }}
        {%- endfor %}
    from hours
    group by hours.organization_id, hours.usage_month, hours.hour_start

),

unpivoted as (

    select
        organization_hours.organization_id,
        organization_hours.usage_month,
        organization_hours.usage_hour,
        unnest([
            {billing_item: 'data_ingress', cluster_tier: null::varchar, hour_measure: organization_hours.ingress_bytes},
            {billing_item: 'data_egress', cluster_tier: null::varchar, hour_measure: organization_hours.egress_bytes},
            {billing_item: 'data_retention', cluster_tier: null::varchar, hour_measure: organization_hours.retained_bytes},
            {%- for cluster_tier in var('cluster_tiers') %}
            {billing_item: 'cluster_uptime', cluster_tier: '{{ cluster_tier }}', hour_measure: organization_hours.billable_hours_{{ cluster_tier }}}{{ ',' if not loop.last }}
            {%- endfor %}
        ]) as measured
    from organization_hours

),

increments as (

    select
        unpivoted.organization_id,
        unpivoted.usage_month,
        unpivoted.usage_hour,
        unpivoted.measured.billing_item as billing_item,
        unpivoted.measured.cluster_tier as cluster_tier,
        unpivoted.measured.hour_measure as hour_measure
    from unpivoted
    where unpivoted.measured.hour_measure > 0

),

cumulated as (

    select
        increments.organization_id,
        increments.usage_month,
        increments.usage_hour,
        increments.billing_item,
        increments.cluster_tier,
        increments.hour_measure,
        sum(increments.hour_measure) over (
            partition by
                increments.organization_id,
                increments.usage_month,
                increments.billing_item,
                increments.cluster_tier
            order by increments.usage_hour
            rows between unbounded preceding and current row
        ) as cumulative_measure
    from increments

),

final as (

    select
        cumulated.organization_id,
        cumulated.usage_month,
        cumulated.usage_hour,
        cumulated.billing_item,
        cumulated.cluster_tier,
        cast(cumulated.hour_measure as hugeint) as hour_measure,
        cast(cumulated.cumulative_measure as hugeint) as cumulative_measure,
        cast(case cumulated.billing_item
            when 'data_retention' then 1073741824 * {{ hours_in_month('cumulated.usage_month') }}
            when 'cluster_uptime' then 1
            else 1073741824
        end as bigint) as measure_per_unit
    from cumulated

)

select * from final
