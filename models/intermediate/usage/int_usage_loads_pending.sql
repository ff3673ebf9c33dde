{#- One row per usage load whose rows no successful build has classified yet: the new rows the
    incremental models process on this build. -#}
with

loaded_files as (

    select * from {{ ref('stg_control__loaded_files') }} as control_loaded_files
    where control_loaded_files.dataset = 'usage_events'

),

processed_loads as (

    select * from {{ ref('stg_control__processed_loads') }}

),

final as (

    select distinct loaded_files.load_id
    from loaded_files
    anti join processed_loads
        on loaded_files.load_id = processed_loads.load_id

)

select * from final
