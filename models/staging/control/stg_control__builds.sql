{#- One row per build a close ran: its status and the highest load id it processed. -#}
with

source as (

    select * from {{ source('control', 'builds') }}

),

final as (

    select
        source.build_id,
        source.fingerprint,
        source.full_refresh,
        source.started_at,
        source.finished_at,
        source.status,
        source.processed_through
    from source

)

select * from final
