{#- One row per statement month: the seller in force on the month's last day (seed seller,
    SPEC 12.1), null values when no row of the seed is in force yet. -#}
with

months as (

    select distinct statement_lines.statement_month
    from {{ ref('int_statement_lines_invoiced') }} as statement_lines

),

seller as (

    select * from {{ ref('stg_billing_config__seller') }}

),

final as (

    select
        months.statement_month,
        seller.effective_from,
        seller.legal_name,
        seller.address_line_1,
        seller.address_line_2,
        seller.address_line_3,
        seller.country,
        seller.tax_id,
        seller.billing_email,
        seller.remittance
    from months
    left join seller
        on seller.effective_from < months.statement_month + interval 1 month
        and (
            seller.effective_to is null
            or seller.effective_to >= months.statement_month + interval 1 month
        )

)

select * from final
