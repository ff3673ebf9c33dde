{#- One row per statement month with the seller in force (SPEC 12.1); the rules are in int_seller_in_force. -#}
with

final as (

    select * from {{ ref('int_seller_in_force') }}

)

select * from final
