{#- One row per valid licence with the price it is invoiced at (SPEC 4.1): the negotiated
    price_per_aku if given, else the list price for its term in force on its start_date. A licence
    that needs a list price when none is in force has a null price: it is quarantined as
    `no_list_price` (fct_license_quarantine) and never stops a close. -#}
with

licenses as (

    select * from {{ ref('int_licenses_validated') }} as validated_licenses
    where validated_licenses.outcome = 'valid'

),

list_prices as (

    select * from {{ ref('stg_billing_config__aku_list_prices') }}

),

priced as (

    select
        licenses.*,
        list_prices.price_per_aku as list_price_per_aku,
        list_prices.effective_from as list_price_effective_from
    from licenses
    left join list_prices
        on licenses.term = list_prices.term
        and {{ in_force('list_prices', 'licenses.start_date') }}

),

final as (

    select
        priced.license_id,
        priced.organization_id,
        priced.channel,
        priced.term,
        priced.aku_quota,
        priced.start_date,
        priced.end_date,
        priced.term_days,
        cast(date_trunc('month', priced.start_date) as date) as invoice_month,
        priced.price_per_aku as negotiated_price_per_aku,
        priced.list_price_per_aku,
        cast(coalesce(priced.price_per_aku, priced.list_price_per_aku) as decimal(38, 6))
            as unit_price,
        case
            when priced.price_per_aku is not null then 'contract'
            else {{ date_text('priced.list_price_effective_from') }}
        end as rate_card_version,
        {{ round2('priced.aku_quota * coalesce(priced.price_per_aku, priced.list_price_per_aku)') }}
            as amount,
        priced.currency,
        priced.product_secret_sha256,
        priced.purchased_at,
        priced.source_file,
        priced.file_row_number,
        priced.price_per_aku is null and priced.list_price_per_aku is null as has_no_list_price
    from priced

)

select * from final
