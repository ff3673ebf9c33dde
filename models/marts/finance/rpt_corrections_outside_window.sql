{#- One row per final month before the correction window, organization and billing item (summed
    over tiers, cluster tiers and licences) that no longer rates as issued (SPEC 8): these are not
    corrected; the close lists them in its manifest (`corrections.outside_window`) and warns. -#}
with

compared as (

    select * from {{ ref('int_statement_corrections_compared') }} as corrections_compared
    where not corrections_compared.is_in_window

),

final as (

    select
        compared.adjusted_month as issued_month,
        compared.organization_id,
        compared.billing_item,
        cast(sum(compared.quantity) as decimal(38, 6)) as quantity,
        cast(sum(compared.amount) as decimal(38, 2)) as amount
    from compared
    group by compared.adjusted_month, compared.organization_id, compared.billing_item

)

select * from final
