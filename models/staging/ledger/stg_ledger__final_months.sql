{#- One row per final month before the month being closed (every final month in a
    reconciliation), with the version that was issued. -#}
with

source as (

    select * from {{ source('ledger', 'final_months') }}

),

final as (

    select
        source.statement_month,
        source.issued_version,
        source.finalized_at,
        source.closed_at
    from source

)

select * from final
