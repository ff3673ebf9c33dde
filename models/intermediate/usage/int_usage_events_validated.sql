{{ keyed_incremental_config('int_usage_loads_pending', ['load_id']) }}

{#- One row per landed usage row, with the first validation rule it breaks (SPEC 1.1 record
    validation, in the specified order), or null when it breaks none. The rules are row-local,
    so each row is validated once: an incremental build (re)writes the rows of the pending loads,
    and every model below reads this table instead of evaluating the rules again. -#}

-- depends_on: {{ ref('int_usage_loads_pending') }}

with

staged as (

    select * from {{ ref('stg_usage_exports__usage_events') }}

),

usage_events as (

    select staged.*
    from staged
    {%- if is_incremental() %}
    where {{ in_pending_loads('staged.load_id') }}
    {%- endif %}

),

validated as (

    select
        usage_events.*,
        case
            when usage_events.event_id is null
                or usage_events.organization_id is null
                or usage_events.environment_id is null
                or usage_events.instance_id is null
                or usage_events.cloud_provider is null
                or usage_events.region is null
                or usage_events.pricing_mode is null
                or usage_events.meter is null
                or usage_events.hour_start is null
                or usage_events.quantity is null
                or usage_events.emitted_at is null
                or (
                    usage_events.cluster_tier is null
                    and usage_events.pricing_mode = 'usage_based'
                    and usage_events.meter = 'uptime_seconds'
                )
                then 'missing_field'
            when not {{ is_valid_id('usage_events.event_id') }}
                or not {{ is_valid_id('usage_events.organization_id') }}
                or not {{ is_valid_id('usage_events.environment_id') }}
                or not {{ is_valid_id('usage_events.instance_id') }}
                then 'invalid_id'
            when usage_events.meter not in {{ sql_list(var('usage_meters')) }}
                then 'unknown_meter'
            when usage_events.pricing_mode not in {{ sql_list(var('pricing_modes')) }}
                then 'unknown_pricing_mode'
            when usage_events.cluster_tier is not null
                and usage_events.cluster_tier not in {{ sql_list(var('cluster_tiers')) }}
                then 'unknown_cluster_tier'
            when usage_events.quantity < 0
                then 'negative_quantity'
            when usage_events.hour_start != date_trunc('hour', usage_events.hour_start)
                then 'misaligned_hour'
            when usage_events.meter = 'uptime_seconds' and usage_events.quantity > 3600
                then 'uptime_out_of_range'
            when usage_events.hour_start > usage_events.emitted_at
                then 'future_hour'
        end as validation_failure
    from usage_events

),

final as (

    select * from validated

)

select * from final
