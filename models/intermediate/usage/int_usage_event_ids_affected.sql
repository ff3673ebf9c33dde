{{ config(materialized='table') }}

{#- One row per event id of a valid pending row: the event-id groups this build re-resolves
    (a new row can turn a kept row into a duplicate or into an event_id_conflict). -#}
with

validated as (

    select * from {{ ref('int_usage_events_validated') }}

),

pending_loads as (

    select * from {{ ref('int_usage_loads_pending') }}

),

final as (

    select distinct validated.event_id
    from validated
    semi join pending_loads
        on validated.load_id = pending_loads.load_id
    where validated.validation_failure is null

)

select * from final
