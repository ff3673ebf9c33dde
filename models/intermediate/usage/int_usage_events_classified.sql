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
       measurement_conflict (the duplicate copies stay counted as duplicate).

    Performance: almost every valid row is alone with its event_id and its measurement, and then
    it is simply rated. Two hash aggregates find the event ids and measurements that more than one
    valid row shares; only those rows (a few percent) go through the window functions. This is
    exact: a row that shares neither has no peer in either window.
    Memory: the CTEs over every landed row are `not materialized` (DuckDB would otherwise
    materialize a CTE used twice, holding every row at once); only the two small key sets are. -#}
with

validated as not materialized (

    select * from {{ ref('int_usage_events_validated') }}

),

valid as not materialized (

    select * from validated where validated.validation_failure is null

),

shared_event_ids as materialized (

    select valid.event_id
    from valid
    group by valid.event_id
    having count(*) > 1

),

shared_measurements as materialized (

    select
        valid.instance_id,
        valid.hour_start,
        valid.meter
    from valid
    group by valid.instance_id, valid.hour_start, valid.meter
    having count(*) > 1

),

flagged as not materialized (

    select
        validated.*,
        validated.validation_failure is null
        and (
            shared_event_ids.event_id is not null
            or shared_measurements.meter is not null
        ) as is_shared
    from validated
    left join shared_event_ids
        on validated.validation_failure is null
        and validated.event_id = shared_event_ids.event_id
    left join shared_measurements
        on validated.validation_failure is null
        and validated.instance_id = shared_measurements.instance_id
        and validated.hour_start = shared_measurements.hour_start
        and validated.meter = shared_measurements.meter

),

alone as (

    select
        flagged.* exclude (is_shared, validation_failure),
        case when flagged.validation_failure is null then 'rated' else 'quarantined' end
            as outcome,
        flagged.validation_failure as quarantine_reason
    from flagged
    where not flagged.is_shared

),

shared as (

    select
        flagged.* exclude (is_shared),
        hash(
            flagged.event_id, flagged.organization_id, flagged.environment_id,
            flagged.instance_id, flagged.cloud_provider, flagged.region,
            flagged.pricing_mode, flagged.cluster_tier, flagged.meter,
            flagged.hour_start, flagged.quantity, flagged.emitted_at
        ) as content_hash
    from flagged
    where flagged.is_shared

),

copies_numbered as (

    select
        shared.*,
        min(shared.content_hash) over event_id_window
            != max(shared.content_hash) over event_id_window as has_event_id_conflict,
        row_number() over (
            event_id_window order by shared.source_file
        ) as copy_number
    from shared
    window event_id_window as (partition by shared.event_id)

),

candidates_marked as (

    select
        copies_numbered.*,
        not copies_numbered.has_event_id_conflict
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

resolved as (

    select
        conflicts_marked.* exclude (
            validation_failure, content_hash, has_event_id_conflict, copy_number, is_candidate,
            latest_emitted_at, measurement_rank, has_measurement_conflict
        ),
        case
            when conflicts_marked.has_event_id_conflict then 'quarantined'
            when conflicts_marked.copy_number > 1 then 'duplicate'
            when conflicts_marked.has_measurement_conflict then 'quarantined'
            when conflicts_marked.measurement_rank = 1 then 'rated'
            else 'superseded'
        end as outcome,
        case
            when conflicts_marked.has_event_id_conflict then 'event_id_conflict'
            when conflicts_marked.copy_number > 1 then null
            when conflicts_marked.has_measurement_conflict then 'measurement_conflict'
        end as quarantine_reason
    from conflicts_marked

),

classified as (

    select * from alone
    union all by name
    select * from resolved

)

select * from classified
