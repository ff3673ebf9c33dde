{#- One row per landed usage row with its outcome (SPEC 1.1): `rated`, `duplicate`,
    `superseded` or `quarantined` (with `quarantine_reason`). Every landed row appears exactly
    once. A view: the validation is row-local, and the two rules that look at other rows keep
    their verdicts in small tables that only hold the rows that share an event id
    (int_usage_events_deduplicated) or a measurement (int_usage_measurements_resolved); a row in
    neither is alone, and rated when valid. Precedence: validation, then event ids, then
    measurements (a duplicate copy of a row whose measurement is in conflict stays a duplicate). -#}
with

validated as (

    select * from {{ ref('int_usage_events_validated') }}

),

deduplicated as (

    select * from {{ ref('int_usage_events_deduplicated') }}

),

resolved as (

    select * from {{ ref('int_usage_measurements_resolved') }}

),

joined as (

    select
        validated.*,
        deduplicated.event_id_outcome,
        resolved.measurement_outcome
    from validated
    left join deduplicated
        on validated.source_file = deduplicated.source_file
        and validated.file_row_number = deduplicated.file_row_number
    left join resolved
        on validated.source_file = resolved.source_file
        and validated.file_row_number = resolved.file_row_number

),

final as (

    select
        {{ star_except(
            'joined', ['validation_failure', 'event_id_outcome', 'measurement_outcome']
        ) }},
        case
            when joined.validation_failure is not null then 'quarantined'
            when joined.event_id_outcome = 'event_id_conflict' then 'quarantined'
            when joined.event_id_outcome = 'duplicate' then 'duplicate'
            when joined.measurement_outcome = 'measurement_conflict' then 'quarantined'
            when joined.measurement_outcome = 'superseded' then 'superseded'
            else 'rated'
        end as outcome,
        case
            when joined.validation_failure is not null then joined.validation_failure
            when joined.event_id_outcome = 'event_id_conflict' then 'event_id_conflict'
            when joined.event_id_outcome = 'duplicate' then null
            when joined.measurement_outcome = 'measurement_conflict' then 'measurement_conflict'
        end as quarantine_reason
    from joined

)

select * from final
