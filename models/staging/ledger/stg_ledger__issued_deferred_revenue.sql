{#- One row per final month and licence of its issued deferred revenue roll-forward, exactly as
    issued. -#}
with

source as (

    select * from {{ source('ledger', 'issued_deferred_revenue') }}

),

final as (

    select
        source.statement_month,
        source.license_id,
        source.organization_id,
        source.opening_balance,
        source.invoiced_amount,
        source.recognised_amount,
        source.closing_balance
    from source

)

select * from final
