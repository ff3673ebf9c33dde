{#- One row per valid licence and month of its term: the amount recognised in that month
    (SPEC 4.2), as int_licenses_revenue_scheduled computes it (the rule lives there, so the FOCUS
    licence rows read the same schedule). -#}
with

scheduled as (

    select * from {{ ref('int_licenses_revenue_scheduled') }}

),

final as (

    select * from scheduled

)

select * from final
