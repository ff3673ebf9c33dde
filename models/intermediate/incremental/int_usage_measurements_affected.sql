{{ config(materialized='table') }}

{#- One row per measurement (instance_id, hour_start, meter) this build re-resolves: those of
    the valid rows whose event id it re-resolved (their rows may have become, or stopped being,
    candidates), which include the measurements of every valid pending row. Empty on a full
    refresh, which re-resolves every measurement. -#}

-- depends_on: {{ ref('int_usage_months_affected') }}

with

validated as (

    select * from {{ ref('int_usage_events_validated') }} as validated_events
    where validated_events.validation_failure is null
        and {{ in_affected_months('validated_events.usage_month', always=true) }}
        and not {{ is_full_refresh() }}

),

affected_event_ids as (

    select * from {{ ref('int_usage_event_ids_affected') }}

),

final as (

    select distinct
        validated.instance_id,
        validated.hour_start,
        validated.meter,
        validated.usage_month
    from validated
    semi join affected_event_ids
        on validated.event_id = affected_event_ids.event_id

)

select * from final
