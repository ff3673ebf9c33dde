{#- One adjustment line per difference of a final month inside the correction window (SPEC 8),
    booked on the statement of the month being closed, with `adjusted_month` the month it
    corrects. Quantities and amounts may be negative. -#}
with

compared as (

    select * from {{ ref('int_statement_corrections_compared') }} as corrections_compared
    where corrections_compared.is_in_window

),

final as (

    select
        cast(compared.statement_month as date) as statement_month,
        cast(compared.organization_id as string) as organization_id,
        cast('adjustment' as string) as line_type,
        cast(compared.billing_item as string) as billing_item,
        cast(compared.tier as integer) as tier,
        cast(compared.cluster_tier as string) as cluster_tier,
        cast(compared.license_id as string) as license_id,
        cast(compared.adjusted_month as date) as adjusted_month,
        cast(compared.quantity as decimal(38, 6)) as quantity,
        cast(compared.unit as string) as unit,
        cast(compared.unit_price as decimal(38, 6)) as unit_price,
        cast(compared.amount as decimal(38, 2)) as amount,
        cast('USD' as string) as currency,
        cast(compared.rate_card_version as string) as rate_card_version
    from compared

)

select * from final
