{#- One row per statement with the billing profile in force for it (SPEC 12.1); the rules are in int_organization_profiles_in_force. -#}
with

final as (

    select * from {{ ref('int_organization_profiles_in_force') }}

)

select * from final
