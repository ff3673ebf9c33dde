{#- One row per line of a final month's issued version, exactly as issued. -#}
with

source as (

    select * from {{ source('ledger', 'issued_statement_lines') }}

),

final as (

    select
        source.statement_month,
        source.organization_id,
        source.line_type,
        source.billing_item,
        source.tier,
        source.cluster_tier,
        source.license_id,
        source.adjusted_month,
        source.quantity,
        source.unit,
        source.unit_price,
        source.amount,
        source.currency,
        source.rate_card_version,
        source.issued_version
    from source

)

select * from final
