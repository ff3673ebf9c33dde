{#- The month the running close produces (at most one row; none for a build run by hand on a
    fresh warehouse). -#}
with

source as (

    select * from {{ source('control', 'run_context') }}

),

final as (

    select
        source.close_month,
        source.run_id,
        source.started_at
    from source
    where source.close_month is not null
    qualify row_number() over (order by source.started_at desc) = 1

)

select * from final
