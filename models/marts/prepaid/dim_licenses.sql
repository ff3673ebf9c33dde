{#- One row per valid, priced licence: its term, the price it is invoiced at and the amount
    (SPEC 4.1). Licences quarantined by the licence rules or for `no_list_price` are in
    fct_license_quarantine. -#}
with

licenses as (

    select * from {{ ref('int_licenses_priced') }} as priced_licenses
    where not priced_licenses.has_no_list_price

),

final as (

    select {{ star_except('licenses', ['has_no_list_price', 'file_row_number']) }}
    from licenses

)

select * from final
