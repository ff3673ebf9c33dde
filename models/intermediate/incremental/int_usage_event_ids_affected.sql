{{ config(materialized='table') }}

{#- One row per event id of a valid pending row: the event-id groups this build re-resolves
    (a new row can turn a kept row into a duplicate or into an event_id_conflict). Only the new
    loads' rows are read; empty on a full refresh, which re-resolves every group. -#}
with

validated as (

    select * from {{ ref('int_usage_events_validated') }}

),

pending_rows as (

    select validated.*
    from validated
    where {{ in_pending_loads('validated.load_id') }}

),

final as (

    select distinct pending_rows.event_id
    from pending_rows
    where pending_rows.validation_failure is null
        and not {{ is_full_refresh() }}

)

select * from final
