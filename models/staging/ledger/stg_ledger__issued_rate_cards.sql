{#- One row per final month and row of the rate card it was issued at, exactly as issued. -#}
with

source as (

    select * from {{ source('ledger', 'issued_rate_cards') }}

),

final as (

    select
        source.statement_month,
        source.billing_item,
        source.tier,
        source.cluster_tier,
        source.tier_mode,
        source.lower_bound,
        source.upper_bound,
        source.unit_price,
        source.unit,
        source.rate_card_version
    from source

)

select * from final
