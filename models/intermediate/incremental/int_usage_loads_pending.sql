{#- One row per usage load whose rows no successful build has classified yet: the new rows the
    incremental models process on this build. A succeeded build processed every load up to its
    processed_through. -#}
with

loaded_files as (

    select * from {{ ref('stg_control__loaded_files') }} as control_loaded_files
    where control_loaded_files.dataset = 'usage_events'

),

processed as (

    select coalesce(max(builds.processed_through), 0) as processed_through
    from {{ ref('stg_control__builds') }} as builds
    where builds.status = 'succeeded'

),

final as (

    select distinct loaded_files.load_id
    from loaded_files
    cross join processed
    where loaded_files.load_id > processed.processed_through

)

select * from final
