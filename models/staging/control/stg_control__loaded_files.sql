{#- One row per landed file the warehouse has loaded (the load's register). -#}
with

source as (

    select * from {{ source('control', 'loaded_files') }}

),

final as (

    select
        source.dataset,
        source.path,
        source.size_bytes,
        source.sha256,
        source.rows,
        source.load_id,
        source.loaded_at
    from source

)

select * from final
