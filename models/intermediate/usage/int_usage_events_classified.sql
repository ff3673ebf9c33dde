{{ config(materialized='table') }}

{#- One row per landed usage row with its outcome (SPEC 1.1): `rated`, `duplicate`, `superseded`
    or `quarantined` (with `quarantine_reason`). Every landed row appears exactly once.

    1. validation: the first rule a row breaks quarantines it; such rows take no further part;
    2. event ids: valid rows sharing an event_id with different content are all quarantined as
       event_id_conflict; identical copies keep one (first by source_file) and count the rest
       as duplicate;
    3. measurements (instance_id, hour_start, meter): of the remaining rows the latest
       emitted_at is rated and the others are superseded; when the latest emitted_at is shared
       by rows with different quantities, all of the measurement's rows are quarantined as
       measurement_conflict (the duplicate copies stay counted as duplicate). -#}
with

validated as (

    select * from {{ ref('int_usage_events_validated') }}

),

event_ids_checked as (

    select
        validated.*,
        validated.validation_failure is null as is_valid,
        hash(
            validated.event_id, validated.organization_id, validated.environment_id,
            validated.instance_id, validated.cloud_provider, validated.region,
            validated.pricing_mode, validated.cluster_tier, validated.meter,
            validated.hour_start, validated.quantity, validated.emitted_at
        ) as content_hash
    from validated

),

copies_numbered as (

    select
        event_ids_checked.*,
        event_ids_checked.is_valid and (
            min(event_ids_checked.content_hash) over event_id_window
            != max(event_ids_checked.content_hash) over event_id_window
        ) as has_event_id_conflict,
        row_number() over (
            event_id_window order by event_ids_checked.source_file
        ) as copy_number
    from event_ids_checked
    window event_id_window as (
        partition by event_ids_checked.is_valid, event_ids_checked.event_id
    )

),

candidates_marked as (

    select
        copies_numbered.*,
        copies_numbered.is_valid
        and not copies_numbered.has_event_id_conflict
        and copies_numbered.copy_number = 1 as is_candidate
    from copies_numbered

),

latest_marked as (

    select
        candidates_marked.*,
        max(candidates_marked.emitted_at) over measurement_window as latest_emitted_at,
        row_number() over (
            measurement_window
            order by candidates_marked.emitted_at desc, candidates_marked.event_id
        ) as measurement_rank
    from candidates_marked
    window measurement_window as (
        partition by
            candidates_marked.is_candidate,
            candidates_marked.instance_id,
            candidates_marked.hour_start,
            candidates_marked.meter
    )

),

conflicts_marked as (

    select
        latest_marked.*,
        latest_marked.is_candidate and (
            min(latest_marked.quantity) filter (
                where latest_marked.emitted_at = latest_marked.latest_emitted_at
            ) over measurement_window
            != max(latest_marked.quantity) filter (
                where latest_marked.emitted_at = latest_marked.latest_emitted_at
            ) over measurement_window
        ) as has_measurement_conflict
    from latest_marked
    window measurement_window as (
        partition by
            latest_marked.is_candidate,
            latest_marked.instance_id,
            latest_marked.hour_start,
            latest_marked.meter
    )

),

classified as (

    select
        conflicts_marked.event_id,
        conflicts_marked.organization_id,
        conflicts_marked.environment_id,
        conflicts_marked.instance_id,
        conflicts_marked.cloud_provider,
        conflicts_marked.region,
        conflicts_marked.pricing_mode,
        conflicts_marked.cluster_tier,
        conflicts_marked.meter,
        conflicts_marked.hour_start,
        conflicts_marked.quantity,
        conflicts_marked.emitted_at,
        conflicts_marked.source_file,
        conflicts_marked.usage_month,
        case
            when not conflicts_marked.is_valid then 'quarantined'
            when conflicts_marked.has_event_id_conflict then 'quarantined'
            when conflicts_marked.copy_number > 1 then 'duplicate'
            when conflicts_marked.has_measurement_conflict then 'quarantined'
            when conflicts_marked.measurement_rank = 1 then 'rated'
            else 'superseded'
        end as outcome,
        case
            when not conflicts_marked.is_valid then conflicts_marked.validation_failure
            when conflicts_marked.has_event_id_conflict then 'event_id_conflict'
            when conflicts_marked.copy_number > 1 then null
            when conflicts_marked.has_measurement_conflict then 'measurement_conflict'
        end as quarantine_reason
    from conflicts_marked

)

select * from classified
