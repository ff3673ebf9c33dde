{#- One row per load whose rows a successful build has classified. -#}
with

source as (

    select * from {{ source('control', 'processed_loads') }}

),

final as (

    select
        source.load_id,
        source.processed_at
    from source

)

select * from final
