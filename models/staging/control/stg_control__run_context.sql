{#- The month the running close produces (at most one row; none for a build run by hand on a
    fresh warehouse). -#}
with

source as (

    select * from {{ source('control', 'run_context') }}

),

ranked as (

    select
        source.close_month,
        source.run_id,
        source.started_at,
        row_number() over (order by source.started_at desc) as recency_rank
    from source
    where source.close_month is not null

),

final as (

    select
        ranked.close_month,
        ranked.run_id,
        ranked.started_at
    from ranked
    where ranked.recency_rank = 1

)

select * from final
