{{ month_incremental_config() }}

{#- One row per organization, day, billing item and (uptime) cluster tier with rated usage of
    usage-based instances, for statements' charts: GiB written (data_ingress) and read
    (data_egress) that day, the average GiB retained over the day's 24 hours (data_retention),
    and billable hours per cluster tier (cluster_uptime). Quantities round6, half away from zero;
    the statement's monthly quantities are computed from the exact measures, not from these. -#}
with

hours as (

    select * from {{ ref('fct_usage_hourly') }} as usage_hourly
    where usage_hourly.pricing_mode = 'usage_based'
        and {{ in_affected_months('usage_hourly.usage_month') }}

),

daily as (

    select
        hours.organization_id,
        hours.usage_month,
        cast(hours.hour_start as date) as usage_day,
        cast({{ wide_sum('hours.ingress_bytes') }} as {{ wide_int() }}) as ingress_bytes,
        cast({{ wide_sum('hours.egress_bytes') }} as {{ wide_int() }}) as egress_bytes,
        cast({{ wide_sum('hours.retained_bytes') }} as {{ wide_int() }}) as retained_byte_hours
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

    select
        daily.organization_id,
        daily.usage_month,
        daily.usage_day,
        'data_ingress' as billing_item,
        cast(null as string) as cluster_tier,
        {{ bytes_to_gib_round6('daily.ingress_bytes') }} as quantity
    from daily
    where daily.ingress_bytes > 0
    union all
    select
        daily.organization_id,
        daily.usage_month,
        daily.usage_day,
        'data_egress' as billing_item,
        null as cluster_tier,
        {{ bytes_to_gib_round6('daily.egress_bytes') }} as quantity
    from daily
    where daily.egress_bytes > 0
    union all
    select
        daily.organization_id,
        daily.usage_month,
        daily.usage_day,
        'data_retention' as billing_item,
        null as cluster_tier,
        {{ ratio_round6('daily.retained_byte_hours', '25769803776') }} as quantity
    from daily
    where daily.retained_byte_hours > 0
    union all
    select
        uptime.organization_id,
        uptime.usage_month,
        uptime.usage_day,
        'cluster_uptime' as billing_item,
        uptime.cluster_tier,
        cast(uptime.billable_hours as decimal(38, 6)) as quantity
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
