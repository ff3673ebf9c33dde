{{ month_incremental_config() }}

{#- One row per instance and hour with rated usage: the rated measurement of each meter as a
    column (0 when the meter has no rated row that hour). Attributes are the instance's as
    exported that hour; cluster_tier is the tier of the uptime row (the one uptime is billed at). -#}
with

rated as (

    select * from {{ ref('int_usage_events_classified') }} as classified
    where classified.outcome = 'rated'
        and {{ in_affected_months('classified.usage_month') }}

),

pivoted as (

    select
        rated.instance_id,
        rated.hour_start,
        rated.usage_month,
        max(rated.organization_id) as organization_id,
        max(rated.environment_id) as environment_id,
        max(rated.cloud_provider) as cloud_provider,
        max(rated.region) as region,
        max(rated.pricing_mode) as pricing_mode,
        coalesce(
            max(rated.cluster_tier) filter (where rated.meter = 'uptime_seconds'),
            max(rated.cluster_tier)
        ) as cluster_tier,
        {%- for meter in var('usage_meters') %}
        cast(
            coalesce({{ wide_sum('rated.quantity') }} filter (where rated.meter = '{{ meter }}'), 0)
            as bigint
        ) as {{ meter }},
        {%- endfor %}
        count(*) as rated_measurements,
        {#- meters with a rated row (a sum of flags costs a third less than count(distinct)) #}
        cast(
            {%- for meter in var('usage_meters') %}
            cast(count(*) filter (where rated.meter = '{{ meter }}') > 0 as integer)
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
            as bigint
        ) as rated_meters
    from rated
    group by rated.instance_id, rated.hour_start, rated.usage_month

),

final as (

    select * from pivoted

)

select * from final
