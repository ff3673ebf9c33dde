{{ keyed_incremental_config(
    'int_usage_event_ids_affected', ['event_id'],
    affected_months_from='int_usage_months_affected',
) }}

{#- SPEC 1.1 rules 1 and 2. One row per valid landed row whose event id is shared with another
    valid row (a row alone with its event id is simply kept):
    - the group's rows are equal in every column (the file does not matter): the first copy, by
      source_file then file_row_number, is `kept` and the others are `duplicate`;
    - they differ in any column: every row is `event_id_conflict`.
    Values are compared, never hashes. Incremental: a build re-resolves the groups of the event
    ids its pending rows carry (groups only grow: landed files are never removed). -#}

-- depends_on: {{ ref('int_usage_event_ids_affected') }}
-- depends_on: {{ ref('int_usage_months_affected') }}

with

validated as (

    select * from {{ ref('int_usage_events_validated') }} as validated_events
    where validated_events.validation_failure is null

),

{% if is_incremental() %}
affected_event_ids as (

    select * from {{ ref('int_usage_event_ids_affected') }}

),

candidates as (

    select validated.*
    from validated
    semi join affected_event_ids
        on validated.event_id = affected_event_ids.event_id
    where {{ in_affected_months('validated.usage_month') }}

),
{% else %}
candidates as (

    select * from validated

),
{% endif %}

shared_event_ids {{ materialized_cte() }} (

    select candidates.event_id
    from candidates
    group by candidates.event_id
    having count(*) > 1

),

shared as (

    select
        candidates.*,
        {{ content_row(usage_row_metadata_columns(), 'candidates') }} as row_content
    from candidates
    semi join shared_event_ids
        on candidates.event_id = shared_event_ids.event_id

),

compared as (

    select
        shared.source_file,
        shared.file_row_number,
        shared.event_id,
        shared.usage_month,
        {{ differs_within('shared.row_content', 'event_id_window') }} as has_different_content,
        row_number() over (
            partition by shared.event_id order by shared.source_file, shared.file_row_number
        ) as copy_number
    from shared
    window event_id_window as (partition by shared.event_id)

),

final as (

    select
        compared.source_file,
        compared.file_row_number,
        compared.event_id,
        compared.usage_month,
        case
            when compared.has_different_content then 'event_id_conflict'
            when compared.copy_number = 1 then 'kept'
            else 'duplicate'
        end as event_id_outcome
    from compared

)

select * from final
