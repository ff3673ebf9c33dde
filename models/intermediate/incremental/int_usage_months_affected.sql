{{ config(materialized='table') }}

{#- One row per usage month (null: rows without hour_start) whose month-level models this build
    rewrites: the months of the pending rows, and every month holding a row (valid or not) with
    the event id of a valid pending row. Event ids are the one rule that crosses months (a
    measurement lies in the month of its hour), so every row a build re-resolves lies in these
    months and the models below read only them. The history is read once, for its event ids and
    months only. On a full refresh: every month landed. -#}

-- depends_on: {{ ref('int_usage_loads_pending') }}

with

usage_events as (

    select * from {{ ref('stg_usage_exports__usage_events') }}

),

affected_event_ids as (

    select * from {{ ref('int_usage_event_ids_affected') }}

),

pending_months as (

    select distinct usage_events.usage_month
    from usage_events
    where {{ 'true' if is_full_refresh() else in_pending_loads('usage_events.load_id') }}

),

regrouped_months as (

    select distinct usage_events.usage_month
    from usage_events
    semi join affected_event_ids
        on usage_events.event_id = affected_event_ids.event_id
    where not {{ is_full_refresh() }}

),

final as (

    select pending_months.usage_month from pending_months
    union
    select regrouped_months.usage_month from regrouped_months

)

select * from final
