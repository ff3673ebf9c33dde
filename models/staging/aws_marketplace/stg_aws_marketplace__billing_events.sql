{#- One row per billing event of AWS's seller data feed as it currently stands (SPEC 9.1, 9.3):
    rows are versioned, so per billing_event_id the row with the latest update_date stands
    (ties, e.g. the same version delivered twice: the row of the latest source_file, then the
    last in its file; a null update_date is older than any date), and an event whose standing
    row has a delete_date is removed. is_conflicting: the rows sharing the event's latest
    update_date differ in content (any column but source_file, file_row_number and load_id);
    such an event counts nowhere, whichever row stands (fct_marketplace_unmatched_billing_events
    lists its rows as conflicting_event), and is kept here even when a row deletes it. -#}
with

event_rows as (

    select * from {{ ref('stg_aws_marketplace__billing_event_rows') }}

),

contents as (

    select
        event_rows.*,
        {{ content_row(['source_file', 'file_row_number', 'load_id'], 'event_rows') }}
            as row_content
    from event_rows

),

versions as (

    select
        {{ star_except('contents', ['row_content']) }},
        {{ differs_within(
            'contents.row_content',
            '(partition by contents.billing_event_id, contents.update_date)'
        ) }} as is_conflicting,
        row_number() over (
            partition by contents.billing_event_id
            order by
                contents.update_date desc nulls last,
                contents.source_file desc,
                contents.file_row_number desc
        ) as version_rank
    from contents

),

final as (

    select {{ star_except('versions', ['delete_date', 'version_rank']) }}
    from versions
    where versions.version_rank = 1
        and (versions.delete_date is null or versions.is_conflicting)

)

select * from final
