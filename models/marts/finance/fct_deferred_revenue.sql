{#- One row per licence with a deferred revenue balance or movement in the month being closed (SPEC 12.3); the rules are in int_deferred_revenue_rolled. -#}
with

final as (

    select * from {{ ref('int_deferred_revenue_rolled') }}

)

select * from final
