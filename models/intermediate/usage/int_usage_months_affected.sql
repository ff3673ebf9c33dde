{{ config(materialized='table') }}

{#- One row per usage month (null: rows without hour_start) whose month-level models this build
    rewrites: the months of the pending rows and of every row whose event id or measurement it
    re-resolved. -#}
with

validated as (

    select * from {{ ref('int_usage_events_validated') }}

),

pending_loads as (

    select * from {{ ref('int_usage_loads_pending') }}

),

affected_event_ids as (

    select * from {{ ref('int_usage_event_ids_affected') }}

),

pending_months as (

    select distinct validated.usage_month
    from validated
    semi join pending_loads
        on validated.load_id = pending_loads.load_id

),

regrouped_months as (

    select distinct validated.usage_month
    from validated
    semi join affected_event_ids
        on validated.event_id = affected_event_ids.event_id
    where validated.validation_failure is null

),

final as (

    select pending_months.usage_month from pending_months
    union
    select regrouped_months.usage_month from regrouped_months

)

select * from final
