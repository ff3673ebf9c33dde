{{ keyed_incremental_config(
    'int_usage_measurements_affected', ['instance_id', 'hour_start', 'meter'],
    affected_months_from='int_usage_months_affected',
) }}

{#- SPEC 1.1 rule 3. One row per candidate row (valid, and kept by the event-id rules) of a
    measurement (instance_id, hour_start, meter) that several candidates share (a candidate
    alone with its measurement is simply rated):
    - the latest emitted_at is `rated`, the others are `superseded`;
    - rows sharing the latest emitted_at that differ in any column but event_id: every candidate
      of the measurement is `measurement_conflict` (which customer or tier to bill must never
      depend on how ids sort);
    - rows sharing it that are equal in every column but event_id count once: the smallest
      event_id is `rated`, the others `superseded`.
    Incremental: a build deletes the rows of the measurements it re-resolves and writes them
    again (a measurement whose candidates dropped to one gets no row: its candidate is rated). -#}

-- depends_on: {{ ref('int_usage_measurements_affected') }}
-- depends_on: {{ ref('int_usage_months_affected') }}

with

validated as (

    select * from {{ ref('int_usage_events_validated') }} as validated_events
    where validated_events.validation_failure is null

),

deduplicated as (

    select * from {{ ref('int_usage_events_deduplicated') }}

),

{% if is_incremental() %}
affected_measurements as (

    select * from {{ ref('int_usage_measurements_affected') }}

),

in_scope as (

    select validated.*
    from validated
    semi join affected_measurements
        on validated.instance_id = affected_measurements.instance_id
        and validated.hour_start = affected_measurements.hour_start
        and validated.meter = affected_measurements.meter
    where {{ in_affected_months('validated.usage_month') }}

),
{% else %}
in_scope as (

    select * from validated

),
{% endif %}

candidates as (

    select in_scope.*
    from in_scope
    anti join deduplicated
        on in_scope.source_file = deduplicated.source_file
        and in_scope.file_row_number = deduplicated.file_row_number
        and deduplicated.event_id_outcome != 'kept'

),

shared_measurements {{ materialized_cte() }} (

    select
        candidates.instance_id,
        candidates.hour_start,
        candidates.meter
    from candidates
    group by candidates.instance_id, candidates.hour_start, candidates.meter
    having count(*) > 1

),

shared as (

    select
        candidates.*,
        {{ content_row(usage_row_metadata_columns() + ['event_id'], 'candidates') }} as row_content
    from candidates
    semi join shared_measurements
        on candidates.instance_id = shared_measurements.instance_id
        and candidates.hour_start = shared_measurements.hour_start
        and candidates.meter = shared_measurements.meter

),

latest_marked as (

    select
        shared.*,
        shared.emitted_at = max(shared.emitted_at) over measurement_window as is_latest
    from shared
    window measurement_window as (
        partition by shared.instance_id, shared.hour_start, shared.meter
    )

),

latest_compared as (

    select
        latest_marked.*,
        latest_marked.is_latest
        and {{ differs_within('latest_marked.row_content', 'latest_window') }} as differs_at_latest
    from latest_marked
    window latest_window as (
        partition by
            latest_marked.instance_id,
            latest_marked.hour_start,
            latest_marked.meter,
            latest_marked.is_latest
    )

),

compared as (

    select
        latest_compared.*,
        bool_or(latest_compared.differs_at_latest) over measurement_window
            as has_measurement_conflict,
        row_number() over (
            partition by
                latest_compared.instance_id, latest_compared.hour_start, latest_compared.meter
            order by latest_compared.emitted_at desc, latest_compared.event_id asc
        ) as measurement_rank
    from latest_compared
    window measurement_window as (
        partition by
            latest_compared.instance_id, latest_compared.hour_start, latest_compared.meter
    )

),

final as (

    select
        compared.source_file,
        compared.file_row_number,
        compared.instance_id,
        compared.hour_start,
        compared.meter,
        compared.usage_month,
        case
            when compared.has_measurement_conflict then 'measurement_conflict'
            when compared.measurement_rank = 1 then 'rated'
            else 'superseded'
        end as measurement_outcome
    from compared

)

select * from final
