{{ month_incremental_config() }}

{#- One row per organization, day, billing item and (uptime) cluster tier with rated usage of
    usage-based instances, for statements' charts: GiB written (data_ingress) and read
    (data_egress) that day, the average GiB retained over the day's 24 hours (data_retention),
    and billable hours per cluster tier (cluster_uptime). Quantities round6, half away from zero;
    the statement's monthly quantities are computed from the exact measures, not from these. -#}
with

hours as (

    select * from {{ ref('fct_usage_hourly') }}
    where pricing_mode = 'usage_based'
        and {{ in_affected_months('usage_month') }}

),

daily as (

    select
        hours.organization_id,
        hours.usage_month,
        cast(hours.hour_start as date) as usage_day,
        cast(sum(hours.ingress_bytes) as hugeint) as ingress_bytes,
        cast(sum(hours.egress_bytes) as hugeint) as egress_bytes,
        cast(sum(hours.retained_bytes) as hugeint) as retained_byte_hours
    from hours
    group by hours.organization_id, hours.usage_month, cast(hours.hour_start as date)

),

uptime as (

    select
        hours.organization_id,
        hours.usage_month,
        cast(hours.hour_start as date) as usage_day,
        hours.cluster_tier,
        count(*) as billable_hours
    from hours
    where hours.uptime_seconds > 0
    group by all

),

unpivoted as (

    select organization_id, usage_month, usage_day, 'data_ingress' as billing_item,
        cast(null as varchar) as cluster_tier, {{ bytes_to_gib_round6('ingress_bytes') }} as quantity
    from daily where ingress_bytes > 0
    union all
    select organization_id, usage_month, usage_day, 'data_egress', null,
        {{ bytes_to_gib_round6('egress_bytes') }}
    from daily where egress_bytes > 0
    union all
    select organization_id, usage_month, usage_day, 'data_retention', null,
        {{ ratio_round6('retained_byte_hours', '25769803776') }}
    from daily where retained_byte_hours > 0
    union all
    select organization_id, usage_month, usage_day, 'cluster_uptime', cluster_tier,
        cast(billable_hours as decimal(38, 6))
    from uptime

),

final as (

    select
        unpivoted.organization_id,
        unpivoted.usage_month,
        unpivoted.usage_day,
        unpivoted.billing_item,
        unpivoted.cluster_tier,
        cast(unpivoted.quantity as decimal(38, 6)) as quantity,
        case unpivoted.billing_item
            when 'data_retention' then 'GiB'
            when 'cluster_uptime' then 'hour'
            else 'GiB'
        end as unit
    from unpivoted

)

select * from final
